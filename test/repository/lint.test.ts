// `npm run lint` is part of `npm test`: these tests show that it catches what it is there for, on small
// sources linted as if they lived at the given paths in this repository.
import path from 'node:path';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import { describe, expect, test } from 'vitest';
import { layeringProblem } from '../../eslint-local/code-layering.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function layeringMessages(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'local/code-layering').map((m) => m.message);
}

describe('the layering rule', () => {
  test('refuses an upward import: the engine may not import the service', async () => {
    const messages = await layeringMessages(
      'src-main/engine/vision/example.ts',
      "import { createAppService } from '../../service/app-service';\n",
    );
    expect(messages).toEqual([
      'the engine layer (src-main/engine) may not import the service layer (src-main/service); it may import shared',
    ]);
  });

  test('refuses a sideways import between entry points: the host may not import the CLI', async () => {
    expect(await layeringMessages('src-main/host/example.ts', "import { parseOptions } from '../cli/args';\n")).toHaveLength(1);
  });

  test('refuses Node and ONNX in the renderer, and anything but shared', async () => {
    expect(await layeringMessages('src-renderer/lib/example.ts', "import fs from 'node:fs';\n")).toEqual([
      "the renderer layer may not import 'node:fs'",
    ]);
    expect(await layeringMessages('src-renderer/lib/example.ts', "import { Engine } from '../../src-main/engine/engine';\n")).toHaveLength(
      1,
    );
    expect(await layeringMessages('src-renderer/lib/example.ts', "import type { AppApi } from '../../src-shared/api';\n")).toEqual([]);
  });

  test('refuses test support and the test framework in product code, and allows both in tests', async () => {
    expect(await layeringMessages('src-main/engine/cache/example.ts', "import { photo } from '../test/paths';\n")).toEqual([
      "product code may not import test support ('../test/paths')",
    ]);
    expect(await layeringMessages('src-main/engine/cache/example.ts', "import { expect } from 'vitest';\n")).toEqual([
      "product code may not import the test framework 'vitest'",
    ]);
    expect(
      await layeringMessages(
        'src-main/engine/cache/example.test.ts',
        "import { photo } from '../test/paths';\nimport { expect } from 'vitest';\n",
      ),
    ).toEqual([]);
  });

  test('engine tests are held to the engine layer too', () => {
    expect(layeringProblem('src-main/engine/test/oracle.test.ts', '../../bench/transformers-reference')).toMatch(
      /may not import the bench layer/,
    );
  });

  test('allows what the architecture allows', () => {
    expect(layeringProblem('src-main/service/app-service.ts', '../engine/errors')).toBeUndefined();
    expect(layeringProblem('src-main/cli/commands/serve.ts', '../../host/server')).toBeUndefined();
    expect(layeringProblem('src-main/app/main.ts', 'electron')).toBeUndefined();
    expect(layeringProblem('src-main/engine/engine.ts', 'electron')).toMatch(/may not import 'electron'/);
  });
});

describe('formatting', () => {
  test('Prettier with the repository settings refuses unformatted code and accepts formatted code', async () => {
    const file = path.join(root, 'src-main/engine/example.ts');
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    expect(await prettier.check('const  a = {b:1}\n', options)).toBe(false);
    expect(await prettier.check('const a = { b: 1 };\n', options)).toBe(true);
  });
});
