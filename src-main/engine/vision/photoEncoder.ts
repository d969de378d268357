// Photo → visual tokens: decode, preprocess with the family's processor, run the vision encoder. The encoder
// session is the instrumented copy of the model's own graph when it can be derived, so one encoding yields both
// the features and the attention summaries the pruning scorers need; both are kept in the per-photo cache, so
// the next question on the same photo skips decoding, preprocessing and the encoder.
import type { InferenceSession } from 'onnxruntime-node';
import { FeatureCache } from '../cache/feature-cache';
import { featureCacheKey, hashFile } from '../cache/hash';
import type { CachedVision, JsonValue } from '../cache/entry-format';
import { EngineError, isEngineError } from '../errors';
import { attentionKinds, type ModelFamily, type PhotoLayout } from '../families/family';
import { decodeImageFile } from '../image/decodeImage';
import { onnxPath, type ModelFolder } from '../model/modelFolder';
import { expectNames, openSession, sessionOptions, type SessionSettings } from '../model/sessions';
import type { Variant } from '../model/variants';
import type { AttentionScores } from '../pruning/types';
import { instrumentVisionEncoder } from '../surgery/instrument-vision-encoder';
import { createInstrumentedSession } from '../surgery/instrumented-session';
import { readAttention, readFeatures } from './visionOutputs';

export interface EncodedPhoto {
  layout: PhotoLayout;
  features: Float32Array;
  dim: number;
  attention?: AttentionScores;
  /** Why there are no attention scores, when there are none. */
  attentionUnavailable?: string;
  preprocessMs: number;
  visionMs: number;
  /** True when features came from the per-photo cache and the encoder did not run. */
  cached: boolean;
}

export interface PhotoEncoderOptions {
  folder: ModelFolder;
  family: ModelFamily;
  variant: Variant;
  settings: SessionSettings;
  /** Where instrumented encoder graphs are kept (small files: the weights stay in the model folder). */
  graphCacheDir: string;
  /** Per-photo cache of features and scores; none when absent. */
  cacheDir?: string;
  cacheMaxBytes?: number;
}

const DEFAULT_CACHE_BYTES = 2 * 1024 ** 3;

interface EncoderSession {
  session: InferenceSession;
  layerCount: number;
  /** sha256 of the encoder file: it identifies the model in the per-photo cache. */
  sourceSha256: string;
  attentionUnavailable?: string;
}

/**
 * Depth of the vision tower, which "penultimate layer" refers to. LLaVA exports stop at the layer whose
 * features the LLM reads (the penultimate), so their graph holds fewer attention layers than the tower; the
 * graph's layers are still the tower's first ones, in order, so indices carry over.
 */
function towerDepth(folder: ModelFolder, graphLayers: number): number {
  const configured = folder.config.vision_config?.num_hidden_layers;
  return Number.isInteger(configured) && configured >= graphLayers ? configured : graphLayers;
}

async function openEncoder(path: string, options: PhotoEncoderOptions): Promise<EncoderSession> {
  try {
    const instrumented = await instrumentVisionEncoder({
      onnxPath: path,
      // All layers: the reduced outputs are a vector per tile per layer, and any ensemble depth stays possible.
      layers: 'all',
      modes: attentionKinds(options.family.clsToken),
      clsToken: options.family.clsToken,
      cacheDir: options.graphCacheDir,
    });
    const session = await openSession(path, options.settings, () =>
      createInstrumentedSession(instrumented, sessionOptions(options.settings)),
    );
    return { session, layerCount: towerDepth(options.folder, instrumented.layerCount), sourceSha256: instrumented.sourceSha256 };
  } catch (e) {
    // A graph we cannot instrument still answers questions in full; only the attention methods are off.
    if (!isEngineError(e) || e.code !== 'GRAPH_NOT_INSTRUMENTABLE') throw e;
    const session = await openSession(path, options.settings);
    return { session, layerCount: 0, sourceSha256: await hashFile(path), attentionUnavailable: e.message };
  }
}

export class PhotoEncoder {
  private constructor(
    private readonly family: ModelFamily,
    private readonly encoder: EncoderSession,
    private readonly cache: FeatureCache | undefined,
    private readonly cacheIdentity: { modelId: string; variant: string; processor: unknown },
  ) {}

  static async create(options: PhotoEncoderOptions): Promise<PhotoEncoder> {
    const path = onnxPath(options.folder, 'vision_encoder', options.variant);
    const encoder = await openEncoder(path, options);
    expectNames(encoder.session, path, [], ['image_features']);
    const cache = options.cacheDir
      ? new FeatureCache({ dir: options.cacheDir, maxBytes: options.cacheMaxBytes ?? DEFAULT_CACHE_BYTES })
      : undefined;
    // The encoder file's content identifies the model: two folders with the same name never share entries.
    const identity = {
      modelId: encoder.sourceSha256,
      variant: options.variant,
      processor: { settings: options.family.settingsKey, attention: attentionKinds(options.family.clsToken), layers: encoder.layerCount },
    };
    return new PhotoEncoder(options.family, encoder, cache, identity);
  }

  get attentionLayerCount(): number {
    return this.encoder.layerCount;
  }

  async encode(imagePath: string, signal?: AbortSignal): Promise<EncodedPhoto> {
    const t0 = performance.now();
    const key = this.cache ? featureCacheKey({ imageHash: await hashFile(imagePath).catch(() => ''), ...this.cacheIdentity }) : '';
    const hit = this.cache && (await this.cache.get(key));
    if (hit) return this.fromCache(hit, performance.now() - t0);

    const prepared = await this.family.prepareImage(await decodeImageFile(imagePath));
    const preprocessMs = performance.now() - t0;
    if (signal?.aborted) throw new EngineError('CANCELLED', 'generation was cancelled');
    const t1 = performance.now();
    const out = await this.encoder.session.run(prepared.visionFeeds);
    const visionMs = performance.now() - t1;
    const { visionFeeds: _pixels, ...layout } = prepared;
    const { features, dim } = readFeatures(out, layout.tiles * layout.tokensPerTile);
    const attention = readAttention(out, this.encoder.layerCount, layout.tiles);
    if (this.cache) {
      const entry: CachedVision = { features, featureDims: [features.length / dim, dim], attention, meta: layout as unknown as JsonValue };
      // Best effort: a cache that cannot save (full disk, unwritable folder) logs once and the answer goes on.
      await this.cache.put(key, entry);
    }
    return { layout, features, dim, attention, attentionUnavailable: this.encoder.attentionUnavailable, preprocessMs, visionMs, cached: false };
  }

  private fromCache(hit: CachedVision, lookupMs: number): EncodedPhoto {
    return {
      layout: hit.meta as unknown as PhotoLayout,
      features: hit.features,
      dim: hit.featureDims[1],
      attention: hit.attention,
      attentionUnavailable: this.encoder.attentionUnavailable,
      preprocessMs: lookupMs,
      visionMs: 0,
      cached: true,
    };
  }

  async dispose(): Promise<void> {
    await this.encoder.session.release();
  }
}
