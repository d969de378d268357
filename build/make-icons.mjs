// Renders build/icon.svg to build/icon.png (1024 px), from which electron-builder derives the .ico,
// .icns and Linux icon sizes. Run after editing the SVG: node build/make-icons.mjs
import sharp from 'sharp';

const here = new URL('.', import.meta.url);
await sharp(new URL('icon.svg', here).pathname, { density: 144 }).resize(1024, 1024).png().toFile(new URL('icon.png', here).pathname);
console.log('wrote build/icon.png');
