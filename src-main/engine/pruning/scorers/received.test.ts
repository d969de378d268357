import { describe, expect, it } from 'vitest';
import { HAND_TOKEN_SCORES, TWO_TILE_LAYOUT, attentionOf, constantTiles, handTiles } from '../../test/pruning/inputs';
import { receivedScorer } from './received';

describe('received scorer', () => {
  it('needs the attention received at the penultimate layer (SmolVLM SigLIP: 12 layers → 10)', () => {
    expect(receivedScorer.needs(12, {})).toEqual({ kind: 'received', layers: [10] });
  });

  it('pools the received attention of the penultimate layer onto the token grid', () => {
    const attention = attentionOf('received', 3, [
      [1, handTiles()],
      [2, constantTiles(5)],
    ]);
    expect(Array.from(receivedScorer.score({ attention, layout: TWO_TILE_LAYOUT, seed: 0, options: {} }))).toEqual(HAND_TOKEN_SCORES);
  });

  it('reads its own kind from an encoder that gives both ([CLS] models)', () => {
    const attention = { layerCount: 3, byKind: { cls: new Map([[1, constantTiles(9)]]), received: new Map([[1, handTiles()]]) } };
    expect(Array.from(receivedScorer.score({ attention, layout: TWO_TILE_LAYOUT, seed: 0, options: {} }))).toEqual(HAND_TOKEN_SCORES);
  });

  it('refuses [CLS] attention', () => {
    const attention = attentionOf('cls', 3, [[1, handTiles()]]);
    expect(() => receivedScorer.score({ attention, layout: TWO_TILE_LAYOUT, seed: 0, options: {} })).toThrow(
      /received needs 'received' attention, but the vision encoder gave 'cls' attention/,
    );
  });
});
