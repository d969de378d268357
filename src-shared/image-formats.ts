// The one list of photo formats the app reads, for every door a photo comes in by: the folder walk and the
// header check of an import, `vtc ask --image`, the engine's decoder, Electron's open dialog and the renderer's
// picker and drop filter. It is what sharp's prebuilt libvips decodes, less what is not a photo: SVG can pull in
// other files and is drawn, not photographed, and BMP is absent because that libvips has no BMP loader
// (see `sharp.format`). No Node or DOM imports: the renderer uses it too.

export interface ImageFormat {
  /** The name people know it by. */
  label: string;
  /** The name sharp's `metadata().format` reports for it. */
  sharp: string;
  /** File name endings, lower case, with the dot. */
  extensions: readonly string[];
  mime: string;
}

export const IMAGE_FORMATS: readonly ImageFormat[] = [
  { label: 'JPEG', sharp: 'jpeg', extensions: ['.jpg', '.jpeg', '.jpe', '.jfif'], mime: 'image/jpeg' },
  { label: 'PNG', sharp: 'png', extensions: ['.png'], mime: 'image/png' },
  { label: 'WebP', sharp: 'webp', extensions: ['.webp'], mime: 'image/webp' },
  { label: 'GIF', sharp: 'gif', extensions: ['.gif'], mime: 'image/gif' },
  { label: 'TIFF', sharp: 'tiff', extensions: ['.tif', '.tiff'], mime: 'image/tiff' },
  // sharp names AVIF's container 'heif'; an HEVC-coded HEIC photo in the same container does not decode and is
  // refused by its compression (isUndecodableHeif in src-main/engine/image/decode-image.ts).
  { label: 'AVIF', sharp: 'heif', extensions: ['.avif'], mime: 'image/avif' },
];

export const IMAGE_EXTENSIONS: readonly string[] = IMAGE_FORMATS.flatMap((f) => f.extensions);

/** For messages: "JPEG, PNG, WebP, GIF, TIFF or AVIF". */
export const IMAGE_FORMAT_NAMES = `${IMAGE_FORMATS.slice(0, -1)
  .map((f) => f.label)
  .join(', ')} or ${IMAGE_FORMATS.at(-1)!.label}`;

/** The `accept` attribute of a file input: the extensions, so a picker offers exactly what import takes. */
export const IMAGE_ACCEPT = IMAGE_EXTENSIONS.join(',');

/**
 * Photos people do have that the app cannot read. A folder import still picks them up, so that the report says
 * why each was refused instead of skipping it silently; no picker offers them.
 */
export const UNREADABLE_PHOTO_EXTENSIONS: readonly string[] = ['.heic', '.heif', '.bmp'];

/** The file name's ending from its last dot, lower case ('' when there is none). */
export function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

export function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extensionOf(name));
}

export function isSharpImageFormat(format: string | undefined): boolean {
  return IMAGE_FORMATS.some((f) => f.sharp === format);
}
