// How Idefics3 / SmolVLM spells an image in text: per tile `<fake_token_around_image><row_r_col_c>` followed by
// its image tokens (a newline after each row of tiles), then the global view wrapped in
// `<fake_token_around_image><global-img>` ... `<fake_token_around_image>`. A pruned prompt keeps the same frame
// and carries exactly as many `<image>` tokens per tile as that tile keeps.

export const FAKE_TOKEN = '<fake_token_around_image>';
export const IMAGE_TOKEN = '<image>';
export const GLOBAL_TOKEN = '<global-img>';

/**
 * `tokensPerTile` has one entry per encoded tile, global last: rows*cols + 1 (or 1 when the image was not split),
 * or `keptCrops.length + 1` under a crop budget, where a crop left out is not spelled at all.
 */
export function expandImagePrompt(rows: number, cols: number, tokensPerTile: number[], keptCrops?: number[]): string {
  const crops = keptCrops ?? Array.from({ length: rows * cols }, (_, i) => i);
  const expected = crops.length + 1;
  if (tokensPerTile.length !== expected) {
    throw new Error(`expandImagePrompt: ${tokensPerTile.length} tile counts for ${crops.length} crops of ${rows}x${cols} + global`);
  }
  let text = '';
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const tile = crops.indexOf(r * cols + c);
      if (tile >= 0) text += `${FAKE_TOKEN}<row_${r + 1}_col_${c + 1}>${IMAGE_TOKEN.repeat(tokensPerTile[tile])}`;
    }
    text += '\n';
  }
  const global = `${FAKE_TOKEN}${GLOBAL_TOKEN}${IMAGE_TOKEN.repeat(tokensPerTile[expected - 1])}${FAKE_TOKEN}`;
  return rows === 0 && cols === 0 ? global : `${text}\n${global}`;
}
