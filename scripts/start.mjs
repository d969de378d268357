// `npm start`: the desktop app through electron-vite (which builds it first) when the Electron binary is
// installed or can be fetched, otherwise the browser host (same renderer, same API) with a note saying so. Extra arguments go to whichever runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

/**
 * Where the `electron` package keeps its binary (path.txt names it inside dist/). Requiring the package
 * instead would try to download a missing binary, which an offline machine cannot.
 */
function electronBinary() {
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return undefined;
  }
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkgDir, 'dist');
  const binary = join(distDir, readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

/**
 * Electron's package fetches its binary on first use. Try that once (quietly: an offline machine fails in a
 * moment), so a normal install opens the desktop app and an offline one still gets the browser mode.
 */
function ensureElectronBinary() {
  const present = electronBinary();
  if (present || process.env.VTC_BROWSER_MODE) return present;
  let installer;
  try {
    installer = join(dirname(require.resolve('electron/package.json')), 'install.js');
  } catch {
    return undefined;
  }
  console.log('Fetching the Electron binary (first run only)…');
  const result = spawnSync(process.execPath, [installer], { cwd: root, stdio: 'ignore', timeout: 10 * 60_000 });
  return result.status === 0 ? electronBinary() : undefined;
}

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}

if (ensureElectronBinary()) {
  run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'preview', ...args]);
} else {
  console.log('Electron could not be installed on this machine (no Electron binary), so the app starts in browser mode:');
  console.log('open the address printed below in Chromium or any modern browser.');
  run(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src-main', 'cli', 'main.ts'), 'serve', ...args]);
}
