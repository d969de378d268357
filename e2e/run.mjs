// `npm run test:e2e`: runs the end-to-end files one after another and ends with a pass/fail line. Each
// file starts what it drives: the browser host (`vtc serve`, src-main/cli/commands/serve.ts, which builds the renderer when
// it is missing or stale) or the Electron app.
import { rmSync } from 'node:fs';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import path from 'node:path';
import { screenshotDir } from './browser.mjs';
import { repoRoot } from './host.mjs';

const FILES = ['browser-host.e2e.mjs', 'electron.e2e.mjs'].map((f) => path.join(repoRoot, 'e2e', f));
// `node e2e/run.mjs browser-host` runs only the files whose names contain the argument.
const only = process.argv[2];

// Screenshots describe this run only; a failure screenshot from an earlier run would mislead.
rmSync(screenshotDir, { recursive: true, force: true });

const counts = { passed: 0, failed: 0, skipped: 0 };
const stream = run({ files: FILES.filter((f) => !only || path.basename(f).includes(only)), concurrency: 1 });
stream.on('test:pass', (t) => {
  if (t.skip) counts.skipped++;
  else if (t.details.type !== 'suite') counts.passed++;
});
stream.on('test:fail', (t) => {
  if (t.details.type !== 'suite') counts.failed++;
});
const report = stream.compose(spec);
report.pipe(process.stdout);
// After the reporter's own summary, so this is the closing line.
report.once('end', () => {
  const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
  console.log(`\ne2e: ${counts.passed} passed, ${counts.failed} failed${skipped}`);
  process.exitCode = counts.failed > 0 ? 1 : 0;
});
