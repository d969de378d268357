import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSynthDataset } from './dataset';

describe('writeSynthDataset', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes images and one JSON line per question, identical for the same seed', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const out = await mkdtemp(join(tmpdir(), 'synth-'));
      dirs.push(out);
      await writeSynthDataset({ out, count: 6, seed: 11, size: 64, questionsPerScene: 2 });
      runs.push(out);
    }
    const text = await readFile(join(runs[0], 'data.jsonl'), 'utf8');
    expect(await readFile(join(runs[1], 'data.jsonl'), 'utf8')).toBe(text);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(12);
    expect(Object.keys(lines[0]).sort()).toEqual(['answer', 'image', 'question', 'type']);
    const meta = await sharp(join(runs[0], lines[11].image)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    const scenes = (await readFile(join(runs[0], 'scenes.jsonl'), 'utf8')).trim().split('\n');
    expect(scenes).toHaveLength(6);
    expect(JSON.parse(scenes[5]).image).toBe(lines[11].image);
  });

  it('writes large scenes with their grid when asked for crops', async () => {
    const out = await mkdtemp(join(tmpdir(), 'synth-'));
    dirs.push(out);
    await writeSynthDataset({ out, count: 3, seed: 2, size: 96, questionsPerScene: 6, grid: 2 });
    const scenes = (await readFile(join(out, 'scenes.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(scenes.map((sc) => sc.grid)).toEqual([2, 2, 2]);
  });

  it('rejects an empty set', async () => {
    await expect(writeSynthDataset({ out: join(tmpdir(), 'never'), count: 0, seed: 1 })).rejects.toThrow(/count/);
  });
});
