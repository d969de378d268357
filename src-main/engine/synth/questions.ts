// Question/answer generation from a scene. Every question has exactly one correct answer in the closed
// vocabulary: referents are described until unique (shape, then shape + quadrant), and types whose
// referent cannot be made unique in this scene are skipped.
import type { Rng } from '../random/prng';
import { cropOf, quadrantOf, type Scene, type SceneObject } from './scene';
import { COLOR_NAMES, NUMBER_WORDS, QUADRANTS, SHAPE_PLURALS, SHAPES, type Color, type Shape } from './vocabulary';

export const QUESTION_TYPES = ['color', 'shape', 'count', 'position', 'existence'] as const;
/** A large scene (one with crops) also gets questions about one corner crop, which only that crop answers. */
export const LARGE_SCENE_QUESTION_TYPES = [...QUESTION_TYPES, 'region'] as const;
export type QuestionType = (typeof LARGE_SCENE_QUESTION_TYPES)[number];

export interface QuestionAnswer {
  type: QuestionType;
  question: string;
  answer: string;
}

/** "circle" or "circle at the top left": the shortest description that picks `obj` out by shape. */
function describeByShape(scene: Scene, obj: SceneObject): string | null {
  const same = scene.objects.filter((o) => o.shape === obj.shape);
  if (same.length === 1) return obj.shape;
  const q = quadrantOf(obj, scene.size);
  return same.filter((o) => quadrantOf(o, scene.size) === q).length === 1 ? `${obj.shape} at the ${q}` : null;
}

function describeByColor(scene: Scene, obj: SceneObject): string | null {
  const same = scene.objects.filter((o) => o.color === obj.color);
  if (same.length === 1) return `${obj.color} object`;
  const q = quadrantOf(obj, scene.size);
  return same.filter((o) => quadrantOf(o, scene.size) === q).length === 1 ? `${obj.color} object at the ${q}` : null;
}

function colorQuestion(scene: Scene, rng: Rng): QuestionAnswer | null {
  for (const obj of rng.shuffle(scene.objects)) {
    const ref = describeByShape(scene, obj);
    if (ref) return { type: 'color', question: `what color is the ${ref}?`, answer: obj.color };
  }
  return null;
}

function shapeQuestion(scene: Scene, rng: Rng): QuestionAnswer | null {
  for (const obj of rng.shuffle(scene.objects)) {
    const ref = describeByColor(scene, obj);
    if (ref) return { type: 'shape', question: `what shape is the ${ref}?`, answer: obj.shape };
  }
  return null;
}

function countQuestion(scene: Scene, rng: Rng): QuestionAnswer {
  const n = (pred: (o: SceneObject) => boolean) => NUMBER_WORDS[scene.objects.filter(pred).length];
  switch (rng.int(0, 2)) {
    case 0:
      return { type: 'count', question: 'how many objects are there?', answer: n(() => true) };
    case 1: {
      const shape = rng.pick(SHAPES);
      return { type: 'count', question: `how many ${SHAPE_PLURALS[shape]} are there?`, answer: n((o) => o.shape === shape) };
    }
    default: {
      const color = rng.pick(COLOR_NAMES);
      return { type: 'count', question: `how many ${color} objects are there?`, answer: n((o) => o.color === color) };
    }
  }
}

function positionQuestion(scene: Scene, rng: Rng): QuestionAnswer {
  const obj = rng.pick(scene.objects);
  return { type: 'position', question: `where is the ${obj.color} ${obj.shape}?`, answer: quadrantOf(obj, scene.size) };
}

function existenceQuestion(scene: Scene, rng: Rng): QuestionAnswer {
  const present = new Set(scene.objects.map((o) => `${o.color} ${o.shape}`));
  if (rng.next() < 0.5) {
    const obj = rng.pick(scene.objects);
    return { type: 'existence', question: `is there a ${obj.color} ${obj.shape}?`, answer: 'yes' };
  }
  const absent: Array<{ color: Color; shape: Shape }> = COLOR_NAMES.flatMap((color) =>
    SHAPES.filter((shape) => !present.has(`${color} ${shape}`)).map((shape) => ({ color, shape })),
  );
  // Prefer near misses (right color or right shape) so "no" cannot be answered from one attribute alone.
  const nearMisses = absent.filter((a) => scene.objects.some((o) => o.color === a.color || o.shape === a.shape));
  const { color, shape } = rng.pick(nearMisses.length > 0 ? nearMisses : absent);
  return { type: 'existence', question: `is there a ${color} ${shape}?`, answer: 'no' };
}

/** The objects whose centre lies in the corner crop of a large scene named like a quadrant ("top left"). */
function objectsInCorner(scene: Scene, grid: number, corner: (typeof QUADRANTS)[number]): SceneObject[] {
  const row = corner.startsWith('top') ? 0 : grid - 1;
  const col = corner.endsWith('left') ? 0 : grid - 1;
  return scene.objects.filter((o) => {
    const at = cropOf(o, scene.size, grid);
    return at.row === row && at.col === col;
  });
}

function regionQuestion(scene: Scene, rng: Rng): QuestionAnswer | null {
  if (!scene.grid) return null;
  const corner = rng.pick(QUADRANTS);
  const inside = objectsInCorner(scene, scene.grid, corner);
  if (rng.next() < 0.5) {
    return { type: 'region', question: `how many objects are in the ${corner} corner?`, answer: NUMBER_WORDS[inside.length] };
  }
  // A colour question needs one object there to refer to.
  return inside.length === 1
    ? { type: 'region', question: `what color is the object in the ${corner} corner?`, answer: inside[0].color }
    : null;
}

export function askQuestion(scene: Scene, type: QuestionType, rng: Rng): QuestionAnswer | null {
  switch (type) {
    case 'color':
      return colorQuestion(scene, rng);
    case 'shape':
      return shapeQuestion(scene, rng);
    case 'count':
      return countQuestion(scene, rng);
    case 'position':
      return positionQuestion(scene, rng);
    case 'existence':
      return existenceQuestion(scene, rng);
    case 'region':
      return regionQuestion(scene, rng);
  }
}

// Rounds in a row that may add no new question before a scene counts as exhausted. A round draws each type
// once, so while several questions are unasked a round almost always finds one; the last few can each
// be a 1-in-18 draw (one colour's count), so a scene may be given up on just short of every question it has.
const FRUITLESS_ROUNDS = 20;

/** Up to `count` distinct questions, in rounds that ask each type once in random order (so types repeat
 * only when count exceeds the number of types: 5, or 6 on a large scene). A question already asked about this scene is drawn again rather than kept, since
 * a repeat adds nothing to an evaluation and doubles one answer's weight in training. A small scene may
 * have fewer than `count` distinct questions, and then fewer are returned. */
export function generateQuestions(scene: Scene, rng: Rng, count: number): QuestionAnswer[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`questions per scene must be >= 1, got ${count}`);
  const out: QuestionAnswer[] = [];
  const asked = new Set<string>();
  for (let fruitless = 0; out.length < count && fruitless < FRUITLESS_ROUNDS;) {
    const before = out.length;
    for (const type of rng.shuffle(scene.grid ? LARGE_SCENE_QUESTION_TYPES : QUESTION_TYPES)) {
      if (out.length === count) break;
      const qa = askQuestion(scene, type, rng);
      if (qa && !asked.has(qa.question)) {
        asked.add(qa.question);
        out.push(qa);
      }
    }
    fruitless = out.length > before ? 0 : fruitless + 1;
  }
  return out;
}
