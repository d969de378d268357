import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_API_METHODS } from '../../src-shared/api';
import { checkApiArgument } from './api-schemas';
import { createAppService } from './app-service';
import type { EngineLauncher } from './engine-process/engine-launcher';

// Arguments arrive as JSON text (the browser host parses the body, Electron's IPC clones it), and
// JSON.parse makes "__proto__" an own property: the schema must see it as the unknown field it is.
const parsed = (json: string) => JSON.parse(json) as unknown;

describe('checkApiArgument', () => {
  it('takes a well-formed argument as it is', () => {
    const arg = parsed('{"photoId":"p1","question":"What?","method":"uniform","budget":{"kind":"ratio","ratio":0.5}}');
    expect(checkApiArgument('ask', arg)).toBe(arg);
  });

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'])('refuses a field named %s', (key) => {
    const arg = parsed(`{"modelId":"tiny","${key}":{"polluted":true}}`);
    expect(() => checkApiArgument('pullModel', arg)).toThrow(`pullModel() has an unknown field '${key}'`);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses %s nested inside an object field', (key) => {
    const arg = parsed(`{"photoId":"p1","question":"What?","method":"uniform","budget":{"kind":"ratio","ratio":0.5,"${key}":1}}`);
    expect(() => checkApiArgument('ask', arg)).toThrow(`ask().budget has an unknown field '${key}'`);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('refuses the tag value %s of a tagged union', (tag) => {
    const arg = parsed(`{"photoId":"p1","question":"What?","method":"uniform","budget":{"kind":"${tag}"}}`);
    expect(() => checkApiArgument('ask', arg)).toThrow(`ask().budget.kind must be one of count, ratio; got '${tag}'`);
  });

  it('refuses a method-less argument that carries a prototype key', () => {
    expect(() => checkApiArgument('listModels', parsed('{"__proto__":{}}'))).toThrow('listModels() takes no argument');
  });
});

/** An engine process that never gets ready: the service starts one, and these tests never call it. */
const idleLauncher: EngineLauncher = {
  launch: () => ({ pid: undefined, send() {}, onMessage() {}, onExit() {}, kill() {} }),
};

describe('the API table and the service', () => {
  it('have the same methods: each table entry has a handler, and each handler a table entry', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vtc-api-table-'));
    const service = await createAppService({ dataDir, launcher: idleLauncher });
    try {
      // A handler the table lacks could never be called (invoke refuses names outside the table), and a table
      // entry without a handler would pass its check and then fail: both are mistakes of adding a call.
      expect(Object.keys(service.api).sort()).toEqual([...APP_API_METHODS].sort());
      await expect(service.invoke('toString', {})).rejects.toThrow("Unknown method 'toString'");
    } finally {
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
