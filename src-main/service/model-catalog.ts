// What the service needs from the model catalogue and downloader (src-main/engine/catalog, .../download).
import type { DownloadProgress, ModelInfo } from '../../src-shared/api';
import { importModelFolder, listModels } from '../engine/catalog/model-catalog';
import { pullModel } from '../engine/download/pull-model';

export interface ModelCatalog {
  listModels(): Promise<ModelInfo[]>;
  pullModel(modelId: string, options: { onProgress: (p: DownloadProgress) => void; signal: AbortSignal }): Promise<unknown>;
  importModelFolder(dir: string): Promise<ModelInfo>;
}

/** The embedded models the app falls back to, best first: tiny-llava answers questions about the demo scenes. */
export const EMBEDDED_DEFAULTS = ['tiny-llava', 'tiny-smolvlm'];

export function defaultModelId(models: ModelInfo[]): string | undefined {
  const installed = models.filter((m) => m.installed);
  for (const id of EMBEDDED_DEFAULTS) if (installed.some((m) => m.id === id)) return id;
  return installed[0]?.id;
}

/** The catalogue and downloader of src-main/engine, bound to the app's data folder. */
export function engineCatalog(dataDir: string): ModelCatalog {
  return {
    listModels: () => listModels({ dataDir }),
    pullModel: (modelId, { onProgress, signal }) => pullModel({ modelId, dataDir, onProgress, signal }),
    importModelFolder: (dir) => importModelFolder(dir, { dataDir }),
  };
}
