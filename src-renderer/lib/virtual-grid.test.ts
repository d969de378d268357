import { describe, expect, it } from 'vitest';
import { gridWindow } from './virtual-grid';

const base = { viewportWidth: 1000, viewportHeight: 600, scrollTop: 0, minTileSize: 160, gap: 8, overscanRows: 1 };

describe('gridWindow', () => {
  it('fits as many columns as the minimum tile size allows and stretches tiles to fill the row', () => {
    const w = gridWindow({ ...base, itemCount: 100 });
    // (1000 + 8) / (160 + 8) = 6 columns; (1000 - 5 * 8) / 6 = 160
    expect(w.columns).toBe(6);
    expect(w.tileSize).toBeCloseTo(160);
    const wider = gridWindow({ ...base, viewportWidth: 1100, itemCount: 100 });
    expect(wider.columns).toBe(6);
    expect(wider.tileSize * 6 + 5 * 8).toBeCloseTo(1100);
  });

  it('renders only the visible rows plus overscan for 10,000 items', () => {
    const w = gridWindow({ ...base, itemCount: 10_000, scrollTop: 50_000 });
    const rendered = w.end - w.start;
    expect(rendered).toBeLessThanOrEqual(w.columns * (Math.ceil(600 / w.rowHeight) + 3));
    expect(w.start % w.columns).toBe(0);
    // The first rendered row sits at or above the viewport top, the last at or below its bottom.
    expect(w.offsetY).toBeLessThanOrEqual(50_000);
    const renderedRows = Math.ceil(rendered / w.columns);
    expect(w.offsetY + renderedRows * w.rowHeight).toBeGreaterThanOrEqual(50_000 + 600);
    expect(w.totalRows).toBe(Math.ceil(10_000 / 6));
    expect(w.totalHeight).toBe(w.totalRows * w.rowHeight - 8);
  });

  it('clamps a scroll position past the end so the last rows are still rendered', () => {
    const w = gridWindow({ ...base, itemCount: 20, scrollTop: 1e9 });
    expect(w.end).toBe(20);
    expect(w.start).toBeLessThan(20);
  });

  it('handles an empty library and a viewport narrower than one tile', () => {
    const empty = gridWindow({ ...base, itemCount: 0 });
    expect(empty).toMatchObject({ start: 0, end: 0, totalHeight: 0, totalRows: 0 });
    const narrow = gridWindow({ ...base, viewportWidth: 90, itemCount: 3 });
    expect(narrow.columns).toBe(1);
    expect(narrow.tileSize).toBe(160);
    expect(narrow.end).toBe(3);
  });

  it('rejects a non-positive tile size and a negative gap', () => {
    expect(() => gridWindow({ ...base, itemCount: 1, minTileSize: 0 })).toThrow(/minTileSize/);
    expect(() => gridWindow({ ...base, itemCount: 1, gap: -1 })).toThrow(/gap/);
  });
});
