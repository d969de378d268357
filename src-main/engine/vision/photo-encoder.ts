// Photo → visual tokens: decode, preprocess with the family's processor, run the vision encoder. A question whose
// method reads no attention runs the model's own graph; one that does runs an instrumented copy that also outputs
// the attention summaries of just the layers and kind that method reads (see surgery/). Features and scores go
// into the per-photo cache, so the next question on the same photo skips decoding, preprocessing and the encoder,
// and scores are computed once per photo.
import type { InferenceSession } from 'onnxruntime-node';
import type { CompareStage } from '../../../src-shared/api';
import { FeatureCache } from '../cache/feature-cache';
import { featureCacheKey } from '../cache/hash';
import { sha256File } from '../storage/file-hash';
import type { CachedVision, JsonValue } from '../cache/entry-format';
import { EngineError } from '../errors';
import { attentionKinds, type ModelFamily, type PhotoLayout } from '../families/family';
import { decodeImageFile, type RgbImage } from '../image/decode-image';
import { onnxPath, type ModelFolder } from '../model/read-model-folder';
import { expectNames, openSession, sessionOptions, type SessionSettings } from '../model/sessions';
import type { Variant } from '../model/variants';
import { visualSequence } from '../pruning/sequence';
import type { AttentionScores, ScorerNeeds } from '../pruning/types';
import { countAttentionLayers } from '../surgery/find-attention-layers';
import { instrumentVisionEncoder } from '../surgery/instrument-vision-encoder';
import { createInstrumentedSession } from '../surgery/instrumented-session';
import { readOnnxModel } from '../surgery/onnx-model-file';
import { runInTileChunks, tileSlice } from './tile-chunks';
import { readAttention, readFeatures } from './vision-outputs';

/** The photo's own progress: reading it, then its tiles through the encoder (none when the cache has them). */
export type PhotoStage = Extract<CompareStage, { stage: 'reading' | 'encoding' }>;

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
  /** Tiles per encoder run, for families whose tiles are encoded independently; bounds the encoder's memory. */
  tilesPerRun?: number;
}

const DEFAULT_CACHE_BYTES = 2 * 1024 ** 3;
/**
 * Measured on SmolVLM-256M's shape (fp32, chelsea.png's 13 tiles, 2 cores, process CPU time and peak RSS, two
 * runs each): 1 tile per run 21.7 s and 1.28 GB, 2: 25.6 s and 1.47 GB, 4: 26.1 s and 1.86 GB, all 13 in one run:
 * 34.1 s and 3.94 GB. Here smaller runs were both leaner and faster.
 */
export const DEFAULT_TILES_PER_RUN = 1;

/** What a question without an attention-based method needs from the encoder. */
export const NO_ATTENTION: ScorerNeeds = { kind: 'none', layers: [] };

interface OpenEncoder {
  /** 'plain', or the kind and layers the instrumented graph outputs. */
  key: string;
  session: InferenceSession;
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

/** Attention layers in the graph, or why the graph offers none (the attention methods are then off). */
function graphAttention(path: string): { layers: number; unavailable?: string } {
  const layers = countAttentionLayers(readOnnxModel(path));
  if (layers > 0) return { layers };
  return {
    layers,
    unavailable: `${path} has no attention layers (no Softmax feeding a MatMul, no com.microsoft MultiHeadAttention or Attention)`,
  };
}

const needsKey = (needs: ScorerNeeds) => (needs.kind === 'none' ? 'plain' : `${needs.kind}:${needs.layers.join(',')}`);

/** Whether `attention` holds every layer `needs` reads. */
function covers(attention: AttentionScores | undefined, needs: ScorerNeeds): boolean {
  if (needs.kind === 'none') return true;
  const layers = attention?.byKind[needs.kind];
  return !!layers && needs.layers.every((l) => layers.has(l));
}

/** Scores of both, the newer winning: a photo's entry gathers the layers its questions have needed. */
function mergeAttention(older: AttentionScores | undefined, newer: AttentionScores | undefined): AttentionScores | undefined {
  if (!older || !newer) return newer ?? older;
  const byKind = { ...older.byKind };
  for (const [kind, layers] of Object.entries(newer.byKind) as [keyof AttentionScores['byKind'], AttentionScores['byKind']['cls']][]) {
    byKind[kind] = new Map([...(byKind[kind] ?? []), ...layers!]);
  }
  return { layerCount: newer.layerCount, byKind };
}

export class PhotoEncoder {
  /** One encoder session at a time: the plain and each instrumented graph would each hold the weights. */
  private open?: OpenEncoder;

  private constructor(
    private readonly options: PhotoEncoderOptions,
    private readonly path: string,
    private readonly sourceSha256: string,
    private readonly layerCount: number,
    private readonly unavailable: string | undefined,
    private readonly cache: FeatureCache | undefined,
    private readonly cacheIdentity: { modelId: string; variant: string; processor: unknown },
  ) {}

  static async create(options: PhotoEncoderOptions): Promise<PhotoEncoder> {
    const path = onnxPath(options.folder, options.family.modules.vision, options.variant);
    const session = await openSession(path, options.settings);
    try {
      expectNames(session, path, [], ['image_features']);
    } catch (e) {
      await session.release();
      throw e;
    }
    const graph = graphAttention(path);
    // The encoder file's content identifies the model: two folders with the same name never share entries.
    const sourceSha256 = await sha256File(path);
    const layerCount = graph.unavailable ? 0 : towerDepth(options.folder, graph.layers);
    const cache = options.cacheDir
      ? new FeatureCache({ dir: options.cacheDir, maxBytes: options.cacheMaxBytes ?? DEFAULT_CACHE_BYTES })
      : undefined;
    const identity = {
      modelId: sourceSha256,
      variant: options.variant,
      processor: { settings: options.family.settingsKey, attention: attentionKinds(options.family.clsToken), layers: layerCount },
    };
    const encoder = new PhotoEncoder(options, path, sourceSha256, layerCount, graph.unavailable, cache, identity);
    encoder.open = { key: 'plain', session };
    return encoder;
  }

  /** Depth of the vision tower (0 when the graph offers no attention): scorers name layers by it. */
  get attentionLayerCount(): number {
    return this.layerCount;
  }

  /** Why the attention methods cannot run on this encoder, when they cannot. */
  get attentionUnavailable(): string | undefined {
    return this.unavailable;
  }

  /**
   * Features of the photo and, when `needs` asks for attention, the scores of the layers it names. Layers come
   * from the scorer: `getScorer(method).needs(attentionLayerCount, options)`.
   */
  async encode(
    imagePath: string,
    signal?: AbortSignal,
    needs: ScorerNeeds = NO_ATTENTION,
    onStage?: (stage: PhotoStage) => void,
  ): Promise<EncodedPhoto> {
    if (needs.kind !== 'none' && this.unavailable) throw new EngineError('GRAPH_NOT_INSTRUMENTABLE', this.unavailable);
    onStage?.({ stage: 'reading' });
    const t0 = performance.now();
    const key = this.cache ? featureCacheKey({ imageHash: await sha256File(imagePath).catch(() => ''), ...this.cacheIdentity }) : '';
    const hit = this.cache && (await this.cache.get(key));
    if (hit && covers(hit.attention, needs)) return this.fromCache(hit, performance.now() - t0);

    const prepared = await this.family.prepareImage(await decodeImageFile(imagePath));
    const preprocessMs = performance.now() - t0;
    if (signal?.aborted) throw new EngineError('CANCELLED', 'generation was cancelled');
    const session = await this.sessionFor(needs);
    const t1 = performance.now();
    const { visionFeeds, tileAxis, ...layout } = prepared;
    const chunks = {
      tiles: layout.tiles,
      tileAxis: tileAxis ?? 0,
      tilesPerRun: tileAxis === undefined ? layout.tiles : (this.options.tilesPerRun ?? DEFAULT_TILES_PER_RUN),
    };
    onStage?.({ stage: 'encoding', done: 0, total: layout.tiles });
    const out = await runInTileChunks(session, visionFeeds, chunks, signal, (done) =>
      onStage?.({ stage: 'encoding', done, total: layout.tiles }),
    );
    const visionMs = performance.now() - t1;
    const { features, dim } = readFeatures(out, visualSequence(layout).length);
    const attention = mergeAttention(hit ? hit.attention : undefined, readAttention(out, this.layerCount, layout.tiles));
    if (this.cache) {
      const entry: CachedVision = { features, featureDims: [features.length / dim, dim], attention, meta: layout as unknown as JsonValue };
      await this.cache.put(key, entry);
    }
    return { layout, features, dim, attention, attentionUnavailable: this.unavailable, preprocessMs, visionMs, cached: false };
  }

  private get family(): ModelFamily {
    return this.options.family;
  }

  /** The plain graph, or an instrumented one for `needs`, opened in place of whichever is open. */
  private async sessionFor(needs: ScorerNeeds): Promise<InferenceSession> {
    const key = needsKey(needs);
    if (this.open?.key === key) return this.open.session;
    await this.open?.session.release();
    this.open = undefined;
    const { settings } = this.options;
    if (needs.kind === 'none') {
      this.open = { key, session: await openSession(this.path, settings) };
      return this.open.session;
    }
    const instrumented = await instrumentVisionEncoder({
      onnxPath: this.path,
      layers: needs.layers,
      kinds: [needs.kind],
      clsToken: this.family.clsToken,
      cacheDir: this.options.graphCacheDir,
      sourceSha256: this.sourceSha256,
    });
    const session = await openSession(this.path, settings, () => createInstrumentedSession(instrumented, sessionOptions(settings)));
    this.open = { key, session };
    return session;
  }

  private fromCache(hit: CachedVision, lookupMs: number): EncodedPhoto {
    return {
      layout: hit.meta as unknown as PhotoLayout,
      features: hit.features,
      dim: hit.featureDims[1],
      attention: hit.attention,
      attentionUnavailable: this.unavailable,
      preprocessMs: lookupMs,
      visionMs: 0,
      cached: true,
    };
  }

  /**
   * Preprocesses `image` and runs the plain encoder on its first tile, caching nothing: their first-run costs
   * (memory arenas growing, pages mapped) fall here instead of on a question. One tile is enough for the encoder,
   * which runs a tile at a time anyway. The photo comes back with zero features, for warming the language model
   * on a prompt of the real length.
   */
  async warmUp(image: RgbImage): Promise<EncodedPhoto> {
    const { visionFeeds, tileAxis, ...layout } = await this.family.prepareImage(image);
    const session = await this.sessionFor(NO_ATTENTION);
    const feeds =
      tileAxis === undefined
        ? visionFeeds
        : Object.fromEntries(Object.entries(visionFeeds).map(([name, t]) => [name, tileSlice(name, t, tileAxis, layout.tiles, 0, 1)]));
    const out = await session.run(feeds);
    const tokens = visualSequence(layout).length;
    const { dim } = readFeatures(out, tileAxis === undefined ? tokens : layout.tokensPerTile);
    return { layout, features: new Float32Array(tokens * dim), dim, preprocessMs: 0, visionMs: 0, cached: false };
  }

  async dispose(): Promise<void> {
    await this.open?.session.release();
    this.open = undefined;
  }
}
