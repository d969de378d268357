import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../../src-shared/format';
import { fixtureDir, photo, REPO_ROOT } from '../../engine/test/paths';
import { runVtc, stderrLines, type VtcRun } from '../test/run-vtc';

const MODEL = fixtureDir('tiny-smolvlm');
const CHELSEA = photo('chelsea.png');
const dataDir = mkdtempSync(join(tmpdir(), 'vtc-cli-ask-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const ask = (...args: string[]) => runVtc(['ask', ...args], dataDir);
const question = ['--model', MODEL, '--image', CHELSEA, '--prompt', 'What is in this photo?', '--max-new-tokens', '3'];

describe('vtc ask', () => {
  let json: VtcRun;
  let text: VtcRun;
  beforeAll(async () => {
    [json, text] = await Promise.all([ask(...question, '--json'), ask(...question)]);
  });

  it('--json prints exactly one JSON object with text, tokens, timings and counts', () => {
    expect(json.code).toBe(0);
    const lines = json.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const answer = JSON.parse(lines[0]);
    expect(Object.keys(answer).sort()).toEqual(['counts', 'text', 'timings', 'tokens']);
    expect(answer.tokens).toHaveLength(3);
    expect(answer.counts).toMatchObject({ visualTokens: 832, generatedTokens: 3 });
    expect(answer.timings.decodeTokens).toBe(2);
    // The fixture's weights are random: the CLI says so once, after the answer, and nothing else.
    expect(stderrLines(json).filter((l) => l.startsWith('vtc:'))).toEqual([
      'vtc: warning: tiny-smolvlm has random weights (a test model): its answers are meaningless',
    ]);
  });

  it('streams the same answer as text, then a timing line and a count line', () => {
    expect(text.code).toBe(0);
    const answer = JSON.parse(json.stdout);
    const [streamed, report] = text.stdout.split('\n\n');
    expect(streamed).toBe(answer.text);
    const [timing, counts] = report.trimEnd().split('\n');
    expect(timing).toMatch(
      /^preprocess [\d.]+ ms \| vision [\d.]+ ms \| embed [\d.]+ ms \| prefill [\d.]+ ms \| decode [\d.]+ ms \(2 tokens, [\d.]+ tok\/s\) \| total [\d.]+ ms$/,
    );
    expect(counts).toBe(
      `visual tokens 832 | prompt tokens ${answer.counts.promptTokens} | generated 3 | KV cache ${formatBytes(answer.counts.kvCacheBytes)}`,
    );
  });

  const notAnImage = join(REPO_ROOT, 'package.json');
  // Import refuses SVG (it is drawn, and can pull in other files); ask refuses it the same way.
  const svg = join(dataDir, 'drawing.svg');
  writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>');
  it.concurrent.each([
    ['no --image', ['--model', MODEL, '--prompt', 'x'], 'vtc: missing required option --image'],
    ['no --model', ['--image', CHELSEA, '--prompt', 'x'], 'vtc: missing required option --model'],
    [
      'a file that is not an image',
      ['--model', MODEL, '--image', notAnImage, '--prompt', 'x'],
      `vtc: ${notAnImage}: not an image (expected JPEG, PNG, WebP, GIF, TIFF or AVIF)`,
    ],
    ['a missing image', ['--model', MODEL, '--image', '/no/such.jpg', '--prompt', 'x'], 'vtc: image not found: /no/such.jpg'],
    [
      'an SVG image',
      ['--model', MODEL, '--image', svg, '--prompt', 'x'],
      `vtc: ${svg}: SVG images are not supported (convert it to JPEG, PNG, WebP, GIF, TIFF or AVIF)`,
    ],
    [
      'a missing model folder',
      ['--model', '/no/such/model', '--image', CHELSEA, '--prompt', 'x'],
      'vtc: model folder not found: /no/such/model',
    ],
    ['an unknown --ep', [...question, '--ep', 'tpu'], "vtc: unknown execution provider 'tpu' (known: cpu, cuda, dml, coreml, webgpu)"],
    [
      'an unknown --variant',
      [...question, '--variant', 'q8'],
      "vtc: unknown variant 'q8' (known: fp32, fp16, int8, uint8, quantized, q4, q4f16, bnb4)",
    ],
    [
      'a --variant the folder lacks',
      [...question, '--variant', 'int8'],
      "vtc: variant 'int8' of onnx/vision_encoder_int8.onnx is not in the model folder (available: fp32)",
    ],
    ['--max-new-tokens 0', [...question, '--max-new-tokens', '0'], "vtc: --max-new-tokens must be an integer >= 1, got '0'"],
    ['--threads two', [...question, '--threads', 'two'], "vtc: --threads must be an integer >= 0, got 'two'"],
    // A model folder that does not exist: these options must be refused before anything tries to load it.
    [
      '--threads 100000',
      ['--model', '/no/such/model', '--image', CHELSEA, '--prompt', 'x', '--threads', '100000'],
      `vtc: --threads must be at most ${availableParallelism()} (this machine's processor threads; 0 lets onnxruntime choose), got '100000'`,
    ],
    [
      '--threads 0x10',
      ['--model', '/no/such/model', '--image', CHELSEA, '--prompt', 'x', '--threads', '0x10'],
      "vtc: --threads must be an integer >= 0, got '0x10'",
    ],
    [
      '--max-new-tokens 0 before loading',
      ['--model', '/no/such/model', '--image', CHELSEA, '--prompt', 'x', '--max-new-tokens', '0'],
      "vtc: --max-new-tokens must be an integer >= 1, got '0'",
    ],
  ])('fails with one vtc: line and no stack for %s', async (_case, args, line) => {
    const run = await ask(...args);
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([line]);
    expect(run.stdout).toBe('');
  });

  it('fails on an unknown option with one vtc: line naming it', async () => {
    const run = await ask(...question, '--bogus');
    expect(run.code).toBe(1);
    const lines = stderrLines(run);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vtc: Unknown option '--bogus'/);
  });
});
