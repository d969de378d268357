// The repository must stand alone: a clone with nothing beside it runs the app, the tests and the fixture
// builds. These checks read every tracked source file and refuse a path that leaves the repository.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
const CODE = /\.(ts|mts|mjs|cjs|js|svelte|py|sh)$|^\.ci\/run$/;
const code = tracked.filter((f) => CODE.test(f) && !f.startsWith('test/repository/'));

/** Lines that reach outside the repository: the sibling shared/ folder, or the workspace that holds the clone here. */
function outsidePaths(text: string): string[] {
  return text.split('\n').filter((line) => /\.\.\/shared\b|['"`]\/work\//.test(line));
}

describe('the repository stands alone', () => {
  test('no code, test or script names a path outside the repository', () => {
    const offenders = code.flatMap((f) => outsidePaths(readFileSync(path.join(root, f), 'utf8')).map((line) => `${f}: ${line.trim()}`));
    expect(offenders).toEqual([]);
  });

  test('the check itself recognises the paths it refuses', () => {
    expect(outsidePaths("const PHOTOS = path.resolve(repoRoot, '../shared/photos');")).toHaveLength(1);
    expect(outsidePaths("const gemma = '/work/shared/onnx-graphs/x';")).toHaveLength(1);
    expect(outsidePaths("import { x } from '../../src-shared/api';")).toHaveLength(0);
  });

  test('the assets the tests and fixture builds need are committed, with their sources and licences', () => {
    for (const file of [
      'test-assets/photos/SOURCES.md',
      'test-assets/photos/chelsea.png',
      'test-assets/onnx-graphs/gemma3-4b-vision-encoder/SOURCE.md',
      'test-assets/onnx-graphs/gemma3-4b-vision-encoder/vision_encoder.onnx',
      'models/reference/smolvlm-256m-instruct/SOURCE.md',
      'models/reference/smolvlm-256m-instruct/tokenizer.json',
    ]) {
      expect(tracked, file).toContain(file);
      expect(existsSync(path.join(root, file)), file).toBe(true);
    }
  });
});
