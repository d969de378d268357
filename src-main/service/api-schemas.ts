// The argument schema of every AppApi method: the one place the service boundary is checked,
// whichever transport (Electron IPC or the browser host) the call came through.
import { PRUNING_METHODS, type AppApiMethod } from '../../src-shared/api';
import { check, int, obj, oneOf, str, type Schema } from './schema';

const PROVIDERS = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
const id = str(200);
export const budget: Schema = {
  kind: 'tagged',
  tag: 'kind',
  variants: {
    count: obj({ kind: oneOf(['count']), count: int(1, 1_000_000) }),
    ratio: obj({ kind: oneOf(['ratio']), ratio: { kind: 'number', min: 0, exclusiveMin: true, max: 1 } }),
  },
};
const none: Schema = { kind: 'none' };

export const API_SCHEMAS: Record<AppApiMethod, Schema> = {
  machineInfo: none,
  listModels: none,
  pullModel: obj({ modelId: id }),
  pausePull: obj({ modelId: id }),
  importModelFolder: obj({ dir: str() }),
  getSettings: none,
  setSettings: obj({ modelId: id, ep: oneOf(PROVIDERS), threads: int(1, 256) }),
  libraryHealth: none,
  listPhotos: obj({ query: str(500, 0) }, ['query']),
  importPaths: obj({ paths: { kind: 'array', items: str(), minItems: 1, maxItems: 10_000 }, importId: id }, ['importId']),
  cancelImport: obj({ importId: id }),
  importUpload: obj({ name: str(255), base64: str(140 * 1024 * 1024) }),
  removePhoto: obj({ photoId: id }),
  chat: obj({ photoId: id }),
  ask: obj(
    { photoId: id, question: str(2000), method: oneOf(PRUNING_METHODS), budget, maxNewTokens: int(1, 1024) },
    ['maxNewTokens'],
  ),
  cancelAsk: obj({ askId: id }),
  batch: obj({ photoIds: { kind: 'array', items: id, minItems: 1, maxItems: 10_000 }, question: str(2000), method: oneOf(PRUNING_METHODS), budget }),
  cancelBatch: obj({ batchId: id }),
};

export function isApiMethod(name: unknown): name is AppApiMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(API_SCHEMAS, name);
}

/** Checks one call's argument against its method's schema; unknown fields and methods are refused. */
export function checkApiArgument(method: AppApiMethod, arg: unknown): unknown {
  return check(API_SCHEMAS[method], arg, `${method}()`);
}
