// An evaluation set on disk: data.jsonl as `vtc synth` writes it, one {"image","question","answer"} object per
// line, with an optional "type" (the question's kind, for per-type results; other keys are ignored), image paths
// relative to the file's folder. Every problem is
// reported with the file and line, before any model runs.
import { access, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { EngineError } from '../engine/errors';

export interface EvalItem {
  /** Absolute path of the photo. */
  image: string;
  question: string;
  answer: string;
  /** The question's kind ("color", "count", ...), when the data names one. */
  type?: string;
  /** 1-based line in the data file, for messages. */
  line: number;
}

function stringField(record: Record<string, unknown>, key: string, where: string): string {
  const v = record[key];
  if (v === undefined) throw new EngineError('BAD_ARGUMENT', `${where}: missing "${key}"`);
  if (typeof v !== 'string' || v.trim() === '') throw new EngineError('BAD_ARGUMENT', `${where}: "${key}" must be a non-empty string`);
  return v;
}

/** Parses the text of a data.jsonl; `baseDir` is where relative image paths start. Blank lines are skipped. */
export function parseEvalData(text: string, source: string, baseDir: string): EvalItem[] {
  const items: EvalItem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const where = `${source} line ${line}`;
    if (raw.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (e) {
      throw new EngineError('BAD_ARGUMENT', `${where}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new EngineError('BAD_ARGUMENT', `${where}: expected an object with "image", "question" and "answer"`);
    }
    const fields = record as Record<string, unknown>;
    items.push({
      image: resolve(baseDir, stringField(fields, 'image', where)),
      question: stringField(fields, 'question', where),
      answer: stringField(fields, 'answer', where),
      ...(fields.type === undefined ? {} : { type: stringField(fields, 'type', where) }),
      line,
    });
  });
  if (items.length === 0) throw new EngineError('BAD_ARGUMENT', `${source} holds no questions`);
  return items;
}

/** Reads and parses a data file and checks that every photo it names exists. */
export async function readEvalData(file: string): Promise<EvalItem[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new EngineError('FILE_NOT_FOUND', `cannot read the evaluation data ${file}`);
  }
  const items = parseEvalData(text, file, dirname(resolve(file)));
  for (const item of items) {
    await access(item.image).catch(() => {
      throw new EngineError('FILE_NOT_FOUND', `${file} line ${item.line}: photo ${item.image} does not exist`);
    });
  }
  return items;
}
