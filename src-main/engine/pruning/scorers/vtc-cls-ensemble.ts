// VTC-CLS ensemble: [CLS] attention SUMMED over the last K layers ending at the penultimate one.
// The reference code (THU-MIG/VTC-CLS) starts at layer 16 of CLIP-L's 24, i.e. 0-based layers
// 16..22: K = 7 is that default for any depth.
import { EngineError } from '../../errors';
import type { Scorer, ScorerOptions } from '../types';
import { penultimateLayer, summedLayerScores } from './attention-layers';

export const DEFAULT_ENSEMBLE_LAYERS = 7;

/** 0-based layers summed for a given encoder depth, ascending. */
export function ensembleLayers(layerCount: number, options: ScorerOptions): number[] {
  const last = penultimateLayer(layerCount);
  const available = last + 1;
  const asked = options.ensembleLayers;
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 1 || asked > available)) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `ensemble layer count must be a whole number from 1 to ${available} for a ${layerCount}-layer encoder, got ${asked}`,
    );
  }
  // Shallow encoders (test fixtures) have fewer layers than the default: use all up to the penultimate.
  const k = asked ?? Math.min(DEFAULT_ENSEMBLE_LAYERS, available);
  return Array.from({ length: k }, (_, i) => last - k + 1 + i);
}

export const vtcClsEnsembleScorer: Scorer = {
  method: 'vtc-cls-ensemble',
  needs: (layerCount, options) => ({ kind: 'cls', layers: ensembleLayers(layerCount, options) }),
  score: (ctx) => summedLayerScores(vtcClsEnsembleScorer, ctx),
};
