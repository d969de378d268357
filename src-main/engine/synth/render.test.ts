import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { renderScenePng, sceneToSvg } from './render';
import type { Scene } from './scene';
import { COLORS } from './vocabulary';

const scene: Scene = {
  size: 96,
  background: { kind: 'solid', color: [128, 128, 128] },
  objects: [
    { shape: 'square', color: 'red', size: 20, x: 20, y: 20 },
    { shape: 'circle', color: 'blue', size: 16, x: 70, y: 70 },
  ],
};

describe('render', () => {
  it('writes one SVG element per object part over the background', () => {
    const svg = sceneToSvg(scene);
    expect(svg).toMatch(/^<svg [^>]*width="96"/);
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg.match(/<rect /g)).toHaveLength(2);
  });

  it('rasterises objects in their colours at their centres on the background', async () => {
    const { data, info } = await sharp(await renderScenePng(scene))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([96, 96, 3]);
    const px = (x: number, y: number) => Array.from(data.subarray((y * 96 + x) * 3, (y * 96 + x) * 3 + 3));
    expect(px(20, 20)).toEqual([...COLORS.red]);
    expect(px(70, 70)).toEqual([...COLORS.blue]);
    expect(px(48, 5)).toEqual([128, 128, 128]);
  });

  it('renders every background kind to a full-size picture', async () => {
    const kinds: Scene['background'][] = [
      { kind: 'gradient', from: [20, 20, 20], to: [220, 220, 220], angle: 0 },
      { kind: 'noise', color: [100, 100, 100], frequency: 0.1, noiseSeed: 3 },
      { kind: 'stripes', color: [90, 90, 90], stripe: [150, 150, 150], width: 4, angle: 0 },
    ];
    for (const background of kinds) {
      const { data } = await sharp(await renderScenePng({ ...scene, background }))
        .raw()
        .toBuffer({ resolveWithObject: true });
      const greys = new Set<number>();
      for (let i = 0; i < 96 * 10 * 3; i += 3) greys.add(data[i]);
      expect(greys.size).toBeGreaterThan(1);
    }
  });
});
