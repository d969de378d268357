// Renders a conversation with the model's own Jinja chat template (@huggingface/jinja, as transformers.js does),
// passing the special tokens from tokenizer_config.json the way templates expect them.
import { Template } from '@huggingface/jinja';
import type { Json } from '../model/read-model-folder';

/** A list of parts, or plain text for templates that read content as a string. */
export type TemplateContent = string | Array<{ type: 'image' } | { type: 'text'; text: string }>;
export interface TemplateMessage {
  role: 'user' | 'assistant' | 'system';
  content: TemplateContent;
}

const SPECIAL_KEYS = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'];

function specialTokens(tokenizerConfig: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SPECIAL_KEYS) {
    const v = tokenizerConfig[key];
    if (typeof v === 'string') out[key] = v;
    else if (v && typeof v.content === 'string') out[key] = v.content;
  }
  return out;
}

export class ChatTemplate {
  private readonly template: Template;
  private readonly specials: Record<string, string>;

  constructor(source: string, tokenizerConfig: Json) {
    this.template = new Template(source);
    this.specials = specialTokens(tokenizerConfig);
  }

  render(messages: TemplateMessage[], addGenerationPrompt = true): string {
    return this.template.render({ messages, add_generation_prompt: addGenerationPrompt, ...this.specials });
  }
}
