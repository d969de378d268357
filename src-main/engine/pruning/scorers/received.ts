// For encoders without a [CLS] token (SigLIP in SmolVLM): the attention each patch receives, mean
// over heads and over all queries (the VisionZip / VisPruner substitute), at the penultimate layer.
import type { Scorer } from '../types';
import { penultimateLayer, summedLayerScores } from './attention-layers';

export const receivedScorer: Scorer = {
  method: 'received',
  needs: (layerCount) => ({ kind: 'received', layers: [penultimateLayer(layerCount)] }),
  score: (ctx) => summedLayerScores(receivedScorer, ctx),
};
