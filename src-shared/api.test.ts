import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  APP_API,
  APP_API_METHODS,
  type AppApi,
  type AskRequest,
  type BatchRequest,
  type Budget,
  type ChatEntry,
  type EngineSettings,
  type ImportReport,
  type ImportRequest,
  type MachineInfo,
  type Photo,
  type PruningMethod,
} from './api';
import { schemaProblem } from './schema';

// The API's types are read off the table's schemas. These are the types the API had when they were written
// by hand: the type check (npm test runs it) fails if the inference ever drifts from them.
describe('the app API table', () => {
  it('infers the argument types the API always had', () => {
    expectTypeOf<Budget>().toEqualTypeOf<{ kind: 'count'; count: number } | { kind: 'ratio'; ratio: number }>();
    expectTypeOf<EngineSettings>().toEqualTypeOf<{ modelId: string; ep: 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu'; threads: number }>();
    expectTypeOf<ImportRequest>().toEqualTypeOf<{ paths: string[]; importId?: string }>();
    expectTypeOf<AskRequest>().toEqualTypeOf<{
      photoId: string;
      question: string;
      method: PruningMethod;
      budget: Budget;
      crops?: number;
      maxNewTokens?: number;
    }>();
    expectTypeOf<BatchRequest>().toEqualTypeOf<{ photoIds: string[]; question: string; method: PruningMethod; budget: Budget }>();
  });

  it('gives each method its argument and result, and none to a method whose schema is none', () => {
    expectTypeOf<AppApi['machineInfo']>().toEqualTypeOf<() => Promise<MachineInfo>>();
    expectTypeOf<AppApi['listPhotos']>().toEqualTypeOf<(arg: { query?: string }) => Promise<Photo[]>>();
    expectTypeOf<AppApi['importPaths']>().toEqualTypeOf<(arg: ImportRequest) => Promise<ImportReport>>();
    expectTypeOf<AppApi['chat']>().toEqualTypeOf<(arg: { photoId: string }) => Promise<ChatEntry[]>>();
    expectTypeOf<AppApi['ask']>().toEqualTypeOf<(arg: AskRequest) => Promise<{ askId: string }>>();
    expectTypeOf<AppApi['cancelAsk']>().toEqualTypeOf<(arg: { askId: string }) => Promise<void>>();
  });

  it('lists every method of the table once', () => {
    expect(APP_API_METHODS).toEqual(Object.keys(APP_API));
    expect(new Set(APP_API_METHODS).size).toBe(APP_API_METHODS.length);
  });

  it('checks an argument by the same schema its type comes from', () => {
    const ok: AskRequest = { photoId: 'p1', question: 'What?', method: 'uniform', budget: { kind: 'count', count: 64 } };
    expect(schemaProblem(APP_API.ask.arg, ok, 'ask()')).toBeUndefined();
    expect(schemaProblem(APP_API.ask.arg, { ...ok, maxNewTokens: 0 }, 'ask()')).toBe('ask().maxNewTokens must be >= 1, got 0');
    expect(schemaProblem(APP_API.listPhotos.arg, {}, 'listPhotos()')).toBeUndefined();
    expect(schemaProblem(APP_API.importPaths.arg, { importId: 'i1' }, 'importPaths()')).toBe('importPaths().paths is required');
    expect(schemaProblem(APP_API.machineInfo.arg, { x: 1 }, 'machineInfo()')).toBe('machineInfo() takes no argument');
  });
});
