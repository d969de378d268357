// The sessions question-dependent pruning reads, opened on first use: the decoder probe (the decoder cut after
// layer K, giving that layer's attention; surgery/decoder-attention-probe.ts) for each layer a method asks for, and
// the model folder's trained token compressor (`explain`) where the folder has one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../errors';
import type { EmbeddedPrompt } from '../generation/embed-prompt';
import type { DecoderShape } from '../generation/generate';
import { expectNames, openSession, sessionOptions, type SessionSettings } from '../model/sessions';
import { visualTokenAttention } from '../pruning/llm-attention';
import type { ScorerNeeds, TokenLayout } from '../pruning/types';
import { decoderAttentionProbe, PROBE_OUTPUT } from '../surgery/decoder-attention-probe';
import { createInstrumentedSession } from '../surgery/instrumented-session';

/** Where a model folder keeps its trained token compressor (input `attention` [batch, tokens] → `scores`). */
export const TOKEN_COMPRESSOR_FILE = join('onnx', 'token_compressor.onnx');

export function hasTokenCompressor(modelDir: string): boolean {
  return existsSync(join(modelDir, TOKEN_COMPRESSOR_FILE));
}

export interface QuestionSignals {
  llmAttention?: Float32Array;
  compressorScores?: Float32Array;
}

export class QuestionRanking {
  private readonly probes = new Map<number, Promise<InferenceSession>>();
  private compressor?: Promise<InferenceSession>;

  constructor(
    private readonly options: {
      decoderPath: string;
      modelDir: string;
      settings: SessionSettings;
      graphCacheDir: string;
      shape: DecoderShape;
    },
  ) {}

  /** The question-dependent signals `needs` asks for, from the full prompt; none for other methods. */
  async signals(needs: ScorerNeeds, prompt: EmbeddedPrompt, layout: TokenLayout): Promise<QuestionSignals> {
    if (!needs.llm) return {};
    const probe = await this.probe(needs.llm.layer);
    const { seqLen } = prompt;
    const { shape } = this.options;
    const feeds: Record<string, Tensor> = {
      inputs_embeds: new Tensor('float32', prompt.embeds, [1, seqLen, shape.hidden]),
      attention_mask: new Tensor('int64', new BigInt64Array(seqLen).fill(1n), [1, seqLen]),
      position_ids: new Tensor(
        'int64',
        BigInt64Array.from({ length: seqLen }, (_, i) => BigInt(i)),
        [1, seqLen],
      ),
    };
    // The probe reads the (empty) cache of the layers up to K only.
    const empty = shape.kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    for (const name of probe.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
      feeds[name] = new Tensor(shape.kvType, empty, [1, shape.kvHeads, 0, shape.headDim]);
    }
    const probs = (await probe.run(feeds))[PROBE_OUTPUT] as Tensor;
    const attention = { probs: probs.data as Float32Array, heads: probs.dims[1], seqLen };
    const llmAttention = visualTokenAttention(attention, prompt.imagePositions, needs.llm.from, layout);
    if (!needs.compressor) return { llmAttention };
    const compressor = await this.openCompressor();
    const out = await compressor.run({ attention: new Tensor('float32', llmAttention, [1, llmAttention.length]) });
    return { llmAttention, compressorScores: (out.scores as Tensor).data as Float32Array };
  }

  async dispose(): Promise<void> {
    const sessions = [...this.probes.values(), ...(this.compressor ? [this.compressor] : [])];
    await Promise.all(sessions.map((s) => s.then((x) => x.release()).catch(() => undefined)));
  }

  private probe(layer: number): Promise<InferenceSession> {
    let session = this.probes.get(layer);
    if (!session) {
      const { decoderPath, graphCacheDir, settings } = this.options;
      session = decoderAttentionProbe({ onnxPath: decoderPath, cacheDir: graphCacheDir, layer }).then((derived) =>
        openSession(derived.path, settings, () => createInstrumentedSession(derived, sessionOptions(settings))),
      );
      // A probe that failed is derived again next time (the error may have been a full disk).
      session.catch(() => this.probes.delete(layer));
      this.probes.set(layer, session);
    }
    return session;
  }

  private openCompressor(): Promise<InferenceSession> {
    if (!this.compressor) {
      const { modelDir, settings } = this.options;
      const path = join(modelDir, TOKEN_COMPRESSOR_FILE);
      if (!existsSync(path)) {
        return Promise.reject(new EngineError('BAD_ARGUMENT', `explain needs a trained token compressor, and ${path} is not there`));
      }
      this.compressor = openSession(path, settings).then((s) => {
        expectNames(s, path, ['attention'], ['scores']);
        return s;
      });
      this.compressor.catch(() => (this.compressor = undefined));
    }
    return this.compressor;
  }
}
