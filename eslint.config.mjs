// `npm run lint` (part of `npm test`): TypeScript's recommended rules and the architecture's layering
// (eslint-local/code-layering.mjs). Formatting is Prettier's job, not ESLint's.
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import local from './eslint-local/code-layering.mjs';

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'models/fixtures/', 'e2e/screenshots/', 'test-results/'] },
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser }, globals: globals.browser },
  },
  {
    files: ['**/*.{ts,mts,mjs,js,svelte}'],
    languageOptions: { globals: { ...globals.node } },
    plugins: { local },
    rules: {
      'local/code-layering': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
);
