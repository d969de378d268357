#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx vtc` works straight after `npm install`, without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src-main/cli/main.ts');
