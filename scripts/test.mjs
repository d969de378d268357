#!/usr/bin/env node
// `npm test`: lint, type-check, unit and integration tests (vitest), then the end-to-end tests, and one closing
// line that counts them all. Every stage runs even when an earlier one failed, so one run shows everything.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tmp = mkdtempSync(join(tmpdir(), 'vtc-test-'));
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function step(name, cmd, args, options = {}) {
  console.log(`\n=== ${name}: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  process.stdout.write(r.stdout ?? '');
  return { ok: r.status === 0, stdout: r.stdout ?? '' };
}

let passed = 0;
let failed = 0;

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
for (const [name, script] of [
  ['lint (layering, ESLint rules, Prettier formatting)', 'lint'],
  ['typecheck (TypeScript and Svelte)', 'typecheck'],
]) {
  if (step(name, npm, ['run', '--silent', script]).ok) passed++;
  else failed++;
}

const vitestJson = join(tmp, 'vitest.json');
const unit = step('unit and integration tests', npx, [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
]);
try {
  const report = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A file that fails to load has no failed test in it but is a failure all the same.
  if (!unit.ok && report.numFailedTests === 0) failed++;
} catch {
  failed++;
}

const e2e = step('end-to-end tests', process.execPath, ['e2e/run.mjs']);
const m = /e2e: (\d+) passed, (\d+) failed/.exec(e2e.stdout);
if (m) {
  passed += Number(m[1]);
  failed += Number(m[2]);
}
if (!e2e.ok && (!m || Number(m[2]) === 0)) failed++;

rmSync(tmp, { recursive: true, force: true });
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
