import { describe, expect, it } from 'vitest';
import { createRng } from '../random/prng';
import { cropOf, quadrantOf, sampleScene } from './scene';

describe('sampleScene', () => {
  const scenes = Array.from({ length: 400 }, (_, i) => sampleScene(createRng(i), 96));

  it('is deterministic for a seed', () => {
    expect(sampleScene(createRng(5), 96)).toEqual(sampleScene(createRng(5), 96));
  });

  it('draws every object count from 1 to 8 and nothing outside', () => {
    const counts = new Set(scenes.map((s) => s.objects.length));
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('keeps objects inside the image, apart from each other and off the midlines', () => {
    for (const s of scenes) {
      s.objects.forEach((o, i) => {
        expect(o.x - o.size / 2).toBeGreaterThanOrEqual(0);
        expect(o.y + o.size / 2).toBeLessThanOrEqual(96);
        expect(Math.abs(o.x - 48)).toBeGreaterThan(5);
        for (const p of s.objects.slice(i + 1)) {
          const reach = (o.size + p.size) / 2;
          expect(Math.abs(o.x - p.x) >= reach || Math.abs(o.y - p.y) >= reach).toBe(true);
        }
      });
    }
  });

  it('never repeats a (color, shape) pair in a scene', () => {
    for (const s of scenes) expect(new Set(s.objects.map((o) => `${o.color} ${o.shape}`)).size).toBe(s.objects.length);
  });

  it('includes small objects (about one 8-px patch) and all four background kinds', () => {
    expect(scenes.some((s) => s.objects.some((o) => o.size < 12))).toBe(true);
    expect(new Set(scenes.map((s) => s.background.kind)).size).toBe(4);
  });

  it('honours a requested object count and rejects impossible ones', () => {
    expect(sampleScene(createRng(1), 96, 8).objects).toHaveLength(8);
    expect(() => sampleScene(createRng(1), 96, 9)).toThrow(/1\.\.8/);
    expect(() => sampleScene(createRng(1), 20)).toThrow(/>= 48/);
  });

  it('names quadrants by the object centre', () => {
    const base = { shape: 'circle', color: 'red', size: 10 } as const;
    expect(quadrantOf({ ...base, x: 10, y: 80 }, 96)).toBe('bottom left');
    expect(quadrantOf({ ...base, x: 70, y: 20 }, 96)).toBe('top right');
  });
});

describe('sampleScene with crops (a large scene)', () => {
  const scenes = Array.from({ length: 300 }, (_, i) => sampleScene(createRng(i), 192, undefined, 3));

  it('records its grid and keeps every centre off the crop boundaries and the midlines', () => {
    for (const s of scenes) {
      expect(s.grid).toBe(3);
      for (const o of s.objects) {
        for (const v of [o.x, o.y]) {
          expect(Math.min(Math.abs(v - 64), Math.abs(v - 128))).toBeGreaterThanOrEqual(0.03 * 192);
          expect(Math.abs(v - 96)).toBeGreaterThan(0.06 * 192 - 1e-9);
        }
      }
    }
  });

  it('draws smaller objects than a plain scene, so that they spread over several crops', () => {
    const sides = scenes.flatMap((s) => s.objects.map((o) => o.size / 192));
    expect(Math.max(...sides)).toBeLessThanOrEqual(0.15);
    expect(sides.some((v) => v < 0.07)).toBe(true);
    const cropsUsed = scenes.map((s) => new Set(s.objects.map((o) => JSON.stringify(cropOf(o, 192, 3)))).size);
    expect(Math.max(...cropsUsed)).toBeGreaterThanOrEqual(6);
  });

  it('leaves plain scenes as they were: no grid field, the same draws for a seed', () => {
    expect(sampleScene(createRng(5), 96)).not.toHaveProperty('grid');
    expect(sampleScene(createRng(5), 96, 3)).toEqual(sampleScene(createRng(5), 96, 3));
  });

  it('rejects a grid outside 2..6', () => {
    expect(() => sampleScene(createRng(1), 192, undefined, 1)).toThrow(/2\.\.6/);
    expect(() => sampleScene(createRng(1), 192, undefined, 7)).toThrow(/2\.\.6/);
  });

  it('names the crop holding an object centre, row and column from 0', () => {
    const base = { shape: 'circle', color: 'red', size: 10 } as const;
    expect(cropOf({ ...base, x: 10, y: 180 }, 192, 3)).toEqual({ row: 2, col: 0 });
    expect(cropOf({ ...base, x: 100, y: 70 }, 192, 3)).toEqual({ row: 1, col: 1 });
  });
});
