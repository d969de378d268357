// The closed world of the synthetic scenes: every answer is one of these words (or a two-word position),
// so that a small word-level tokenizer covers every question and answer.

export const COLORS = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [40, 80, 225],
  yellow: [240, 210, 40],
  purple: [145, 60, 195],
  orange: [245, 130, 30],
} as const satisfies Record<string, readonly [number, number, number]>;

export type Color = keyof typeof COLORS;
export const COLOR_NAMES = Object.keys(COLORS) as Color[];

export const SHAPES = ['circle', 'square', 'triangle', 'cross'] as const;
export type Shape = (typeof SHAPES)[number];
export const SHAPE_PLURALS: Record<Shape, string> = {
  circle: 'circles',
  square: 'squares',
  triangle: 'triangles',
  cross: 'crosses',
};

export const QUADRANTS = ['top left', 'top right', 'bottom left', 'bottom right'] as const;
export type Quadrant = (typeof QUADRANTS)[number];

export const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'] as const;

export const MAX_OBJECTS = 8;

/** Every word an answer can contain. */
export const ANSWER_WORDS: readonly string[] = [
  ...COLOR_NAMES,
  ...SHAPES,
  ...NUMBER_WORDS,
  ...new Set(QUADRANTS.flatMap((q) => q.split(' '))),
  'yes',
  'no',
];
