// The pruning methods, and what the app says about each: the menu's one-line description and the heatmap
// legend naming the score shown. Data only, so the renderer renders it and the engine's registry is checked against it.

/** Token-importance methods. `full` is not a method: it is the unpruned run. */
export const PRUNING_METHODS = [
  'vtc-cls',
  'vtc-cls-ensemble',
  'received',
  'vtc-cls-diverse',
  'explain',
  'fastv',
  'pool',
  'random',
  'uniform',
] as const;
export type PruningMethod = (typeof PRUNING_METHODS)[number];

export interface PruningMethodInfo {
  label: string;
  /** One line for the method menu. */
  description: string;
  /** The heatmap legend: names the score actually shown. */
  legend: string;
  /** The ranking reads the question, so it changes from question to question on one photo. */
  questionDependent: boolean;
}

export const PRUNING_METHOD_INFO: Record<PruningMethod, PruningMethodInfo> = {
  'vtc-cls': {
    label: 'VTC-CLS',
    description: 'Keeps the patches the [CLS] token attends to most (penultimate encoder layer).',
    legend: 'low → high [CLS] attention',
    questionDependent: false,
  },
  'vtc-cls-ensemble': {
    label: 'VTC-CLS ensemble',
    description: '[CLS] attention summed over the last encoder layers up to the penultimate.',
    legend: 'low → high [CLS] attention, summed over layers',
    questionDependent: false,
  },
  received: {
    label: 'Attention received',
    description: 'Keeps the patches all others attend to most; for encoders without a [CLS] token.',
    legend: 'low → high attention received',
    questionDependent: false,
  },
  'vtc-cls-diverse': {
    label: 'VTC-CLS + diversity',
    description: '[CLS] attention as quality, then a diverse set of features (DPP greedy MAP).',
    legend: 'low → high [CLS] attention',
    questionDependent: false,
  },
  explain: {
    label: 'Explain (trained)',
    description: "A small trained network predicts each token's relevance to the question (arXiv 2506.01097).",
    legend: 'low → high relevance to this question, as the trained compressor predicts it',
    questionDependent: true,
  },
  fastv: {
    label: 'FastV',
    description: "Keeps the tokens the question's last token attends to at the LLM's second layer.",
    legend: 'low → high LLM attention from the last prompt token (layer 2)',
    questionDependent: true,
  },
  pool: {
    label: 'Average pooling',
    description: 'Averages neighbouring tokens (2x2 for 25%, 3x3 for 11%); no ranking.',
    legend: 'no ranking: neighbouring tokens are averaged',
    questionDependent: false,
  },
  random: {
    label: 'Random (baseline)',
    description: 'A seeded random subset.',
    legend: 'low → high random score',
    questionDependent: false,
  },
  uniform: {
    label: 'Uniform grid (baseline)',
    description: 'Tokens evenly spread over the image.',
    legend: 'early → late in the even spread',
    questionDependent: false,
  },
};
