// Installed and downloadable models, downloads in flight, and the engine settings.
import {
  PRUNING_METHODS,
  type DownloadProgress,
  type EngineSettings,
  type MachineInfo,
  type ModelInfo,
  type PruningMethod,
} from '../../src-shared/api';
import { applyDownloadEvent, type Downloads } from '../lib/downloads';
import { client } from './app-client';
import { messageOf, notify } from './status.svelte';

export const models = $state({
  list: [] as ModelInfo[],
  machine: null as MachineInfo | null,
  settings: null as EngineSettings | null,
  downloads: {} as Downloads,
  importDir: '',
});

export function activeModel(): ModelInfo | undefined {
  return models.list.find((m) => m.id === models.settings?.modelId);
}

/** Pruning methods the model in use supports (attention-based ones depend on its vision encoder). */
export function availableMethods(): readonly PruningMethod[] {
  return activeModel()?.methods ?? PRUNING_METHODS;
}

export async function loadModels(): Promise<void> {
  try {
    const [list, machine, settings] = await Promise.all([client.api.listModels(), client.api.machineInfo(), client.api.getSettings()]);
    Object.assign(models, { list, machine, settings });
  } catch (e) {
    notify('error', `Could not load models: ${messageOf(e)}`);
  }
}

export async function pull(modelId: string): Promise<void> {
  try {
    await client.api.pullModel({ modelId });
  } catch (e) {
    notify('error', messageOf(e));
  }
}

export async function pause(modelId: string): Promise<void> {
  try {
    await client.api.pausePull({ modelId });
  } catch (e) {
    notify('error', messageOf(e));
  }
}

export async function importFolder(dir: string): Promise<void> {
  if (!dir.trim()) return;
  try {
    const model = await client.api.importModelFolder({ dir: dir.trim() });
    notify('info', `Imported ${model.name}.`);
    models.importDir = '';
    await loadModels();
  } catch (e) {
    notify('error', messageOf(e));
  }
}

export async function applySettings(next: EngineSettings): Promise<void> {
  try {
    models.settings = await client.api.setSettings(next);
    notify('info', 'Engine settings applied.');
  } catch (e) {
    notify('error', messageOf(e));
  }
}

export function onDownloadEvent(progress: DownloadProgress): void {
  models.downloads = applyDownloadEvent(models.downloads, progress);
  if (progress.state === 'done') void loadModels();
  if (progress.state === 'error') notify('error', `Download of ${progress.modelId} failed: ${progress.error ?? 'unknown error'}`);
}
