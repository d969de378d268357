// The engine facade: one loaded model (the three ONNX sessions its family names + its family adapter) answering questions about
// photos, in full or with pruned visual tokens. Plain Node: no Electron, no UI.
import type { InferenceSession } from 'onnxruntime-node';
import type {
  Answer,
  Budget,
  ChatTurn,
  CompareResult,
  CompareStage,
  ExecutionProvider,
  PrunedAnswer,
  PruningMethod,
  SamplingOptions,
} from '../../src-shared/api';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { userDataDir } from './catalog/data-dir';
import { EngineError, isEngineError } from './errors';
import { createFamily, familyModules } from './families/index';
import { attentionKinds, type ConversationTurn, type ModelFamily, type PhotoLayout } from './families/family';
import { promptEmbedder, type EmbeddedPrompt, type PromptEmbedder } from './generation/embed-prompt';
import { generate, type DecoderShape } from './generation/generate';
import { openDecoder } from './generation/open-decoder';
import { PromptCache } from './generation/prompt-cache';
import { readModelFolder, onnxPath, type ModelFolder } from './model/read-model-folder';
import { checkProvider } from './model/providers';
import { expectNames, openSession } from './model/sessions';
import { isVariant, pickVariant, VARIANTS, type ModelModule, type Variant } from './model/variants';
import { gatherRows } from './pruning/gather';
import { averageRows } from './pruning/merge-pool';
import { pruneVisualTokens, type PruneResult } from './pruning/prune';
import { attentionKindMissing } from './pruning/scorers/attention-layers';
import { getScorer } from './pruning/scorers/index';
import { QuestionRanking } from './ranking/question-ranking';
import { StreamingDecoder, TextTokenizer } from './text/tokenizer';
import type { RgbImage } from './image/decode-image';
import type { CropBudget } from './vision/crop-budget';
import { NO_ATTENTION, PhotoEncoder, type EncodedPhoto, type PhotoStage } from './vision/photo-encoder';

export { availableProviders } from './model/providers';

export interface EngineOptions {
  ep?: ExecutionProvider;
  threads?: number;
  /** Weight variant for every module (fp32, int8, q4, ...); the smallest that runs on `ep` when absent. */
  variant?: string;
  /** Per-photo cache of vision features and scores; no caching when absent. */
  cacheDir?: string;
  /** Where graphs derived from the model (instrumented encoders, last-position decoders) are kept; under the user data folder when absent. */
  graphCacheDir?: string;
  /** Cache size bound in bytes. */
  cacheMaxBytes?: number;
  /** Bound in bytes of the in-memory KV cache of prompts up to the photo's end (0: none kept). */
  promptCacheMaxBytes?: number;
}

export interface QuestionParams {
  /** Path of the photo. */
  image: string;
  prompt: string;
  history?: ChatTurn[];
  maxNewTokens?: number;
  sampling?: SamplingOptions;
  signal?: AbortSignal;
  /** Benchmarks only: generate exactly maxNewTokens tokens whatever comes (see GenerateRequest.ignoreEos). */
  ignoreEos?: boolean;
  /** Encode only this share of a tiling model's crops (vision/crop-budget.ts); both sides of a comparison read them. */
  crops?: CropBudget;
}

export interface AskParams extends QuestionParams {
  onToken?: (text: string) => void;
}

export interface PruneParams {
  method: PruningMethod;
  budget: Budget;
  /** 'contiguous' (default, as the paper) renumbers the shorter sequence; 'original' keeps each token's position. */
  positions?: 'contiguous' | 'original';
  /** Keep at least this many tokens from every tile. */
  perTileFloor?: number;
  /** Seed of the `random` baseline. */
  seed?: number;
  /** vtc-cls-ensemble: number of layers summed, ending at the penultimate. */
  ensembleLayers?: number;
}

export interface CompareParams extends QuestionParams, PruneParams {
  onToken?: (side: 'full' | 'pruned', text: string) => void;
  /** Told each stage as it starts, for a progress display. */
  onStage?: (stage: CompareStage) => void;
}

const DEFAULT_MAX_NEW_TOKENS = 64;

/** Square, so a family that tiles by aspect ratio cuts it into the most tiles it ever makes (SmolVLM: 4 x 4 + 1). */
const WARM_UP_IMAGE: RgbImage = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(128) };

/** The pruning of one question, and how long ranking the tokens took. */
type Selection = PruneResult & { rankMs: number };

function decoderShape(folder: ModelFolder, variant: Variant): DecoderShape {
  const text = folder.config.text_config ?? folder.config;
  const heads: number = text.num_attention_heads;
  const hidden: number = text.hidden_size;
  const kvDtype = folder.config['transformers.js_config']?.kv_cache_dtype?.[variant];
  return {
    layers: text.num_hidden_layers,
    kvHeads: text.num_key_value_heads ?? heads,
    headDim: text.head_dim ?? hidden / heads,
    hidden,
    kvType: kvDtype === 'float16' ? 'float16' : 'float32',
  };
}

function chosenVariants(folder: ModelFolder, family: ModelFamily, ep: ExecutionProvider, requested?: string): Record<ModelModule, Variant> {
  if (requested !== undefined && !isVariant(requested)) {
    throw new EngineError('VARIANT_MISSING', `unknown variant '${requested}' (known: ${VARIANTS.join(', ')})`);
  }
  const out: Record<ModelModule, Variant> = {};
  for (const m of Object.values(family.modules)) out[m] = pickVariant(m, folder.onnx.get(m)!, ep, requested);
  return out;
}

/**
 * onnxruntime starts every intra-op thread it is asked for: 100000 of them hang the machine for minutes before
 * anything fails. More threads than the machine runs at once never help, so that is the limit.
 */
export function checkThreads(threads: number | undefined): number | undefined {
  if (threads === undefined) return undefined;
  const limit = availableParallelism();
  if (!Number.isInteger(threads) || threads < 0 || threads > limit) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `threads must be a whole number from 0 (onnxruntime chooses) to ${limit} (this machine's processor threads), got ${threads}`,
    );
  }
  return threads;
}

export class Engine {
  private constructor(
    readonly folder: ModelFolder,
    readonly family: ModelFamily,
    private readonly tokenizer: TextTokenizer,
    private readonly photos: PhotoEncoder,
    private readonly embed: InferenceSession,
    private readonly embedder: PromptEmbedder,
    private readonly decoder: InferenceSession,
    private readonly shape: DecoderShape,
    readonly variants: Record<ModelModule, Variant>,
    readonly ep: ExecutionProvider,
    private readonly prompts: PromptCache,
    private readonly ranking: QuestionRanking,
  ) {}

  static async load(modelDir: string, options: EngineOptions = {}): Promise<Engine> {
    const ep = checkProvider(options.ep ?? 'cpu');
    const threads = checkThreads(options.threads);
    const folder = readModelFolder(modelDir, familyModules);
    const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig);
    const family = createFamily(folder, tokenizer);
    const variants = chosenVariants(folder, family, ep, options.variant);
    const { modules } = family;
    const shape = decoderShape(folder, variants[modules.decoder]);
    const settings = { ep, threads };
    const embedPath = onnxPath(folder, modules.embed, variants[modules.embed]);
    const decoderPath = onnxPath(folder, modules.decoder, variants[modules.decoder]);
    const graphCacheDir = options.graphCacheDir ?? join(userDataDir(), 'cache', 'graphs');
    const opened = await Promise.allSettled([
      PhotoEncoder.create({
        folder,
        family,
        variant: variants[modules.vision],
        settings,
        graphCacheDir,
        cacheDir: options.cacheDir,
        cacheMaxBytes: options.cacheMaxBytes,
      }),
      openSession(embedPath, settings),
      openDecoder(decoderPath, settings, graphCacheDir),
    ] as const);
    const [photos, embed, decoder] = opened.map((r) => (r.status === 'fulfilled' ? r.value : undefined)) as [
      PhotoEncoder | undefined,
      InferenceSession | undefined,
      InferenceSession | undefined,
    ];
    try {
      const failed = opened.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const last = shape.layers - 1;
      expectNames(embed!, embedPath, family.imageMerge === 'in-graph' ? ['input_ids', 'image_features'] : ['input_ids'], ['inputs_embeds']);
      // The cache names of the first and last layer check that config.json describes this decoder.
      expectNames(
        decoder!,
        decoderPath,
        ['inputs_embeds', 'attention_mask', 'position_ids', 'past_key_values.0.key', `past_key_values.${last}.value`],
        ['logits', 'present.0.key', `present.${last}.value`],
      );
      if (decoder!.inputNames.includes(`past_key_values.${last + 1}.key`)) {
        throw new EngineError('MODEL_MISMATCH', `${decoderPath} has more layers than config.json's ${shape.layers}`);
      }
    } catch (e) {
      // A model that half-loaded must not keep the others' memory.
      await Promise.all([photos?.dispose(), embed?.release(), decoder?.release()]);
      throw e;
    }
    const prompts = new PromptCache(options.promptCacheMaxBytes);
    const embedder = promptEmbedder(embed!, { merge: family.imageMerge, imageTokenId: family.imageTokenId, hidden: shape.hidden });
    const ranking = new QuestionRanking({ decoderPath, modelDir: folder.dir, settings, graphCacheDir, shape });
    return new Engine(folder, family, tokenizer, photos!, embed!, embedder, decoder!, shape, variants, ep, prompts, ranking);
  }

  get modelId(): string {
    return this.folder.id;
  }

  /** Bytes the prompt cache holds now. */
  get promptCacheBytes(): number {
    return this.prompts.bytes;
  }

  /** Forgets every prompt's KV cache: the next question on any photo prefills its whole prompt (benchmarks). */
  clearPromptCache(): void {
    this.prompts.clear();
  }

  /**
   * Runs every step of a question once on a synthetic photo and prompt, so that the first real question after
   * load pays none of the first-run costs (memory arenas growing, pages mapped): a loading stage of its own.
   */
  async warmUp(): Promise<void> {
    const photo = await this.photos.warmUp(WARM_UP_IMAGE);
    const all = new Array<number>(photo.layout.tiles).fill(photo.layout.tokensPerTile);
    const ids = this.family.promptIds([{ role: 'user', text: 'What is in this photo?' }], photo.layout, all);
    const prompt = await this.embedder.prompt(ids, photo.features, photo.dim);
    await generate({
      embedToken: this.embedder.token,
      decoder: this.decoder,
      shape: this.shape,
      inputsEmbeds: prompt.embeds,
      seqLen: prompt.seqLen,
      maxNewTokens: 2,
      eosTokenIds: this.family.eosTokenIds,
      ignoreEos: true,
    });
  }

  async ask(req: AskParams): Promise<Answer> {
    const photo = await this.photos.encode(req.image, req.signal, NO_ATTENTION, undefined, req.crops);
    return this.answerFull(photo, req, req.onToken);
  }

  /** The pruned answer alone, with the scores behind it. */
  async askPruned(req: AskParams & PruneParams): Promise<PrunedAnswer & { scores: number[] }> {
    const photo = await this.encodeFor(req);
    const selection = await this.selectTokens(photo, req);
    const answer = await this.answerPruned(photo, req, selection, req.onToken);
    return { ...answer, scores: Array.from(selection.scores) };
  }

  /**
   * One question answered twice, pruned and in full, from one encoding of the photo. The pruned side runs first:
   * its answer comes sooner, and a person should not wait for the full one to see it.
   */
  async compare(req: CompareParams): Promise<CompareResult> {
    const stage = req.onStage;
    const photo = await this.encodeFor(req, stage);
    // Select first: a method the model cannot serve or a bad budget fails before any answer is spent.
    stage?.({ stage: 'ranking' });
    const selection = await this.selectTokens(photo, req);
    stage?.({ stage: 'prefill', side: 'pruned' });
    const pruned = await this.answerPruned(photo, req, selection, (t) => req.onToken?.('pruned', t));
    stage?.({ stage: 'answered', side: 'pruned' });
    stage?.({ stage: 'prefill', side: 'full' });
    const full = await this.answerFull(photo, req, (t) => req.onToken?.('full', t));
    stage?.({ stage: 'answered', side: 'full' });
    return { full, pruned, scores: Array.from(selection.scores), grid: photo.layout.grid };
  }

  private fullPrompt(photo: EncodedPhoto, req: QuestionParams): Promise<EmbeddedPrompt> {
    const all = new Array<number>(photo.layout.tiles).fill(photo.layout.tokensPerTile);
    return this.embedder.prompt(this.family.promptIds(this.turns(req), photo.layout, all), photo.features, photo.dim);
  }

  private answerFull(photo: EncodedPhoto, req: QuestionParams, onText?: (text: string) => void): Promise<Answer> {
    const all = new Array<number>(photo.layout.tiles).fill(photo.layout.tokensPerTile);
    return this.answer(photo, req, all, photo.features, undefined, onText);
  }

  /** The photo encoded with the attention scores the pruning method reads, and no others. */
  private async encodeFor(req: QuestionParams & PruneParams, onStage?: (stage: PhotoStage) => void): Promise<EncodedPhoto> {
    const scorer = getScorer(req.method);
    const attentionFree = scorer.needs(2, {}).kind === 'none';
    const unavailable = this.photos.attentionUnavailable;
    if (!attentionFree && unavailable) {
      throw new EngineError('GRAPH_NOT_INSTRUMENTABLE', `${req.method} needs the vision encoder's attention: ${unavailable}`);
    }
    const needs = attentionFree ? NO_ATTENTION : scorer.needs(this.photos.attentionLayerCount, { ensembleLayers: req.ensembleLayers });
    const offered = attentionKinds(this.family.clsToken);
    if (needs.kind !== 'none' && !offered.includes(needs.kind)) throw attentionKindMissing(req.method, needs.kind, offered);
    try {
      return await this.photos.encode(req.image, req.signal, needs, onStage, req.crops);
    } catch (e) {
      // A graph whose chosen layer cannot be instrumented still answers in full; only this method is off.
      if (!isEngineError(e) || e.code !== 'GRAPH_NOT_INSTRUMENTABLE') throw e;
      throw new EngineError('GRAPH_NOT_INSTRUMENTABLE', `${req.method} needs the vision encoder's attention: ${e.message}`);
    }
  }

  /** Scores and selection, and for a question-dependent method first the signals it reads from the full prompt. */
  private async selectTokens(photo: EncodedPhoto, req: QuestionParams & PruneParams): Promise<Selection> {
    const start = performance.now();
    const needs = getScorer(req.method).needs(this.photos.attentionLayerCount, { ensembleLayers: req.ensembleLayers });
    const signals = needs.llm ? await this.ranking.signals(needs, await this.fullPrompt(photo, req), photo.layout) : {};
    const result = pruneVisualTokens({
      ...signals,
      method: req.method,
      budget: req.budget,
      layout: photo.layout,
      attention: photo.attention,
      features: { values: photo.features, dim: photo.dim },
      seed: req.seed,
      perTileFloor: req.perTileFloor,
      options: { ensembleLayers: req.ensembleLayers },
    });
    return { ...result, rankMs: performance.now() - start };
  }

  private async answerPruned(
    photo: EncodedPhoto,
    req: QuestionParams & PruneParams,
    { kept, rows, groups, rankMs }: Selection,
    onText?: (text: string) => void,
  ): Promise<PrunedAnswer> {
    const { layout } = photo;
    const prunedCounts = new Array<number>(layout.tiles).fill(0);
    for (const i of kept) prunedCounts[Math.floor(i / layout.tokensPerTile)]++;
    const positions = req.positions === 'original' ? this.originalPositions(req, layout, prunedCounts, rows) : undefined;
    const features = groups ? averageRows(photo.features, photo.dim, groups) : gatherRows(photo.features, photo.dim, rows);
    const answer = await this.answer(photo, req, prunedCounts, features, positions, onText);
    // Ranking comes before the prefill: it is part of the time to the first token.
    const timings = { ...answer.timings, rankMs, totalMs: answer.timings.totalMs + rankMs };
    return { ...answer, timings, method: req.method, kept: Array.from(kept) };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.photos.dispose(), this.embed.release(), this.decoder.release(), this.ranking.dispose()]);
  }

  private turns(req: QuestionParams): ConversationTurn[] {
    if (!req.prompt.trim()) throw new EngineError('BAD_ARGUMENT', 'the question is empty');
    return [...(req.history ?? []), { role: 'user', text: req.prompt }];
  }

  /**
   * Positions of the pruned prompt's tokens in the full prompt: each kept image token (`rows`: its row in the full
   * visual sequence) keeps the position it had among all image tokens, and the text tokens keep theirs (only
   * image-token counts differ between the two).
   */
  private originalPositions(req: QuestionParams, layout: PhotoLayout, prunedCounts: number[], rows: Int32Array): number[] {
    const turns = this.turns(req);
    const fullCounts = new Array<number>(layout.tiles).fill(layout.tokensPerTile);
    const id = this.family.imageTokenId;
    const fullIds = this.family.promptIds(turns, layout, fullCounts);
    const prunedIds = this.family.promptIds(turns, layout, prunedCounts);
    const fullImage: number[] = [];
    const fullText: number[] = [];
    fullIds.forEach((t, i) => (t === id ? fullImage : fullText).push(i));
    let img = 0;
    let txt = 0;
    return prunedIds.map((t) => (t === id ? fullImage[rows[img++]] : fullText[txt++]));
  }

  private async answer(
    photo: EncodedPhoto,
    req: QuestionParams,
    tokensPerTile: number[],
    features: Float32Array,
    positions: number[] | undefined,
    onText?: (text: string) => void,
  ): Promise<Answer> {
    const start = performance.now();
    const ids = this.family.promptIds(this.turns(req), photo.layout, tokensPerTile);
    const prompt = await this.embedder.prompt(ids, features, photo.dim);
    const embedMs = performance.now() - start;
    const stream = new StreamingDecoder(this.tokenizer);
    const result = await generate({
      embedToken: this.embedder.token,
      decoder: this.decoder,
      shape: this.shape,
      inputsEmbeds: prompt.embeds,
      seqLen: prompt.seqLen,
      positions,
      maxNewTokens: req.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
      eosTokenIds: this.family.eosTokenIds,
      ignoreEos: req.ignoreEos,
      sampling: req.sampling,
      signal: req.signal,
      // Everything up to the photo's last image token is the same whatever the question.
      prefix: { cache: this.prompts, length: (prompt.imagePositions.at(-1) ?? -1) + 1 },
      onToken: (id) => {
        const delta = stream.push(id);
        if (delta) onText?.(delta);
      },
    });
    const timings = {
      preprocessMs: photo.preprocessMs,
      visionMs: photo.visionMs,
      embedMs,
      prefillMs: result.prefillMs,
      decodeMs: result.decodeMs,
      decodeTokens: result.decodeTokens,
      tokensPerSecond: result.decodeMs > 0 ? (result.decodeTokens * 1000) / result.decodeMs : 0,
      totalMs: photo.preprocessMs + photo.visionMs + embedMs + result.prefillMs + result.decodeMs,
    };
    return {
      text: stream.text(),
      tokens: result.tokens,
      timings,
      counts: {
        visualTokens: features.length / photo.dim,
        promptTokens: prompt.seqLen,
        generatedTokens: result.tokens.length,
        kvCacheBytes: result.kvCacheBytes,
      },
      visionCached: photo.cached,
    };
  }
}
