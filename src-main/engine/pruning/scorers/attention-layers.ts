// What the attention-based scorers share: which layer is "penultimate", and summing pooled
// per-layer scores out of the AttentionScores the instrumented encoder delivered.
import { EngineError } from '../../errors';
import { poolPatchScores } from '../pool';
import type { Scorer, ScorerContext } from '../types';

/** LLaVA feeds the LLM the penultimate encoder layer, so VTC-CLS scores there (0-based L-2). */
export function penultimateLayer(layerCount: number): number {
  if (!Number.isInteger(layerCount) || layerCount < 2) {
    throw new EngineError('BAD_ARGUMENT', `an encoder needs at least 2 layers to have a penultimate one, got ${layerCount}`);
  }
  return layerCount - 2;
}

/** The error for a method whose attention kind the vision encoder does not offer (or did not give). */
export function attentionKindMissing(method: string, kind: string, offeredKinds: string[]): EngineError {
  const offered = offeredKinds.map((k) => `'${k}'`).join(', ') || 'none';
  return new EngineError(
    'BAD_ARGUMENT',
    kind === 'cls'
      ? `${method} needs [CLS] attention, but this vision encoder has no [CLS] token (it gave ${offered} attention): use 'received'`
      : `${method} needs '${kind}' attention, but the vision encoder gave ${offered} attention`,
  );
}

/** Pooled token scores of each layer the scorer needs, summed. */
export function summedLayerScores(scorer: Scorer, ctx: ScorerContext): Float32Array {
  const { method } = scorer;
  const { attention } = ctx;
  if (!attention) throw new EngineError('BAD_ARGUMENT', `${method} needs attention scores from the vision encoder, none were given`);
  const { kind, layers } = scorer.needs(attention.layerCount, ctx.options);
  const captured = kind === 'none' ? undefined : attention.byKind[kind];
  if (!captured) throw attentionKindMissing(method, kind, Object.keys(attention.byKind));
  let total: Float32Array | undefined;
  for (const layer of layers) {
    const perTile = captured.get(layer);
    if (!perTile) throw new EngineError('BAD_ARGUMENT', `${method} needs attention of encoder layer ${layer}, which was not captured`);
    const pooled = poolPatchScores(perTile, ctx.layout);
    if (total) for (let i = 0; i < total.length; i++) total[i] += pooled[i];
    else total = pooled;
  }
  if (!total) throw new EngineError('BAD_ARGUMENT', `${method} was given no layers to score`);
  return total;
}
