// Desktop build: main process (+ the engine's utility-process entry), the sandboxed preload (CommonJS,
// as sandboxed preloads must be) and the Svelte renderer into out/. The browser host serves the same
// out/renderer, built by src-renderer/vite.config.ts.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

const here = (p: string) => resolve(import.meta.dirname, p);

export default defineConfig({
  main: {
    build: {
      outDir: here('out/main'),
      rollupOptions: {
        input: { index: here('src-main/app/main.ts'), 'engine-process': here('src-main/app/engine-process/utility-worker.ts') },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: here('out/preload'),
      rollupOptions: {
        input: { index: here('src-main/app/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: here('src-renderer'),
    base: './',
    plugins: [svelte({ configFile: false })],
    build: {
      outDir: here('out/renderer'),
      emptyOutDir: true,
      rollupOptions: { input: here('src-renderer/index.html') },
    },
  },
});
