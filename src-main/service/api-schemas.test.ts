import { describe, expect, it } from 'vitest';
import { checkApiArgument } from './api-schemas';

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
