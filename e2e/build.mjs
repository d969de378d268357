// Builds the browser-mode renderer when out/renderer is missing or older than its sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './host.mjs';

const OUTPUT = path.join(repoRoot, 'out/renderer/index.html');
const SOURCES = ['src-renderer', 'src-shared'].map((dir) => path.join(repoRoot, dir));

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function buildRendererIfStale() {
  const built = existsSync(OUTPUT) ? statSync(OUTPUT).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map(newestMtime));
  if (built >= sources) return false;
  execFileSync('npx', ['vite', 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: repoRoot, stdio: 'inherit' });
  return true;
}
