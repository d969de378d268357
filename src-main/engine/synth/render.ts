// Rendering: a scene becomes an SVG string (pure, testable) and sharp rasterises it to PNG.
import sharp from 'sharp';
import type { Background, Rgb, Scene, SceneObject } from './scene';
import { COLORS } from './vocabulary';

const rgb = (c: Rgb): string => `rgb(${c[0]},${c[1]},${c[2]})`;
const num = (v: number): string => v.toFixed(2);

function backgroundSvg(bg: Background, size: number): string {
  switch (bg.kind) {
    case 'solid':
      return `<rect width="${size}" height="${size}" fill="${rgb(bg.color)}"/>`;
    case 'gradient':
      return (
        `<defs><linearGradient id="bg" gradientTransform="rotate(${bg.angle} 0.5 0.5)">` +
        `<stop offset="0" stop-color="${rgb(bg.from)}"/><stop offset="1" stop-color="${rgb(bg.to)}"/>` +
        `</linearGradient></defs><rect width="${size}" height="${size}" fill="url(#bg)"/>`
      );
    case 'noise':
      // Grey turbulence at low opacity: texture that never reads as one of the object colours.
      return (
        `<defs><filter id="bg" x="0" y="0" width="100%" height="100%">` +
        `<feTurbulence type="fractalNoise" baseFrequency="${num(bg.frequency)}" numOctaves="2" seed="${bg.noiseSeed}"/>` +
        `<feColorMatrix type="saturate" values="0"/></filter></defs>` +
        `<rect width="${size}" height="${size}" fill="${rgb(bg.color)}"/>` +
        `<rect width="${size}" height="${size}" filter="url(#bg)" opacity="0.35"/>`
      );
    case 'stripes':
      return (
        `<defs><pattern id="bg" width="${bg.width * 2}" height="${size}" patternUnits="userSpaceOnUse" ` +
        `patternTransform="rotate(${bg.angle})"><rect width="${bg.width}" height="${size}" fill="${rgb(bg.stripe)}"/>` +
        `</pattern></defs><rect width="${size}" height="${size}" fill="${rgb(bg.color)}"/>` +
        `<rect width="${size}" height="${size}" fill="url(#bg)"/>`
      );
  }
}

function objectSvg(o: SceneObject): string {
  const fill = `fill="${rgb(COLORS[o.color])}"`;
  const h = o.size / 2;
  switch (o.shape) {
    case 'circle':
      return `<circle cx="${num(o.x)}" cy="${num(o.y)}" r="${num(h)}" ${fill}/>`;
    case 'square':
      return `<rect x="${num(o.x - h)}" y="${num(o.y - h)}" width="${num(o.size)}" height="${num(o.size)}" ${fill}/>`;
    case 'triangle': {
      const pts = [
        [o.x, o.y - h],
        [o.x + h, o.y + h],
        [o.x - h, o.y + h],
      ];
      return `<polygon points="${pts.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}" ${fill}/>`;
    }
    case 'cross': {
      // A plus sign whose arms are a third of the side wide.
      const a = o.size / 6;
      return (
        `<rect x="${num(o.x - a)}" y="${num(o.y - h)}" width="${num(2 * a)}" height="${num(o.size)}" ${fill}/>` +
        `<rect x="${num(o.x - h)}" y="${num(o.y - a)}" width="${num(o.size)}" height="${num(2 * a)}" ${fill}/>`
      );
    }
  }
}

export function sceneToSvg(scene: Scene): string {
  const s = scene.size;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${s}" height="${s}" viewBox="0 0 ${s} ${s}">` +
    backgroundSvg(scene.background, s) +
    scene.objects.map(objectSvg).join('') +
    `</svg>`
  );
}

export async function renderScenePng(scene: Scene): Promise<Buffer> {
  return sharp(Buffer.from(sceneToSvg(scene)))
    .removeAlpha()
    .png()
    .toBuffer();
}
