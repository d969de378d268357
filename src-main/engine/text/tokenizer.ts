// The model's own tokenizer.json run by @huggingface/tokenizers (the same implementation transformers.js uses),
// wrapped so the rest of the engine deals in plain number arrays.
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineError } from '../errors';
import type { Json } from '../model/read-model-folder';

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;

  constructor(tokenizerJson: Json, tokenizerConfig: Json) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: true }).ids;
  }

  decode(ids: number[], skipSpecialTokens = true): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: skipSpecialTokens });
  }

  /** Id of a token the model family depends on; its absence means the tokenizer belongs to another model. */
  requireId(token: string): number {
    const id = this.tokenizer.token_to_id(token);
    if (id === undefined) throw new EngineError('MODEL_MISMATCH', `tokenizer.json has no token '${token}'`);
    return id;
  }

  idOf(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }
}

/**
 * Decodes a growing list of generated ids into text deltas. Decoding the whole list each time (instead of each
 * id alone) keeps multi-byte characters and merged spaces right; a trailing U+FFFD means a character is still
 * incomplete, so it is held back until the next id completes it.
 */
export class StreamingDecoder {
  private emitted = '';
  private readonly ids: number[] = [];

  constructor(private readonly tokenizer: TextTokenizer) {}

  push(id: number): string {
    this.ids.push(id);
    const text = this.tokenizer.decode(this.ids);
    if (text.endsWith('\uFFFD') || !text.startsWith(this.emitted)) return '';
    const delta = text.slice(this.emitted.length);
    this.emitted = text;
    return delta;
  }

  text(): string {
    return this.tokenizer.decode(this.ids);
  }
}
