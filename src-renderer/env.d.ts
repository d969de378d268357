// Brings in Svelte's ambient types: rune declarations for *.svelte.ts stores and `*.svelte` modules for main.ts.
/// <reference types="svelte" />
