// Ambient types for the renderer: Svelte's (rune declarations for *.svelte.ts stores, `*.svelte` modules)
// and Vite's client types (CSS and asset imports).
/// <reference types="svelte" />
/// <reference types="vite/client" />
