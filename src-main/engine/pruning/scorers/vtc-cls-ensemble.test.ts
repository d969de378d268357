import { describe, expect, it } from 'vitest';
import { TWO_TILE_LAYOUT, attentionOf, constantTiles, handTiles } from '../../test/pruning/inputs';
import { DEFAULT_ENSEMBLE_LAYERS, ensembleLayers, vtcClsEnsembleScorer } from './vtc-cls-ensemble';

describe('vtc-cls-ensemble scorer', () => {
  it("defaults to the reference code's layers 17..23 of 24 (1-based), ending at the penultimate", () => {
    expect(DEFAULT_ENSEMBLE_LAYERS).toBe(7);
    expect(vtcClsEnsembleScorer.needs(24, {})).toEqual({ kind: 'cls', layers: [16, 17, 18, 19, 20, 21, 22] });
    expect(ensembleLayers(12, {})).toEqual([4, 5, 6, 7, 8, 9, 10]);
  });

  it('takes K from the options, and every layer up to the penultimate in a shallow encoder', () => {
    expect(ensembleLayers(24, { ensembleLayers: 3 })).toEqual([20, 21, 22]);
    expect(ensembleLayers(24, { ensembleLayers: 1 })).toEqual([22]);
    expect(ensembleLayers(24, { ensembleLayers: 23 })).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(ensembleLayers(4, {})).toEqual([0, 1, 2]);
  });

  it('refuses a K the encoder cannot give', () => {
    expect(() => ensembleLayers(24, { ensembleLayers: 0 })).toThrow(/from 1 to 23 for a 24-layer encoder, got 0/);
    expect(() => ensembleLayers(24, { ensembleLayers: 24 })).toThrow(/from 1 to 23 for a 24-layer encoder, got 24/);
    expect(() => ensembleLayers(24, { ensembleLayers: 2.5 })).toThrow(/got 2.5/);
  });

  it('sums the pooled scores of the ensemble layers, leaving out the last layer', () => {
    // 4 layers, K defaults to 3: layers 0 (all 1), 1 (hand tiles) and 2 (hand tiles x 2) are summed,
    // layer 3 (the last, not fed to the LLM) is not: token = 1 + 3 * hand token score.
    const doubled = handTiles().map((t) => t.map((v) => 2 * v));
    const attention = attentionOf('cls', 4, [
      [0, constantTiles(1)],
      [1, handTiles()],
      [2, doubled],
      [3, constantTiles(1000)],
    ]);
    const scores = vtcClsEnsembleScorer.score({ attention, layout: TWO_TILE_LAYOUT, seed: 0, options: {} });
    expect(Array.from(scores)).toEqual([11.5, 17.5, 35.5, 41.5, 1, 4, 7, 1]);
    const twoLayers = vtcClsEnsembleScorer.score({ attention, layout: TWO_TILE_LAYOUT, seed: 0, options: { ensembleLayers: 2 } });
    expect(Array.from(twoLayers)).toEqual([10.5, 16.5, 34.5, 40.5, 0, 3, 6, 0]);
  });

  it('names a missing layer', () => {
    const attention = attentionOf('cls', 4, [[2, handTiles()]]);
    expect(() => vtcClsEnsembleScorer.score({ attention, layout: TWO_TILE_LAYOUT, seed: 0, options: {} })).toThrow(
      /vtc-cls-ensemble needs attention of encoder layer 0/,
    );
  });
});
