// The browser host serves the built renderer (out/renderer). `npm run serve` builds it first when it is
// missing or older than any renderer or shared source file, so a fresh checkout just works.
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';

export interface RendererPaths {
  root: string;
  /** Folders whose files the renderer build reads. */
  sources: string[];
  outDir: string;
  viteConfig: string;
}

export function rendererPaths(root: string): RendererPaths {
  return {
    root,
    sources: [path.join(root, 'src-renderer'), path.join(root, 'src-shared')],
    outDir: path.join(root, 'out', 'renderer'),
    viteConfig: path.join(root, 'src-renderer', 'vite.config.ts'),
  };
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, (await fsp.stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

export async function rendererIsStale(paths: RendererPaths): Promise<boolean> {
  const built = path.join(paths.outDir, 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = (await fsp.stat(built)).mtimeMs;
  for (const dir of paths.sources) if (existsSync(dir) && (await newestMtime(dir)) > builtAt) return true;
  return false;
}

/** Runs `vite build` with the renderer's own config; its output goes to the console. */
export async function buildRenderer(paths: RendererPaths): Promise<void> {
  if (!existsSync(paths.viteConfig)) throw new Error(`Cannot build the renderer: ${paths.viteConfig} is missing`);
  const vite = path.join(paths.root, 'node_modules', 'vite', 'bin', 'vite.js');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', paths.viteConfig, '--logLevel', 'warn'], {
      cwd: paths.root,
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`The renderer build failed (vite exited with code ${code})`);
}
