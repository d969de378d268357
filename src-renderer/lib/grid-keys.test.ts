import { describe, expect, it } from 'vitest';
import { gridStep } from './grid-keys';

describe('gridStep', () => {
  // 10 photos in rows of 4: 0-3, 4-7, 8-9.
  it('moves by one sideways and by a row up and down', () => {
    expect(['ArrowRight', 'ArrowLeft', 'ArrowDown', 'ArrowUp'].map((k) => gridStep(5, k, 4, 10))).toEqual([6, 4, 9, 1]);
  });

  it('stays put at the edges instead of wrapping off the grid', () => {
    expect(gridStep(0, 'ArrowLeft', 4, 10)).toBe(0);
    expect(gridStep(9, 'ArrowRight', 4, 10)).toBe(9);
    expect(gridStep(6, 'ArrowDown', 4, 10)).toBe(6);
    expect(gridStep(2, 'ArrowUp', 4, 10)).toBe(2);
  });

  it('jumps to the ends with Home and End, and ignores other keys', () => {
    expect([gridStep(5, 'Home', 4, 10), gridStep(5, 'End', 4, 10)]).toEqual([0, 9]);
    expect(gridStep(5, 'a', 4, 10)).toBeNull();
    expect(gridStep(0, 'ArrowRight', 4, 0)).toBeNull();
  });
});
