import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvalData, readEvalData } from './eval-data';

describe('parseEvalData', () => {
  it('reads one item per line, resolving images against the base folder and skipping blank lines', () => {
    const text = [
      '{"image":"images/000000.png","type":"color","question":"what color is the square?","answer":"orange"}',
      '',
      '{"image":"/abs/b.png","question":"is there a red cross?","answer":"no"}',
      '',
    ].join('\n');
    expect(parseEvalData(text, 'data.jsonl', '/sets/a')).toEqual([
      { image: '/sets/a/images/000000.png', question: 'what color is the square?', answer: 'orange', type: 'color', line: 1 },
      { image: '/abs/b.png', question: 'is there a red cross?', answer: 'no', line: 3 },
    ]);
  });

  it.each([
    ['{"image":"a.png","question":"q?"', /^d\.jsonl line 2: not valid JSON/],
    ['["a.png","q?","yes"]', /^d\.jsonl line 2: expected an object with "image", "question" and "answer"$/],
    ['{"image":"a.png","question":"q?"}', /^d\.jsonl line 2: missing "answer"$/],
    ['{"image":"a.png","question":"  ","answer":"yes"}', /^d\.jsonl line 2: "question" must be a non-empty string$/],
    ['{"image":3,"question":"q?","answer":"yes"}', /^d\.jsonl line 2: "image" must be a non-empty string$/],
    ['{"image":"a.png","question":"q?","answer":"yes","type":5}', /^d\.jsonl line 2: "type" must be a non-empty string$/],
  ])('names the line of a bad record: %s', (bad, message) => {
    const good = '{"image":"a.png","question":"q?","answer":"yes"}';
    expect(() => parseEvalData(`${good}\n${bad}\n`, 'd.jsonl', '/x')).toThrow(message);
  });

  it('refuses a file without questions', () => {
    expect(() => parseEvalData('\n\n', 'd.jsonl', '/x')).toThrow('d.jsonl holds no questions');
  });
});

describe('readEvalData', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vtc-eval-data-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds photos next to the data file', async () => {
    writeFileSync(join(dir, 'a.png'), 'x');
    writeFileSync(join(dir, 'ok.jsonl'), '{"image":"a.png","question":"q?","answer":"yes"}\n');
    const items = await readEvalData(join(dir, 'ok.jsonl'));
    expect(items.map((i) => i.image)).toEqual([join(dir, 'a.png')]);
  });

  it('names the line whose photo is missing', async () => {
    writeFileSync(
      join(dir, 'missing.jsonl'),
      '{"image":"a.png","question":"q?","answer":"yes"}\n{"image":"gone.png","question":"q?","answer":"no"}\n',
    );
    await expect(readEvalData(join(dir, 'missing.jsonl'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: `${join(dir, 'missing.jsonl')} line 2: photo ${join(dir, 'gone.png')} does not exist`,
    });
  });

  it('says which data file cannot be read', async () => {
    await expect(readEvalData(join(dir, 'nope.jsonl'))).rejects.toThrow(`cannot read the evaluation data ${join(dir, 'nope.jsonl')}`);
  });
});
