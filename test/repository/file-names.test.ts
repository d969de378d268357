// One naming convention: modules are kebab-case (Svelte components keep PascalCase, the name they are written
// with in markup), and no two modules share a file name, so a search or an editor tab names one file.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const modules = execFileSync(
  'git',
  ['ls-files', '-z', 'src-main', 'src-shared', 'src-renderer', 'test', 'e2e', 'scripts', 'eslint-local'],
  { cwd: root, encoding: 'utf8' },
)
  .split('\0')
  .filter((f) => /\.(ts|mts|mjs|js)$/.test(f));

const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*$/;
/** Names a folder's role gives it (entry points, a family's adapter and processor, a folder's index). */
const ROLE_NAMES = new Set(['main.ts', 'index.ts', 'family.ts', 'family.test.ts', 'image-processor.ts', 'image-processor.test.ts']);

test('every module file name is kebab-case', () => {
  expect(modules.filter((f) => !KEBAB.test(path.basename(f)))).toEqual([]);
});

test('no two modules share a file name, except the names a folder role gives', () => {
  const byName = new Map<string, string[]>();
  for (const f of modules) byName.set(path.basename(f), [...(byName.get(path.basename(f)) ?? []), f]);
  const twins = [...byName].filter(([name, files]) => files.length > 1 && !ROLE_NAMES.has(name));
  expect(twins).toEqual([]);
});
