import { describe, expect, it } from 'vitest';
import { visualTokenAttention } from './llm-attention';

/** 2 heads over a 5-token prompt [text, img, img, text, text]; head h row q column k = 100 h + 10 q + k. */
function probe() {
  const seqLen = 5;
  const probs = Float32Array.from({ length: 2 * seqLen * seqLen }, (_, i) => {
    const h = Math.floor(i / 25);
    const q = Math.floor(i / 5) % 5;
    return 100 * h + 10 * q + (i % 5);
  });
  return { probs, heads: 2, seqLen };
}
const layout = { tiles: 1, patchRows: 1, patchCols: 2, poolFactor: 1 };

describe('visualTokenAttention', () => {
  it("reads the last token's row at the image positions, mean over heads", () => {
    // row 4: head 0 gives 41, 42; head 1 gives 141, 142.
    expect(Array.from(visualTokenAttention(probe(), [1, 2], 'last-token', layout))).toEqual([91, 92]);
  });

  it('averages the instruction rows: every token after the last image token', () => {
    // rows 3 and 4: head 0 (31 + 41) / 2 = 36 for column 1; head 1 adds 100.
    expect(Array.from(visualTokenAttention(probe(), [1, 2], 'instruction', layout))).toEqual([86, 87]);
  });

  it('puts the values in token order where the sequence reorders tokens, leaving separators out', () => {
    const reordered = { ...layout, sequence: [1, -1, 0] };
    expect(Array.from(visualTokenAttention(probe(), [0, 1, 2], 'last-token', reordered))).toEqual([92, 90]);
  });

  it('refuses what does not fit', () => {
    expect(() => visualTokenAttention({ ...probe(), heads: 3 }, [1, 2], 'last-token', layout)).toThrow(/not 3 heads of 5x5/);
    expect(() => visualTokenAttention(probe(), [], 'last-token', layout)).toThrow(/no image tokens/);
    expect(() => visualTokenAttention(probe(), [3, 4], 'instruction', layout)).toThrow(/no instruction after its image tokens/);
    expect(() => visualTokenAttention(probe(), [1, 2, 3], 'last-token', layout)).toThrow(/3 image tokens for a visual sequence of 2/);
  });
});
