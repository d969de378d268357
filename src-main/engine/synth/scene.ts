// Scene sampling: 1 to 8 non-overlapping objects of distinct (color, shape) on a muted background.
// Distinct (color, shape) pairs make "the red circle" a unique referent; keeping object centres off the
// image midlines makes every object's quadrant unambiguous.
import type { Rng } from '../random/prng';
import { COLOR_NAMES, MAX_OBJECTS, SHAPES, type Color, type Quadrant, type Shape } from './vocabulary';

export type Rgb = readonly [number, number, number];

export type Background =
  | { kind: 'solid'; color: Rgb }
  | { kind: 'gradient'; from: Rgb; to: Rgb; angle: number }
  | { kind: 'noise'; color: Rgb; frequency: number; noiseSeed: number }
  | { kind: 'stripes'; color: Rgb; stripe: Rgb; width: number; angle: number };

export interface SceneObject {
  shape: Shape;
  color: Color;
  /** Side of the bounding box, pixels. */
  size: number;
  /** Centre, pixels from the top-left corner. */
  x: number;
  y: number;
}

export interface Scene {
  size: number;
  background: Background;
  objects: SceneObject[];
  /** Crops per side of a large scene (a tiling model cuts it into grid x grid crops); absent for a plain one. */
  grid?: number;
}

// Object sides as fractions of the image side; small ones are about one 8-px patch at 96 px.
const SIZE_CLASSES = [
  { weight: 0.35, min: 0.09, max: 0.13 },
  { weight: 0.4, min: 0.15, max: 0.21 },
  { weight: 0.25, min: 0.23, max: 0.3 },
] as const;
// A large scene's objects are smaller against the whole, so that each sits in a crop of its own and the
// small ones are a few pixels in the downsized global view: what a crop budget has to choose between.
const LARGE_SIZE_CLASSES = [
  { weight: 0.35, min: 0.05, max: 0.07 },
  { weight: 0.4, min: 0.08, max: 0.11 },
  { weight: 0.25, min: 0.12, max: 0.15 },
] as const;
type SizeClasses = typeof SIZE_CLASSES | typeof LARGE_SIZE_CLASSES;
const MIDLINE_CLEARANCE = 0.06;
// Centres stay this far (fraction of the side) off crop boundaries, so every object's crop is unambiguous.
const CROP_CLEARANCE = 0.03;
const GAP_PX = 2;
const PLACEMENT_TRIES = 200;
const SHRINK = 0.85;

export const MIN_SCENE_SIZE = 48;
/** A large scene is at least 2 crops per side; beyond 6 its small objects would vanish in the global view. */
export const MIN_GRID = 2;
export const MAX_GRID = 6;

/** Row and column (0-based) of the crop holding the object's centre in a grid x grid scene. */
export function cropOf(obj: SceneObject, sceneSize: number, grid: number): { row: number; col: number } {
  const cell = (v: number) => Math.min(grid - 1, Math.floor((v / sceneSize) * grid));
  return { row: cell(obj.y), col: cell(obj.x) };
}

export function quadrantOf(obj: SceneObject, sceneSize: number): Quadrant {
  const top = obj.y < sceneSize / 2;
  const left = obj.x < sceneSize / 2;
  return `${top ? 'top' : 'bottom'} ${left ? 'left' : 'right'}` as Quadrant;
}

function mutedColor(rng: Rng): Rgb {
  // Low saturation keeps the six object colors the only saturated things in the picture.
  const grey = rng.uniform(0.12, 0.9) * 255;
  const tint = () => Math.round(Math.min(255, Math.max(0, grey + rng.uniform(-22, 22))));
  return [tint(), tint(), tint()];
}

function sampleBackground(rng: Rng): Background {
  const base = mutedColor(rng);
  switch (rng.pick(['solid', 'gradient', 'noise', 'stripes'] as const)) {
    case 'solid':
      return { kind: 'solid', color: base };
    case 'gradient':
      return { kind: 'gradient', from: base, to: mutedColor(rng), angle: rng.int(0, 359) };
    case 'noise':
      return { kind: 'noise', color: base, frequency: rng.uniform(0.04, 0.25), noiseSeed: rng.int(0, 9999) };
    case 'stripes': {
      const stripe = base.map((c) => Math.round(Math.min(255, Math.max(0, c + rng.uniform(-40, 40))))) as unknown as Rgb;
      return { kind: 'stripes', color: base, stripe, width: rng.int(2, 8), angle: rng.int(0, 179) };
    }
  }
}

function sampleSide(rng: Rng, sceneSize: number, classes: SizeClasses): number {
  let r = rng.next();
  for (const c of classes) {
    if (r < c.weight) return rng.uniform(c.min, c.max) * sceneSize;
    r -= c.weight;
  }
  const last = classes[classes.length - 1];
  return rng.uniform(last.min, last.max) * sceneSize;
}

function overlaps(a: { x: number; y: number; size: number }, b: SceneObject): boolean {
  const reach = (a.size + b.size) / 2 + GAP_PX;
  return Math.abs(a.x - b.x) < reach && Math.abs(a.y - b.y) < reach;
}

function nearCropBoundary(v: number, sceneSize: number, grid: number): boolean {
  const cell = sceneSize / grid;
  const fromBoundary = Math.abs(v / cell - Math.round(v / cell)) * cell;
  return fromBoundary < CROP_CLEARANCE * sceneSize;
}

function place(rng: Rng, side: number, sceneSize: number, placed: SceneObject[], grid?: number): { x: number; y: number } | null {
  const half = side / 2;
  const clearance = MIDLINE_CLEARANCE * sceneSize;
  for (let i = 0; i < PLACEMENT_TRIES; i++) {
    const x = rng.uniform(half + 1, sceneSize - half - 1);
    const y = rng.uniform(half + 1, sceneSize - half - 1);
    if (Math.abs(x - sceneSize / 2) < clearance || Math.abs(y - sceneSize / 2) < clearance) continue;
    if (grid && (nearCropBoundary(x, sceneSize, grid) || nearCropBoundary(y, sceneSize, grid))) continue;
    if (!placed.some((p) => overlaps({ x, y, size: side }, p))) return { x, y };
  }
  return null;
}

/** A scene of `sceneSize` px; with `grid`, a large one meant to be cut into grid x grid crops (see LARGE_SIZE_CLASSES). */
export function sampleScene(rng: Rng, sceneSize: number, objectCount?: number, grid?: number): Scene {
  if (!Number.isInteger(sceneSize) || sceneSize < MIN_SCENE_SIZE) {
    throw new RangeError(`scene size must be an integer >= ${MIN_SCENE_SIZE} px, got ${sceneSize}`);
  }
  if (grid !== undefined && (!Number.isInteger(grid) || grid < MIN_GRID || grid > MAX_GRID)) {
    throw new RangeError(`crops per side must be an integer in ${MIN_GRID}..${MAX_GRID}, got ${grid}`);
  }
  const count = objectCount ?? rng.int(1, MAX_OBJECTS);
  if (!Number.isInteger(count) || count < 1 || count > MAX_OBJECTS) {
    throw new RangeError(`object count must be an integer in 1..${MAX_OBJECTS}, got ${count}`);
  }
  const background = sampleBackground(rng);
  const pairs = rng.shuffle(COLOR_NAMES.flatMap((color) => SHAPES.map((shape) => ({ color, shape }))));
  const objects: SceneObject[] = [];
  const classes = grid ? LARGE_SIZE_CLASSES : SIZE_CLASSES;
  const minSide = classes[0].min * sceneSize;
  for (const { color, shape } of pairs.slice(0, count)) {
    let side = sampleSide(rng, sceneSize, classes);
    let spot = place(rng, side, sceneSize, objects, grid);
    // A crowded scene shrinks the newcomer rather than dropping it, so the count stays as sampled.
    while (!spot && side > minSide) {
      side = Math.max(minSide, side * SHRINK);
      spot = place(rng, side, sceneSize, objects, grid);
    }
    if (!spot) throw new Error(`could not place ${count} objects in a ${sceneSize}px scene`);
    objects.push({ shape, color, size: side, ...spot });
  }
  return grid ? { size: sceneSize, background, objects, grid } : { size: sceneSize, background, objects };
}
