import { describe, expect, it } from 'vitest';
import { TWO_TILE_LAYOUT, attentionOf, handTiles } from '../test/pruning/inputs';
import { pruneVisualTokens } from './prune';
import { keptRows, SEPARATOR, visualSequence } from './sequence';

const S = SEPARATOR;
/**
 * TWO_TILE_LAYOUT read as Phi-3-vision reads a global view (tile 0) and one crop (tile 1): the crop's 2x2 tokens
 * first, a newline after each row, the separator, then the global view's tokens with their newlines.
 */
const PHI3V_LIKE = { ...TWO_TILE_LAYOUT, sequence: [4, 5, S, 6, 7, S, S, 0, 1, S, 2, 3, S] };

describe('visualSequence', () => {
  it('is the tokens in their own order when the layout gives none', () => {
    expect(Array.from(visualSequence(TWO_TILE_LAYOUT))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses a sequence that drops, repeats or invents a token', () => {
    const bad = (sequence: number[]) => () => visualSequence({ ...TWO_TILE_LAYOUT, sequence });
    expect(bad([0, 1, 2, 3, 4, 5, 6, S])).toThrow(/leaves out token 7 of 8/);
    expect(bad([0, 1, 2, 3, 4, 5, 6, 6, 7])).toThrow(/holds 6, not a separator or a new one of the 8 tokens/);
    expect(bad([0, 1, 2, 3, 4, 5, 6, 8])).toThrow(/holds 8/);
    expect(bad([0, 1, 2, 3, 4, 5, 6, 7, -2])).toThrow(/holds -2/);
  });
});

describe('keptRows', () => {
  it('keeps every separator and the kept tokens, in the order the LLM reads them', () => {
    expect(Array.from(keptRows(PHI3V_LIKE, Int32Array.from([1, 4, 7])))).toEqual([0, 2, 4, 5, 6, 8, 9, 12]);
    expect(Array.from(keptRows(PHI3V_LIKE, new Int32Array(0)))).toEqual([2, 5, 6, 9, 12]);
  });

  it('is the kept tokens themselves without a sequence', () => {
    expect(Array.from(keptRows(TWO_TILE_LAYOUT, Int32Array.from([0, 3, 6])))).toEqual([0, 3, 6]);
  });
});

describe('pruneVisualTokens over a sequence with separators', () => {
  const attention = attentionOf('cls', 4, [[2, handTiles()]]);

  it('counts the budget in prunable tokens only and maps the kept ones onto the sequence', () => {
    const { kept, rows } = pruneVisualTokens({ method: 'vtc-cls', budget: { kind: 'ratio', ratio: 0.5 }, layout: PHI3V_LIKE, attention });
    expect(Array.from(kept)).toEqual([0, 1, 2, 3]);
    expect(Array.from(rows)).toEqual([2, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('keeping every token keeps the whole sequence', () => {
    const { rows } = pruneVisualTokens({ method: 'uniform', budget: { kind: 'ratio', ratio: 1 }, layout: PHI3V_LIKE });
    expect(Array.from(rows)).toEqual(PHI3V_LIKE.sequence.map((_, i) => i));
  });
});
