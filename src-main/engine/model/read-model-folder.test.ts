import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureDir } from '../test/paths';
import { thrownEngineError } from '../test/engine-errors';
import { onnxPath, readModelFolder } from './read-model-folder';

const FIXTURE = fixtureDir('tiny-smolvlm');
const tmp = mkdtempSync(join(tmpdir(), 'vtc-model-folder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let copies = 0;
/**
 * A copy of the fixture folder made of symlinks, without the `omit` paths and with `files` written as given
 * (relative paths; a string is written as text, a number as that many zero bytes). A written file is never
 * linked first: writing through a symlink would overwrite the committed fixture.
 */
function folderCopy(omit: string[] = [], files: Record<string, string | number> = {}): string {
  const dir = join(tmp, `copy-${++copies}`);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const sub of ['', 'onnx']) {
    for (const name of readdirSync(join(FIXTURE, sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      if (name === 'onnx' || omit.includes(rel) || rel in files) continue;
      symlinkSync(join(FIXTURE, rel), join(dir, rel));
    }
  }
  for (const [rel, content] of Object.entries(files)) {
    writeFileSync(join(dir, rel), typeof content === 'string' ? content : Buffer.alloc(content));
  }
  return dir;
}

const tokenizerConfigWithout = (key: string) => {
  const config = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer_config.json'), 'utf8'));
  delete config[key];
  return JSON.stringify(config);
};
const templateJson = (template: string) => JSON.stringify({ chat_template: template });

describe('readModelFolder', () => {
  it('reads the complete tiny-smolvlm fixture', () => {
    const folder = readModelFolder(FIXTURE);
    expect(folder.dir).toBe(FIXTURE);
    expect(folder.id).toBe('tiny-smolvlm');
    expect(folder.config.model_type).toBe('idefics3');
    expect(folder.preprocessorConfig.max_image_size).toEqual({ longest_edge: 512 });
    expect(folder.processorConfig.image_seq_len).toBe(64);
    expect(folder.generationConfig.eos_token_id).toBe(49279);
    expect(folder.tokenizerJson.model.type).toBe('BPE');
    expect(folder.tokenizerConfig.eos_token).toBe('<end_of_utterance>');
    expect(folder.chatTemplate.startsWith('<|im_start|>')).toBe(true);
    for (const module of ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const) {
      const bytes = statSync(join(FIXTURE, 'onnx', `${module}.onnx`)).size;
      expect(folder.onnx.get(module)).toEqual(new Map([['fp32', bytes]]));
    }
  });

  it("reads the modules the config's model type names, and requires those", () => {
    const modulesOf = (type: string) => (type === 'idefics3' ? ['vision_encoder', 'model', 'prepare_inputs_embeds'] : undefined);
    const dir = folderCopy([], { 'onnx/model_q4.onnx': 7 });
    const e = thrownEngineError(() => readModelFolder(dir, modulesOf));
    expect(e.message).toBe(`model folder ${dir} is incomplete: missing onnx/prepare_inputs_embeds*.onnx`);
    const complete = folderCopy([], { 'onnx/model_q4.onnx': 7, 'onnx/prepare_inputs_embeds.onnx': 5 });
    const folder = readModelFolder(complete, modulesOf);
    expect([...folder.onnx.keys()].sort()).toEqual(['model', 'prepare_inputs_embeds', 'vision_encoder']);
    expect(folder.onnx.get('model')).toEqual(new Map([['q4', 7]]));
    // A type no family serves is checked against the usual three (the family registry then names it).
    expect(readModelFolder(FIXTURE, () => undefined).onnx.size).toBe(3);
  });

  it('treats optional processor and generation configs as empty when absent', () => {
    const folder = readModelFolder(folderCopy(['processor_config.json', 'generation_config.json']));
    expect(folder.processorConfig).toEqual({});
    expect(folder.generationConfig).toEqual({});
  });

  it('reports a missing folder as not found', () => {
    const e = thrownEngineError(() => readModelFolder(join(tmp, 'no-such-model')));
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.message).toBe(`model folder not found: ${join(tmp, 'no-such-model')}`);
  });

  it('reports a file in place of the folder as not found', () => {
    const e = thrownEngineError(() => readModelFolder(join(FIXTURE, 'config.json')));
    expect(e.code).toBe('FILE_NOT_FOUND');
  });

  it('names every missing piece of an incomplete copy in one error', () => {
    const dir = folderCopy(['tokenizer.json', 'onnx/decoder_model_merged.onnx', 'chat_template.json'], {
      'tokenizer_config.json': tokenizerConfigWithout('chat_template'),
    });
    const e = thrownEngineError(() => readModelFolder(dir));
    expect(e.code).toBe('MODEL_INCOMPLETE');
    expect(e.message).toBe(
      `model folder ${dir} is incomplete: missing tokenizer.json, onnx/decoder_model_merged*.onnx, ` +
        'chat template (chat_template.jinja, chat_template.json or tokenizer_config.json chat_template)',
    );
  });

  it('names each missing required config file', () => {
    const dir = folderCopy(['config.json', 'preprocessor_config.json', 'tokenizer_config.json', 'onnx/vision_encoder.onnx']);
    const e = thrownEngineError(() => readModelFolder(dir));
    expect(e.code).toBe('MODEL_INCOMPLETE');
    expect(e.message).toBe(
      `model folder ${dir} is incomplete: missing config.json, preprocessor_config.json, tokenizer_config.json, onnx/vision_encoder*.onnx`,
    );
  });

  it('names all three graphs when the onnx folder is empty', () => {
    const dir = folderCopy(['onnx/vision_encoder.onnx', 'onnx/embed_tokens.onnx', 'onnx/decoder_model_merged.onnx']);
    expect(thrownEngineError(() => readModelFolder(dir)).message).toMatch(
      /missing onnx\/vision_encoder\*\.onnx, onnx\/embed_tokens\*\.onnx, onnx\/decoder_model_merged\*\.onnx$/,
    );
  });

  it.each([
    'config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'generation_config.json',
    'chat_template.json',
  ])('names %s when it is not valid JSON', (name) => {
    const dir = folderCopy([], { [name]: '{"truncated": ' });
    const e = thrownEngineError(() => readModelFolder(dir));
    expect(e.code).toBe('MODEL_INCOMPLETE');
    expect(e.message).toMatch(new RegExp(`^model folder ${dir}: ${name.replace('.', '\\.')} is not valid JSON \\(.+\\)$`));
  });

  it('refuses a config.json without model_type', () => {
    const dir = folderCopy([], { 'config.json': JSON.stringify({ architectures: ['Idefics3ForConditionalGeneration'] }) });
    const e = thrownEngineError(() => readModelFolder(dir));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toBe(`model folder ${dir}: config.json has no model_type`);
  });

  describe('chat template precedence', () => {
    it('takes chat_template.jinja over chat_template.json and tokenizer_config.json', () => {
      const dir = folderCopy([], { 'chat_template.jinja': 'from jinja', 'chat_template.json': templateJson('from json') });
      expect(readModelFolder(dir).chatTemplate).toBe('from jinja');
    });

    it('takes chat_template.json over tokenizer_config.json', () => {
      const dir = folderCopy([], { 'chat_template.json': templateJson('from json') });
      expect(readModelFolder(dir).chatTemplate).toBe('from json');
    });

    it("falls back to tokenizer_config.json's chat_template", () => {
      const tokenizerTemplate = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer_config.json'), 'utf8')).chat_template;
      expect(readModelFolder(folderCopy(['chat_template.json'])).chatTemplate).toBe(tokenizerTemplate);
    });

    it('skips a chat_template.json without a string template', () => {
      const dir = folderCopy([], {
        'chat_template.json': JSON.stringify({ chat_template: 42 }),
        'tokenizer_config.json': JSON.stringify({ chat_template: 'from tokenizer config' }),
      });
      expect(readModelFolder(dir).chatTemplate).toBe('from tokenizer config');
    });
  });

  describe('variant scan', () => {
    it('counts every variant with its external data files and ignores other names', () => {
      const dir = folderCopy([], {
        'onnx/decoder_model_merged_q4.onnx': 100,
        'onnx/decoder_model_merged_q4.onnx_data': 1000,
        'onnx/decoder_model_merged_q4.onnx_data_1': 10_000,
        'onnx/decoder_model_merged_int8.onnx': 7,
        'onnx/vision_encoder_q4f16.onnx': 30,
        'onnx/vision_encoder_fp32.onnx': 5,
        'onnx/embed_tokens_q3.onnx': 5,
        'onnx/lm_head.onnx': 5,
        'onnx/notes.txt': 5,
      });
      const folder = readModelFolder(dir);
      const size = (name: string) => statSync(join(FIXTURE, 'onnx', name)).size;
      expect(folder.onnx.get('decoder_model_merged')).toEqual(
        new Map([
          ['fp32', size('decoder_model_merged.onnx')],
          ['q4', 11_100],
          ['int8', 7],
        ]),
      );
      expect(folder.onnx.get('vision_encoder')).toEqual(
        new Map([
          ['fp32', size('vision_encoder.onnx')],
          ['q4f16', 30],
        ]),
      );
      expect(folder.onnx.get('embed_tokens')).toEqual(new Map([['fp32', size('embed_tokens.onnx')]]));
      expect([...folder.onnx.keys()].sort()).toEqual(['decoder_model_merged', 'embed_tokens', 'vision_encoder']);
    });

    it("does not count another variant's data as external data of fp32", () => {
      const dir = folderCopy([], { 'onnx/vision_encoder_q4.onnx': 10, 'onnx/vision_encoder_q4.onnx_data': 500 });
      const folder = readModelFolder(dir);
      expect(folder.onnx.get('vision_encoder')!.get('fp32')).toBe(statSync(join(FIXTURE, 'onnx/vision_encoder.onnx')).size);
      expect(folder.onnx.get('vision_encoder')!.get('q4')).toBe(510);
    });

    it('counts a dangling graph link as missing instead of failing on it', () => {
      const dir = folderCopy(['onnx/decoder_model_merged.onnx']);
      symlinkSync(join(tmp, 'no-such-blob'), join(dir, 'onnx/decoder_model_merged.onnx'));
      const e = thrownEngineError(() => readModelFolder(dir));
      expect(e.code).toBe('MODEL_INCOMPLETE');
      expect(e.message).toBe(`model folder ${dir} is incomplete: missing onnx/decoder_model_merged*.onnx`);
    });

    it('leaves out a variant whose external data cannot be read, keeping the others', () => {
      const dir = folderCopy([], { 'onnx/decoder_model_merged_q4.onnx': 10 });
      symlinkSync(join(tmp, 'no-such-blob'), join(dir, 'onnx/decoder_model_merged_q4.onnx_data'));
      expect([...readModelFolder(dir).onnx.get('decoder_model_merged')!.keys()]).toEqual(['fp32']);
    });

    it('ignores a folder named like a graph and an onnx path that is a file', () => {
      const dir = folderCopy(['onnx/embed_tokens.onnx']);
      mkdirSync(join(dir, 'onnx/embed_tokens.onnx'));
      expect(thrownEngineError(() => readModelFolder(dir)).message).toMatch(/missing onnx\/embed_tokens\*\.onnx$/);
      const flat = folderCopy();
      rmSync(join(flat, 'onnx'), { recursive: true });
      writeFileSync(join(flat, 'onnx'), 'not a folder');
      expect(thrownEngineError(() => readModelFolder(flat)).message).toMatch(
        /missing onnx\/vision_encoder\*\.onnx, onnx\/embed_tokens\*\.onnx, onnx\/decoder_model_merged\*\.onnx$/,
      );
    });

    it('finds a module present only as a quantised variant', () => {
      const dir = folderCopy(['onnx/embed_tokens.onnx'], { 'onnx/embed_tokens_int8.onnx': 64 });
      expect(readModelFolder(dir).onnx.get('embed_tokens')).toEqual(new Map([['int8', 64]]));
    });
  });
});

describe('onnxPath', () => {
  it('spells fp32 without a suffix and the others with theirs', () => {
    const folder = readModelFolder(FIXTURE);
    expect(onnxPath(folder, 'vision_encoder', 'fp32')).toBe(join(FIXTURE, 'onnx', 'vision_encoder.onnx'));
    expect(onnxPath(folder, 'decoder_model_merged', 'q4f16')).toBe(join(FIXTURE, 'onnx', 'decoder_model_merged_q4f16.onnx'));
  });
});
