// What the service needs from the model catalogue and downloader (src-main/engine/catalog, .../download).
import type { DownloadProgress, ModelInfo } from '../../src-shared/api';
import { importModelFolder, listModels, type CatalogOptions } from '../engine/catalog/model-catalog';
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

/**
 * The catalogue and downloader of src-main/engine, bound to the app's data folder. A bundled app passes
 * where its manifests and embedded models are, since bundling moves the code away from the repository layout.
 */
export function engineCatalog(dataDir: string, dirs: Pick<CatalogOptions, 'manifestsDir' | 'fixturesDir'> = {}): ModelCatalog {
  const options = { dataDir, ...dirs };
  return {
    listModels: () => listModels(options),
    pullModel: (modelId, { onProgress, signal }) => pullModel({ modelId, onProgress, signal, ...options }),
    importModelFolder: (dir) => importModelFolder(dir, options),
  };
}
