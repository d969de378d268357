// What the service needs from the model catalogue and downloader (src-main/engine/catalog, .../download).
import type { DownloadProgress, ModelInfo } from '../../src-shared/api';
import { importModelFolder, listModels, type CatalogOptions } from '../engine/catalog/model-catalog';
import { pullModel } from '../engine/download/pull-model';

export interface ModelCatalog {
  listModels(): Promise<ModelInfo[]>;
  pullModel(modelId: string, options: { onProgress: (p: DownloadProgress) => void; signal: AbortSignal }): Promise<unknown>;
  importModelFolder(dir: string): Promise<ModelInfo>;
}

/** The embedded model the app falls back to: tiny-llava, trained on the demo scenes, answers questions about them. */
export const EMBEDDED_DEFAULT = 'tiny-llava';

/** The model questions go to before the person picks one; never one with random weights. */
export function defaultModelId(models: ModelInfo[]): string | undefined {
  const answering = models.filter((m) => m.installed && !m.randomWeights);
  return (answering.find((m) => m.id === EMBEDDED_DEFAULT) ?? answering[0])?.id;
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
