// [CLS] attention plus diversity (the HoloV / DivPrune idea, CDPruner's selection): the penultimate layer's [CLS]
// scores are the quality of a DPP over the features' cosine similarity (../select-diverse.ts). Question-independent,
// so the per-photo cache serves it like vtc-cls.
import type { Scorer } from '../types';
import { penultimateLayer, summedLayerScores } from './attention-layers';

export const vtcClsDiverseScorer: Scorer = {
  method: 'vtc-cls-diverse',
  needs: (layerCount) => ({ kind: 'cls', layers: [penultimateLayer(layerCount)] }),
  score: (ctx) => summedLayerScores(vtcClsDiverseScorer, ctx),
  selector: 'diverse',
};
