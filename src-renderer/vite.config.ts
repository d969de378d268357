// Browser-mode build of the renderer (the Electron build goes through electron.vite.config.ts).
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs so the same build loads from file:// in Electron and from the host.
  base: './',
  // No svelte.config.js: the defaults (TypeScript in <script lang="ts">, runes) are what we use.
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: fileURLToPath(new URL('../out/renderer', import.meta.url)),
    emptyOutDir: true,
  },
});
