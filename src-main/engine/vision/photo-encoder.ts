// Photo → visual tokens: decode, preprocess with the family's processor, run the vision encoder. A question whose
// method reads no attention runs the model's own graph; one that does runs an instrumented copy that also outputs
// the attention summaries of just the layers and kind that method reads (see surgery/). Features and scores go
// into the per-photo cache, so the next question on the same photo skips decoding, preprocessing and the encoder,
// and scores are computed once per photo.
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { CompareStage } from '../../../src-shared/api';
import { FeatureCache } from '../cache/feature-cache';
import { featureCacheKey } from '../cache/hash';
import { sha256File } from '../storage/file-hash';
import type { CachedVision, JsonValue } from '../cache/entry-format';
import { EngineError } from '../errors';
import { attentionKinds, type ModelFamily, type PhotoLayout, type PreparedImage } from '../families/family';
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
import { receivedScorer } from '../pruning/scorers/received';
import { checkCropBudget, cropImportance, cropsToKeep, keepCrops, topCrops, type CropBudget } from './crop-budget';
import { concatOutputs, runInTileChunks, selectTiles, tileSlice } from './tile-chunks';
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
    crops?: CropBudget,
  ): Promise<EncodedPhoto> {
    if (needs.kind !== 'none' && this.unavailable) throw new EngineError('GRAPH_NOT_INSTRUMENTABLE', this.unavailable);
    if (crops) checkCropBudget(crops);
    onStage?.({ stage: 'reading' });
    const t0 = performance.now();
    // A crop budget encodes other tiles (or other pixels): its features are an entry of their own.
    const identity = crops ? { ...this.cacheIdentity, processor: { of: this.cacheIdentity.processor, crops } } : this.cacheIdentity;
    const key = this.cache ? featureCacheKey({ imageHash: await sha256File(imagePath).catch(() => ''), ...identity }) : '';
    const hit = this.cache && (await this.cache.get(key));
    if (hit && covers(hit.attention, needs)) return this.fromCache(hit, performance.now() - t0);

    const prepared = await this.family.prepareImage(
      await decodeImageFile(imagePath),
      crops?.select === 'downsample' ? crops.fraction : undefined,
    );
    const preprocessMs = performance.now() - t0;
    if (signal?.aborted) throw new EngineError('CANCELLED', 'generation was cancelled');
    const { visionFeeds, tileAxis, ...all } = prepared;
    // Only a family that encodes its crops one by one can leave some out (or cuts fewer when asked).
    if (crops && tileAxis === undefined) {
      throw new EngineError(
        'BAD_ARGUMENT',
        `a crop budget needs a model that encodes its crops apart (SmolVLM); ${this.family.name} encodes the photo whole`,
      );
    }
    const byAttention = crops?.select === 'attention' && all.rows * all.cols > 0;
    // The graph opens before the clock starts, as it is open already for every question but a model's first.
    await this.sessionFor(byAttention ? this.rankingNeeds : needs);
    const t1 = performance.now();
    const { layout, out } = byAttention
      ? await this.encodeTopCrops(prepared, crops.fraction, needs, signal, onStage)
      : { layout: all, out: await this.encodeTiles(visionFeeds, tileAxis, all.tiles, needs, signal, onStage) };
    const visionMs = performance.now() - t1;
    const { features, dim } = readFeatures(out, visualSequence(layout).length);
    const attention = mergeAttention(hit ? hit.attention : undefined, readAttention(out, this.layerCount, layout.tiles));
    if (this.cache) {
      const entry: CachedVision = { features, featureDims: [features.length / dim, dim], attention, meta: layout as unknown as JsonValue };
      await this.cache.put(key, entry);
    }
    return { layout, features, dim, attention, attentionUnavailable: this.unavailable, preprocessMs, visionMs, cached: false };
  }

  /** The tiles of `feeds` through the encoder for `needs`, a few at a time where tiles are encoded apart. */
  private async encodeTiles(
    feeds: Record<string, Tensor>,
    tileAxis: number | undefined,
    tiles: number,
    needs: ScorerNeeds,
    signal?: AbortSignal,
    onStage?: (stage: PhotoStage) => void,
    progress = { before: 0, total: tiles },
  ): Promise<Record<string, Tensor>> {
    const session = await this.sessionFor(needs);
    const chunks = {
      tiles,
      tileAxis: tileAxis ?? 0,
      tilesPerRun: tileAxis === undefined ? tiles : (this.options.tilesPerRun ?? DEFAULT_TILES_PER_RUN),
    };
    const { before, total } = progress;
    onStage?.({ stage: 'encoding', done: before, total });
    return runInTileChunks(session, feeds, chunks, signal, (done) => onStage?.({ stage: 'encoding', done: before + done, total }));
  }

  /**
   * The crop budget by attention: the global view first, with the attention its patches receive (every encoder
   * offers it; the layer `received` reads), then only the crops whose region that attention weighs most. The
   * crops run in the same graph as the global view (the attention signal costs the plain graph nothing measurable,
   * and switching graphs would load the weights again); a method that reads other attention runs the global view
   * again with it.
   */
  private async encodeTopCrops(
    prepared: PreparedImage,
    fraction: number,
    needs: ScorerNeeds,
    signal?: AbortSignal,
    onStage?: (stage: PhotoStage) => void,
  ): Promise<{ layout: PhotoLayout; out: Record<string, Tensor> }> {
    // encode() has checked that this family encodes its tiles apart.
    const { visionFeeds, tileAxis = 0, ...all } = prepared;
    if (this.unavailable) throw new EngineError('GRAPH_NOT_INSTRUMENTABLE', `a crop budget ranks crops by attention: ${this.unavailable}`);
    const ranking = this.rankingNeeds;
    const crops = all.rows * all.cols;
    const kept = cropsToKeep(fraction, crops);
    const progress = { before: 0, total: kept + 1 };
    const globalOut = await this.encodeTiles(
      selectTiles(visionFeeds, tileAxis, all.tiles, [crops]),
      tileAxis,
      1,
      ranking,
      signal,
      onStage,
      progress,
    );
    const scores = readAttention(globalOut, this.layerCount, 1)?.byKind.received?.get(ranking.layers[0])?.[0];
    if (!scores) throw new EngineError('MODEL_MISMATCH', 'the vision encoder gave no attention for the global view');
    const chosen = topCrops(cropImportance(scores, all.patchRows, all.patchCols, all.grid.tiles.slice(0, crops)), kept);
    const run = needs.kind === 'none' ? ranking : needs;
    const reuse = needsKey(run) === needsKey(ranking);
    const order = reuse ? chosen : [...chosen, crops];
    const rest = await this.encodeTiles(
      selectTiles(visionFeeds, tileAxis, all.tiles, order),
      tileAxis,
      order.length,
      run,
      signal,
      onStage,
      {
        before: 1,
        total: progress.total + (reuse ? 0 : 1),
      },
    );
    return { layout: keepCrops(all, chosen), out: reuse ? concatOutputs([rest, globalOut]) : rest };
  }

  /** What ranks crops: the attention the global view's patches receive, at the layer `received` reads. */
  private get rankingNeeds(): ScorerNeeds {
    return receivedScorer.needs(this.layerCount, {});
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
