// VTC-CLS, single layer: the [CLS] query's attention (mean over heads) at the penultimate layer.
import type { Scorer } from '../types';
import { penultimateLayer, summedLayerScores } from './attention-layers';

export const vtcClsScorer: Scorer = {
  method: 'vtc-cls',
  needs: (layerCount) => ({ kind: 'cls', layers: [penultimateLayer(layerCount)] }),
  score: (ctx) => summedLayerScores(vtcClsScorer, ctx),
};
