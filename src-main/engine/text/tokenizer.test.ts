import { describe, expect, it } from 'vitest';
import { readModelFolder } from '../model/read-model-folder';
import { fixtureDir } from '../test/paths';
import { thrownEngineError } from '../test/engine-errors';
import { StreamingDecoder, TextTokenizer } from './tokenizer';

// The fixture carries SmolVLM's real tokenizer.json and tokenizer_config.json.
const folder = readModelFolder(fixtureDir('tiny-smolvlm'));
const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig);
const IMAGE = 49190;
const FAKE = 49189;
const EOU = 49279;

describe('TextTokenizer', () => {
  it('encodes plain text and decodes it back', () => {
    const ids = tokenizer.encode('Hello world');
    expect(ids).toEqual([19556, 905]);
    expect(tokenizer.decode(ids)).toBe('Hello world');
  });

  it('encodes special tokens written in the text as single ids', () => {
    expect(tokenizer.encode('<image><fake_token_around_image><image>')).toEqual([IMAGE, FAKE, IMAGE]);
  });

  it('drops special tokens when decoding unless asked to keep them', () => {
    const ids = [...tokenizer.encode('Hi'), EOU];
    expect(tokenizer.decode(ids)).toBe('Hi');
    expect(tokenizer.decode(ids, false)).toBe('Hi<end_of_utterance>');
  });

  it('looks token ids up, and requireId fails with MODEL_MISMATCH for a missing token', () => {
    expect(tokenizer.idOf('<end_of_utterance>')).toBe(EOU);
    expect(tokenizer.requireId('<image>')).toBe(IMAGE);
    expect(tokenizer.idOf('<no_such_token>')).toBeUndefined();
    const e = thrownEngineError(() => tokenizer.requireId('<no_such_token>'));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toBe("tokenizer.json has no token '<no_such_token>'");
  });
});

describe('StreamingDecoder', () => {
  const text = 'café 日本 🙂 ok';

  it('emits deltas that concatenate to the decoded text, holding back half characters', () => {
    const ids = tokenizer.encode(text);
    // The premise: some ids alone are only part of a character.
    expect(ids.some((id) => tokenizer.decode([id]).includes('\uFFFD'))).toBe(true);
    const decoder = new StreamingDecoder(tokenizer);
    const deltas = ids.map((id) => decoder.push(id));
    expect(deltas.some((d) => d === '')).toBe(true);
    expect(deltas.every((d) => !d.includes('\uFFFD'))).toBe(true);
    expect(deltas.join('')).toBe(text);
    expect(decoder.text()).toBe(text);
  });

  it('emits nothing for special tokens', () => {
    const decoder = new StreamingDecoder(tokenizer);
    expect([...tokenizer.encode('Yes'), EOU].map((id) => decoder.push(id))).toEqual(['Yes', '']);
    expect(decoder.text()).toBe('Yes');
  });

  it('keeps the spaces between words', () => {
    const decoder = new StreamingDecoder(tokenizer);
    const deltas = tokenizer.encode('a red fox jumps').map((id) => decoder.push(id));
    expect(deltas).toEqual(['a', ' red', ' fox', ' jumps']);
  });
});
