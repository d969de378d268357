import { describe, expect, it } from 'vitest';
import { expandImagePrompt } from './prompt';

const F = '<fake_token_around_image>';
const I = '<image>';

describe('expandImagePrompt', () => {
  it('spells a single view as the global image alone', () => {
    expect(expandImagePrompt(0, 0, [3])).toBe(`${F}<global-img>${I}${I}${I}${F}`);
  });

  it('spells a 2x2 split row by row, a newline after each row, then the global view', () => {
    expect(expandImagePrompt(2, 2, [2, 2, 2, 2, 2])).toBe(
      `${F}<row_1_col_1>${I}${I}${F}<row_1_col_2>${I}${I}\n` +
        `${F}<row_2_col_1>${I}${I}${F}<row_2_col_2>${I}${I}\n` +
        `\n${F}<global-img>${I}${I}${F}`,
    );
  });

  it('gives each tile of a pruned prompt its own count, none at all included', () => {
    expect(expandImagePrompt(1, 3, [1, 0, 2, 1])).toBe(
      `${F}<row_1_col_1>${I}${F}<row_1_col_2>${F}<row_1_col_3>${I}${I}\n\n${F}<global-img>${I}${F}`,
    );
  });

  it('spells only the crops a crop budget kept, each row still ending in a newline', () => {
    expect(expandImagePrompt(2, 2, [1, 2, 3], [1, 2])).toBe(
      `${F}<row_1_col_2>${I}\n${F}<row_2_col_1>${I}${I}\n\n${F}<global-img>${I}${I}${I}${F}`,
    );
    expect(() => expandImagePrompt(2, 2, [1, 2, 3, 4], [1, 2])).toThrow(/4 tile counts for 2 crops of 2x2/);
  });

  it('numbers rows and columns from 1 in a 3x4 split', () => {
    const text = expandImagePrompt(3, 4, new Array(13).fill(64));
    expect(text.match(/<row_\d+_col_\d+>/g)).toEqual([1, 2, 3].flatMap((r) => [1, 2, 3, 4].map((c) => `<row_${r}_col_${c}>`)));
    expect(text.split(I).length - 1).toBe(13 * 64);
  });

  it.each([
    [2, 2, [64, 64, 64, 64]],
    [0, 0, [64, 64]],
    [1, 2, []],
  ])('refuses %ix%i tiles with %j counts', (rows, cols, counts) => {
    expect(() => expandImagePrompt(rows, cols, counts)).toThrow(
      `${counts.length} tile counts for ${rows * cols} crops of ${rows}x${cols} + global`,
    );
  });
});
