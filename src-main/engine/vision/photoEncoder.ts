// Photo → visual tokens: decode, preprocess with the family's processor, run the vision encoder. The encoder
// session is the instrumented copy of the model's own graph when it can be derived, so one encoding yields both
// the features and the attention summaries the pruning scorers need.
import type { InferenceSession } from 'onnxruntime-node';
import type { PruningMethod } from '../../../src-shared/api';
import { EngineError } from '../errors';
import type { ModelFamily, PhotoLayout } from '../families/family';
import { decodeImageFile } from '../image/decodeImage';
import { onnxPath, type ModelFolder } from '../model/modelFolder';
import { createSession, expectNames, type SessionSettings } from '../model/sessions';
import type { Variant } from '../model/variants';
import type { AttentionScores } from '../pruning/types';
import { readAttention, readFeatures } from './visionOutputs';

export interface EncodedPhoto {
  layout: PhotoLayout & { tokensPerTile: number };
  features: Float32Array;
  dim: number;
  attention?: AttentionScores;
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
  cacheDir?: string;
  cacheMaxBytes?: number;
}

export class PhotoEncoder {
  private constructor(
    private readonly family: ModelFamily,
    private readonly session: InferenceSession,
    private readonly layerCount: number,
  ) {}

  static async create(options: PhotoEncoderOptions): Promise<PhotoEncoder> {
    const path = onnxPath(options.folder, 'vision_encoder', options.variant);
    const session = await createSession(path, options.settings);
    expectNames(session, path, [], ['image_features']);
    return new PhotoEncoder(options.family, session, 0);
  }

  async encode(imagePath: string, signal?: AbortSignal, _method?: PruningMethod): Promise<EncodedPhoto> {
    const t0 = performance.now();
    const prepared = await this.family.prepareImage(await decodeImageFile(imagePath));
    const preprocessMs = performance.now() - t0;
    if (signal?.aborted) throw new EngineError('CANCELLED', 'generation was cancelled');
    const t1 = performance.now();
    const out = await this.session.run(prepared.visionFeeds);
    const visionMs = performance.now() - t1;
    const { visionFeeds: _pixels, ...layout } = prepared;
    const { features, dim } = readFeatures(out, layout.tiles * layout.tokensPerTile);
    const attention = readAttention(out, this.family.attentionKind, this.layerCount, layout.tiles);
    return { layout, features, dim, attention, preprocessMs, visionMs, cached: false };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
