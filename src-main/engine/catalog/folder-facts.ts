// Facts about a model folder on disk: what kind of model it holds, how big it is, whether it is complete.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists } from './json-file';
import type { ModelManifest } from './manifest';

/** config.json's `model_type` (e.g. idefics3); undefined when the folder has no readable config.json. */
export async function readModelType(dir: string): Promise<string | undefined> {
  const config = await readJsonIfExists(join(dir, 'config.json')).catch(() => undefined);
  if (typeof config !== 'object' || config === null) return undefined;
  const type = (config as Record<string, unknown>).model_type;
  return typeof type === 'string' ? type : 'unknown';
}

/** Bytes of the complete files in a folder; unfinished downloads and dot-files are not part of the model. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name.endsWith('.partial')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

/** Every common file is there, and for each module at least one of the manifest's files for it. */
export function isCompleteInstall(dir: string, manifest: ModelManifest): boolean {
  const has = (path: string) => existsSync(join(dir, ...path.split('/')));
  const moduleFiles = (module: string) => Object.values(manifest.variants).flatMap((v) => (v[module] ? [v[module]] : []));
  return manifest.common.every(has) && manifest.modules.every((m) => moduleFiles(m).some(has));
}
