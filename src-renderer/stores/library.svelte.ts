// The photo library: the current (searched) list, the selection for batch runs, and imports.
import type { Photo } from '../../src-shared/api';
import { droppedFiles } from '../lib/droppedFiles';
import { client } from './client';
import { messageOf, notify } from './status.svelte';

export interface ImportProblem {
  path: string;
  message: string;
}

export const library = $state({
  photos: [] as Photo[],
  query: '',
  /** The query `photos` answers (the search box may already hold a newer one). */
  shownQuery: '',
  loading: false,
  selected: [] as string[],
  importing: null as { done: number; total: number } | null,
  problems: [] as ImportProblem[],
});

let searchSeq = 0;

export async function refreshPhotos(): Promise<void> {
  // A slow search must not overwrite the answer to a newer one.
  const seq = ++searchSeq;
  library.loading = true;
  const query = library.query.trim();
  try {
    const photos = await client.api.listPhotos({ query: query || undefined });
    if (seq === searchSeq) {
      library.photos = photos;
      library.shownQuery = query;
    }
  } catch (e) {
    notify('error', `Could not load the library: ${messageOf(e)}`);
  } finally {
    if (seq === searchSeq) library.loading = false;
  }
}

export async function importPaths(paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  library.importing = { done: 0, total: paths.length };
  try {
    const { added, errors } = await client.api.importPaths({ paths });
    reportImport(added.length, errors);
  } catch (e) {
    reportImport(0, paths.map((path) => ({ path, message: messageOf(e) })));
  } finally {
    library.importing = null;
  }
  await refreshPhotos();
}

/** Browser mode has no disk paths: files are uploaded one by one, so one bad file does not stop the rest. */
export async function importFiles(files: File[]): Promise<void> {
  if (files.length === 0) return;
  const errors: ImportProblem[] = [];
  let added = 0;
  library.importing = { done: 0, total: files.length };
  for (const file of files) {
    try {
      await client.api.importUpload({ name: file.name, base64: await fileToBase64(file) });
      added++;
    } catch (e) {
      errors.push({ path: file.webkitRelativePath || file.name, message: messageOf(e) });
    }
    library.importing = { done: library.importing.done + 1, total: files.length };
  }
  library.importing = null;
  reportImport(added, errors);
  await refreshPhotos();
}

/** A drop: Electron knows the dropped files' and folders' paths; a browser only gets their contents. */
export async function importDrop(transfer: DataTransfer): Promise<void> {
  const pathOf = client.pathForFile;
  if (pathOf) return importPaths([...transfer.files].map((f) => pathOf(f)).filter(Boolean));
  return importFiles(await droppedFiles(transfer));
}

export async function removePhoto(photo: Photo): Promise<void> {
  try {
    await client.api.removePhoto({ photoId: photo.id });
    library.selected = library.selected.filter((id) => id !== photo.id);
    library.photos = library.photos.filter((p) => p.id !== photo.id);
    notify('info', `Removed ${photo.name} from the library (the file itself is untouched).`);
  } catch (e) {
    notify('error', `Could not remove ${photo.name}: ${messageOf(e)}`);
  }
}

export function toggleSelected(photoId: string): void {
  library.selected = library.selected.includes(photoId)
    ? library.selected.filter((id) => id !== photoId)
    : [...library.selected, photoId];
}

function reportImport(added: number, errors: ImportProblem[]): void {
  library.problems = errors;
  if (added > 0) notify('info', `Imported ${added} photo${added === 1 ? '' : 's'}.`);
  if (added === 0 && errors.length === 0) notify('info', 'No new photos found there.');
}

async function fileToBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  // btoa needs a binary string; build it in chunks so large photos do not overflow the call stack.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
