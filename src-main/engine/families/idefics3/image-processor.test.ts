import { describe, expect, it } from 'vitest';
import { readModelFolder } from '../../model/read-model-folder';
import { fixtureDir } from '../../test/paths';
import {
  cropCount,
  downsampledEdge,
  idefics3ImageSettings,
  longestEdgeSize,
  preprocessIdefics3,
  tileAlignedSize,
  type Idefics3ImageSettings,
} from './image-processor';

describe('idefics3ImageSettings', () => {
  it("reads the fixture's (SmolVLM's) preprocessor config", () => {
    expect(idefics3ImageSettings(readModelFolder(fixtureDir('tiny-smolvlm')).preprocessorConfig)).toEqual({
      longestEdge: 2048,
      tileSize: 512,
      doResize: true,
      doSplit: true,
      rescale: 1 / 255,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    });
  });

  it("falls back to Idefics3's defaults (364 px tiles, 4 per side) for an empty config", () => {
    expect(idefics3ImageSettings({})).toEqual({
      longestEdge: 1456,
      tileSize: 364,
      doResize: true,
      doSplit: true,
      rescale: 1 / 255,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    });
  });

  it('turns off rescaling and normalisation when the config does', () => {
    const s = idefics3ImageSettings({ do_rescale: false, do_normalize: false, image_mean: [0.1, 0.2, 0.3], do_image_splitting: false });
    expect([s.rescale, s.mean, s.std, s.doSplit]).toEqual([1, [0, 0, 0], [1, 1, 1], false]);
  });

  it('spreads a single mean and std over the three channels', () => {
    const s = idefics3ImageSettings({ image_mean: 0.25, image_std: 2 });
    expect([s.mean, s.std]).toEqual([
      [0.25, 0.25, 0.25],
      [2, 2, 2],
    ]);
  });
});

describe('longestEdgeSize and tileAlignedSize on the test photos', () => {
  // [photo size] → longest edge 2048 → both sides up to multiples of 512 → rows x cols tiles.
  it.each([
    ['chelsea', 451, 300, [2048, 1362], [2048, 1536], 3, 4],
    ['astronaut', 512, 512, [2048, 2048], [2048, 2048], 4, 4],
    ['coffee', 600, 400, [2048, 1365], [2048, 1536], 3, 4],
    ['coins', 384, 303, [2048, 1616], [2048, 2048], 4, 4],
    ['hubble', 1000, 872, [2048, 1785], [2048, 2048], 4, 4],
    ['rocket', 640, 427, [2048, 1366], [2048, 1536], 3, 4],
    ['chelsea turned', 300, 451, [1362, 2048], [1536, 2048], 4, 3],
  ])('%s %ix%i → %j → %j', (_name, w, h, resized, aligned, rows, cols) => {
    expect(longestEdgeSize(w, h, 2048)).toEqual(resized);
    const [W, H] = tileAlignedSize(resized[0], resized[1], 512);
    expect([W, H]).toEqual(aligned);
    expect([H / 512, W / 512]).toEqual([rows, cols]);
  });

  it('scales down as well as up', () => {
    expect(longestEdgeSize(4000, 3000, 2048)).toEqual([2048, 1536]);
  });

  it('takes a small image up to one tile', () => {
    expect(tileAlignedSize(100, 50, 512)).toEqual([512, 512]);
  });

  it('keeps at least 1 px and one tile on the short side of a very thin strip', () => {
    expect(longestEdgeSize(5000, 2, 2048)).toEqual([2048, 1]);
    expect(longestEdgeSize(3, 9000, 2048)).toEqual([1, 2048]);
    expect(tileAlignedSize(2048, 1, 512)).toEqual([2048, 512]);
    expect(tileAlignedSize(1, 2048, 512)).toEqual([512, 2048]);
  });
});

describe("cropCount and downsampledEdge (the crop budget's downsampling baseline)", () => {
  const smolvlm = idefics3ImageSettings(readModelFolder(fixtureDir('tiny-smolvlm')).preprocessorConfig);

  it('counts the crops the processor cuts, none for a photo that fits one tile', () => {
    // chelsea.png, 451 x 300: 2048 x 1362, stretched to 2048 x 1536, 4 x 3 crops.
    expect(cropCount(451, 300, smolvlm, 2048)).toBe(12);
    expect(cropCount(451, 300, smolvlm, 512)).toBe(0);
  });

  it('steps the longest edge down a tile at a time to at most the share of crops asked for', () => {
    expect(downsampledEdge(451, 300, smolvlm, 0.5)).toBe(1536);
    expect(cropCount(451, 300, smolvlm, 1536)).toBe(6);
    // 192 px scenes in 64 px tiles: 9 crops; half is 5 at most, which 2 x 2 is.
    const small = { ...smolvlm, longestEdge: 192, tileSize: 64 };
    expect(downsampledEdge(192, 192, small, 0.5)).toBe(128);
    expect(downsampledEdge(192, 192, small, 1)).toBe(192);
    // No square edge gives a single crop: the least is one tile, a single view.
    expect(downsampledEdge(192, 192, small, 0.01)).toBe(64);
  });
});

describe('preprocessIdefics3', () => {
  // 4 px tiles make every value checkable by hand. Left half of the 8x4 image is L, right half R.
  const settings: Idefics3ImageSettings = {
    longestEdge: 8,
    tileSize: 4,
    doResize: true,
    doSplit: true,
    rescale: 1 / 255,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
  };
  const L = [255, 0, 51];
  const R = [0, 255, 204];
  const image = { width: 8, height: 4, data: Uint8Array.from(Array.from({ length: 32 }, (_, p) => (p % 8 < 4 ? L : R)).flat()) };
  const norm = (rgb: number[]) => rgb.map((v) => (v / 255 - 0.5) / 0.5);

  /** Channel c of tile t as rows of 4. */
  const plane = (pixels: Float32Array, t: number, c: number) =>
    [0, 1, 2, 3].map((y) => Array.from(pixels.subarray(t * 48 + c * 16 + y * 4, t * 48 + c * 16 + y * 4 + 4)));

  it('cuts the image into rows x cols tiles plus a global view, with their places in the photo', async () => {
    const px = await preprocessIdefics3(image, settings);
    expect([px.tiles, px.rows, px.cols, px.tileSize, px.pixelValues.length]).toEqual([3, 1, 2, 4, 3 * 3 * 16]);
    expect(px.grid).toEqual([
      { x: 0, y: 0, width: 0.5, height: 1, global: false },
      { x: 0.5, y: 0, width: 0.5, height: 1, global: false },
      { x: 0, y: 0, width: 1, height: 1, global: true },
    ]);
  });

  it('normalises each tile and squeezes the whole image into the global view', async () => {
    const px = await preprocessIdefics3(image, settings);
    const [l, r] = [norm(L), norm(R)];
    for (let c = 0; c < 3; c++) {
      const close = (rows: number[][], expected: number[]) =>
        rows.forEach((row) => row.forEach((v, x) => expect(v).toBeCloseTo(expected[x], 5)));
      close(plane(px.pixelValues, 0, c), [l[c], l[c], l[c], l[c]]);
      close(plane(px.pixelValues, 1, c), [r[c], r[c], r[c], r[c]]);
      // 8 → 4 columns: each output column averages two source columns, all on one side of the edge.
      close(plane(px.pixelValues, 2, c), [l[c], l[c], r[c], r[c]]);
    }
  });

  it('gives one global view (0 x 0) when splitting is off', async () => {
    const px = await preprocessIdefics3(image, { ...settings, doSplit: false });
    expect([px.tiles, px.rows, px.cols, px.pixelValues.length]).toEqual([1, 0, 0, 48]);
    expect(px.grid).toEqual([{ x: 0, y: 0, width: 1, height: 1, global: true }]);
  });

  it('cuts a 1 px high strip into one row of tiles', async () => {
    const strip = { width: 40, height: 1, data: new Uint8Array(40 * 3).fill(255) };
    const px = await preprocessIdefics3(strip, settings);
    expect([px.tiles, px.rows, px.cols]).toEqual([3, 1, 2]);
    px.pixelValues.forEach((v) => expect(v).toBeCloseTo(1, 5));
  });

  it('gives one view when the image fits in a tile', async () => {
    const small = { width: 3, height: 2, data: new Uint8Array(18).fill(255) };
    const px = await preprocessIdefics3(small, { ...settings, longestEdge: 3 });
    expect([px.tiles, px.rows, px.cols]).toEqual([1, 0, 0]);
    px.pixelValues.forEach((v) => expect(v).toBeCloseTo(1, 5));
  });
});
