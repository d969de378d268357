// Weight variants of the onnx-community layout: `onnx/<module><suffix>.onnx`. The order is our preference when the
// user names none: smallest first among those that work on the provider (fp16 / q4f16 graphs fail on ORT's CPU
// provider in Node, so they are only chosen for GPU providers).
import type { ExecutionProvider } from '../../../src-shared/api';
import { EngineError } from '../errors';

/** The modules of the usual image-text-to-text export; a family may name others (see families/family.ts). */
export const MODULES = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
/** A module's file stem under `onnx/`. */
export type ModelModule = string;

export const VARIANTS = ['fp32', 'fp16', 'int8', 'uint8', 'quantized', 'q4', 'q4f16', 'bnb4'] as const;
export type Variant = (typeof VARIANTS)[number];

export function variantSuffix(v: Variant): string {
  return v === 'fp32' ? '' : `_${v}`;
}

/** Parses `decoder_model_merged_q4.onnx` → { module, variant } for one of `modules`; undefined for anything else. */
export function parseOnnxFileName(
  name: string,
  modules: readonly ModelModule[] = MODULES,
): { module: ModelModule; variant: Variant } | undefined {
  for (const module of modules) {
    if (!name.startsWith(module) || !name.endsWith('.onnx')) continue;
    const rest = name.slice(module.length, -'.onnx'.length);
    const variant = VARIANTS.find((v) => variantSuffix(v) === rest);
    if (variant) return { module, variant };
  }
  return undefined;
}

const HALF_PRECISION: ReadonlySet<Variant> = new Set(['fp16', 'q4f16']);

export function variantRunsOn(variant: Variant, ep: ExecutionProvider): boolean {
  return ep !== 'cpu' || !HALF_PRECISION.has(variant);
}

/**
 * Picks the file variant for one module. `requested` wins when present (and is an error when absent);
 * otherwise the smallest file among the variants that run on `ep`.
 */
export function pickVariant(
  module: ModelModule,
  available: ReadonlyMap<Variant, number>,
  ep: ExecutionProvider,
  requested?: Variant,
): Variant {
  if (requested) {
    if (available.has(requested)) return requested;
    const have = [...available.keys()].join(', ') || 'none';
    throw new EngineError(
      'VARIANT_MISSING',
      `variant '${requested}' of onnx/${module}${variantSuffix(requested)}.onnx is not in the model folder (available: ${have})`,
    );
  }
  const usable = [...available.entries()].filter(([v]) => variantRunsOn(v, ep));
  if (usable.length === 0) {
    throw new EngineError('VARIANT_MISSING', `no variant of onnx/${module}*.onnx in the model folder runs on the ${ep} provider`);
  }
  usable.sort((a, b) => a[1] - b[1] || VARIANTS.indexOf(a[0]) - VARIANTS.indexOf(b[0]));
  return usable[0][0];
}

export function isVariant(s: string): s is Variant {
  return (VARIANTS as readonly string[]).includes(s);
}
