import { describe, expect, it } from 'vitest';
import { argmax, tokenPicker } from './sampling';

const logits = (...values: number[]) => Float32Array.from(values);
const draw = (pick: (l: Float32Array) => number, l: Float32Array, n: number) => Array.from({ length: n }, () => pick(l));
const share = (draws: number[], id: number) => draws.filter((d) => d === id).length / draws.length;

describe('argmax', () => {
  it('finds the largest logit', () => {
    expect(argmax(logits(-3, 0.5, 9, 2))).toBe(2);
    expect(argmax(logits(-5, -1, -2))).toBe(1);
  });

  it('takes the lowest id on ties', () => {
    expect(argmax(logits(1, 3, 0, 3, 3))).toBe(1);
    expect(argmax(new Float32Array(10))).toBe(0);
  });
});

describe('tokenPicker', () => {
  it('is greedy for temperature 0, a negative one, or none', () => {
    for (const options of [undefined, {}, { temperature: 0 }, { temperature: -1, seed: 3 }]) expect(tokenPicker(options)).toBe(argmax);
  });

  it('reproduces a sampled sequence with the same seed and changes it with another', () => {
    const l = logits(0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7);
    const a = draw(tokenPicker({ temperature: 1, seed: 11 }), l, 60);
    const b = draw(tokenPicker({ temperature: 1, seed: 11 }), l, 60);
    const c = draw(tokenPicker({ temperature: 1, seed: 12 }), l, 60);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a).size).toBeGreaterThan(3);
  });

  it('draws in proportion to softmax(logits): 0.75 / 0.25 over 4000 draws within 4 points', () => {
    const draws = draw(tokenPicker({ temperature: 1, seed: 5 }), logits(Math.log(3), 0), 4000);
    expect(Math.abs(share(draws, 0) - 0.75)).toBeLessThan(0.04);
  });

  it('divides the logits by the temperature: logits ln 9 and 0 at temperature 2 give 0.75 / 0.25', () => {
    const draws = draw(tokenPicker({ temperature: 2, seed: 6 }), logits(Math.log(9), 0), 4000);
    expect(Math.abs(share(draws, 0) - 0.75)).toBeLessThan(0.04);
  });

  it('always takes the most likely token with a tiny top-p, however hot', () => {
    const draws = draw(tokenPicker({ temperature: 50, topP: 0.01, seed: 1 }), logits(0.5, 0.2, 0.7, 0.69), 500);
    expect(new Set(draws)).toEqual(new Set([2]));
  });

  it('keeps the smallest set reaching top-p and renormalises inside it', () => {
    // p = 0.5, 0.3, 0.2: with top-p 0.8 the nucleus is {0, 1}, drawn 0.625 / 0.375.
    const draws = draw(tokenPicker({ temperature: 1, topP: 0.8, seed: 9 }), logits(Math.log(5), Math.log(3), Math.log(2)), 4000);
    expect(share(draws, 2)).toBe(0);
    expect(Math.abs(share(draws, 0) - 0.625)).toBeLessThan(0.04);
  });

  it('treats top-p above 1 as 1 (every token possible)', () => {
    const draws = draw(tokenPicker({ temperature: 1, topP: 7, seed: 2 }), logits(0, 0, 0), 600);
    expect(new Set(draws)).toEqual(new Set([0, 1, 2]));
  });
});
