import { describe, expect, it } from 'vitest';
import { selectTopK } from './select';
import { selectDiverse } from './select-diverse';

const f32 = (xs: number[]) => Float32Array.from(xs);
/** Tokens 0-2 show one thing (features along x), 3-4 another (along y), 5 a third (along z). */
const features = { values: f32([1, 0, 0, 0.9, 0.1, 0, 1, 0.05, 0, 0, 1, 0, 0.1, 1, 0, 0, 0, 1]), dim: 3 };
const scores = f32([0.9, 0.8, 0.85, 0.3, 0.4, 0.1]);

describe('selectDiverse', () => {
  it('covers the distinct things where top-k piles onto the most salient one', () => {
    expect(Array.from(selectTopK(scores, 3))).toEqual([0, 1, 2]);
    expect(Array.from(selectDiverse(scores, features, 3))).toEqual([0, 4, 5]);
  });

  it('starts from the best score and keeps the indices ascending', () => {
    expect(Array.from(selectDiverse(scores, features, 1))).toEqual([0]);
    const kept = selectDiverse(scores, features, 4);
    expect(kept.length).toBe(4);
    expect(Array.from(kept)).toEqual([...kept].sort((a, b) => a - b));
  });

  it('weights quality more with a higher weight: a near-duplicate with a high score then beats a faint new thing', () => {
    // Weight 0: scores only choose the first token; then the most orthogonal one (3, equal to 5, lower index first).
    expect(Array.from(selectDiverse(scores, features, 2, 0))).toEqual([0, 3]);
    expect(Array.from(selectDiverse(f32([0.9, 0.1, 1, 0.1, 0.1, 0]), features, 2, 0.95))).toEqual([0, 2]);
  });

  it('fills by score once the features span no new direction (rank below k)', () => {
    const flat = { values: f32([1, 1, 1, 1]), dim: 1 };
    expect(Array.from(selectDiverse(f32([0.1, 0.7, 0.5, 0.9]), flat, 3))).toEqual([1, 2, 3]);
  });

  it('refuses a budget, features or a weight that do not fit', () => {
    expect(() => selectDiverse(scores, features, 7)).toThrow(/cannot keep 7 of 6/);
    expect(() => selectDiverse(scores, { values: f32([1, 2]), dim: 3 }, 2)).toThrow(/needs 6 feature rows of 3, got 2 values/);
    expect(() => selectDiverse(scores, features, 2, 1)).toThrow(/quality weight must be in \[0, 1\), got 1/);
    expect(() => selectDiverse(f32([0, Number.NaN, 0, 0, 0, 0]), features, 2)).toThrow(/token score 1 is NaN/);
  });
});
