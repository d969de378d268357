import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../../image/decode-image';
import { readModelFolder } from '../../model/read-model-folder';
import { fixtureDir, photo } from '../../test/paths';
import { thrownEngineError } from '../../test/engine-errors';
import { TextTokenizer } from '../../text/tokenizer';
import type { PreparedImage } from '../family';
import { createIdefics3Family } from './family';

const folder = readModelFolder(fixtureDir('tiny-smolvlm'));
const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig);
const family = createIdefics3Family(folder, tokenizer);
const IMAGE = 49190;

const singleView = { tiles: 1, tokensPerTile: 64, patchRows: 32, patchCols: 32, poolFactor: 4, rows: 0, cols: 0, grid: { tiles: [] } };
const count = (ids: number[], id: number) => ids.filter((x) => x === id).length;

describe('Idefics3 family on the SmolVLM fixture', () => {
  it('takes its ids and settings from the model folder', () => {
    expect(family.name).toBe('idefics3');
    expect(family.imageTokenId).toBe(IMAGE);
    expect(family.eosTokenIds).toEqual([49279]);
    expect(JSON.parse(family.settingsKey)).toMatchObject({ family: 'idefics3', tileSize: 512, longestEdge: 2048, tokensPerTile: 64 });
  });

  describe('prepareImage (chelsea.png, 451x300)', () => {
    let prepared: PreparedImage;
    beforeAll(async () => {
      prepared = await family.prepareImage(await decodeImageFile(photo('chelsea.png')));
    });

    it('gives 3x4 tiles plus the global view, 64 tokens each from 32x32 patches pooled 4x4', () => {
      const { visionFeeds, ...layout } = prepared;
      expect(layout).toMatchObject({ tiles: 13, rows: 3, cols: 4, tokensPerTile: 64, patchRows: 32, patchCols: 32, poolFactor: 4 });
      expect(layout.grid.tiles).toHaveLength(13);
      expect(layout.grid.tiles.every((t) => t.rows === 8 && t.cols === 8)).toBe(true);
      expect(layout.grid.tiles.map((t) => t.global)).toEqual([...new Array(12).fill(false), true]);
      expect(layout.grid.tiles[5]).toMatchObject({ x: 0.25, y: 1 / 3, width: 0.25, height: 1 / 3 });
    });

    it('feeds float pixels [1, 13, 3, 512, 512] in [-1, 1] and an all-true mask', () => {
      const { pixel_values: pixels, pixel_attention_mask: mask } = prepared.visionFeeds;
      expect([pixels.type, pixels.dims]).toEqual(['float32', [1, 13, 3, 512, 512]]);
      expect([mask.type, mask.dims]).toEqual(['bool', [1, 13, 512, 512]]);
      const data = pixels.data as Float32Array;
      let [min, max] = [Infinity, -Infinity];
      for (const v of data) [min, max] = [Math.min(min, v), Math.max(max, v)];
      expect(min).toBeGreaterThanOrEqual(-1);
      expect(max).toBeLessThanOrEqual(1);
      expect(max - min).toBeGreaterThan(1);
      expect((mask.data as Uint8Array).every((v) => v === 1)).toBe(true);
    });

    it('spells the full photo with 13 x 64 image tokens', () => {
      const { visionFeeds, ...layout } = prepared;
      const ids = family.promptIds([{ role: 'user', text: 'What is this?' }], layout, new Array(13).fill(64));
      expect(count(ids, IMAGE)).toBe(832);
    });
  });

  describe('promptIds', () => {
    it('spells a single view exactly, in the chat template around it', () => {
      const ids = family.promptIds([{ role: 'user', text: 'Hi' }], singleView, [2]);
      expect(tokenizer.decode(ids, false)).toBe(
        '<|im_start|>User:<fake_token_around_image><global-img><image><image><fake_token_around_image>Hi<end_of_utterance>\nAssistant:',
      );
    });

    it('carries exactly as many image tokens as the per-tile counts add up to', () => {
      const layout = { ...singleView, tiles: 5, rows: 2, cols: 2 };
      for (const perTile of [
        [64, 64, 64, 64, 64],
        [10, 0, 33, 64, 1],
        [0, 0, 0, 0, 1],
      ]) {
        const ids = family.promptIds([{ role: 'user', text: 'Describe it.' }], layout, perTile);
        expect(count(ids, IMAGE)).toBe(perTile.reduce((a, b) => a + b, 0));
        expect(count(ids, tokenizer.requireId('<row_2_col_2>'))).toBe(1);
        expect(count(ids, tokenizer.requireId('<global-img>'))).toBe(1);
      }
    });

    it('puts the photo in the first user turn only, whatever the history', () => {
      const ids = family.promptIds(
        [
          { role: 'user', text: 'What is this?' },
          { role: 'assistant', text: 'A cat.' },
          { role: 'user', text: 'Which colour?' },
        ],
        singleView,
        [3],
      );
      const text = tokenizer.decode(ids, false);
      expect(text).toMatch(
        /^<\|im_start\|>User:<fake_token_around_image><global-img>(<image>){3}<fake_token_around_image>What is this\?<end_of_utterance>\n/,
      );
      expect(text.endsWith('Assistant: A cat.<end_of_utterance>\nUser: Which colour?<end_of_utterance>\nAssistant:')).toBe(true);
      expect(count(ids, IMAGE)).toBe(3);
    });

    it.each([
      ['the question', [{ role: 'user' as const, text: 'is <image> here?' }]],
      [
        'an earlier turn',
        [
          { role: 'user' as const, text: 'hi' },
          { role: 'assistant' as const, text: 'see <image>' },
          { role: 'user' as const, text: 'ok' },
        ],
      ],
    ])('refuses the reserved <image> token in %s', (_where, turns) => {
      const e = thrownEngineError(() => family.promptIds(turns, singleView, [64]));
      expect(e.code).toBe('BAD_ARGUMENT');
      expect(e.message).toBe('the text may not contain the reserved token <image>');
    });
  });
});
