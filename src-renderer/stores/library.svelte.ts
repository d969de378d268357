// The photo library: the current (searched) list, the selection for batch runs, and imports.
import { formatCount } from '../../src-shared/format';
import type { ImportEvent, ImportProblem, Photo } from '../../src-shared/api';
import { droppedFiles } from '../lib/dropped-files';
import { newImportRun, type ImportRun } from '../lib/import-progress';
import { client } from './app-client';
import { messageOf, notify } from './status.svelte';

export const library = $state({
  photos: [] as Photo[],
  query: '',
  /** The query `photos` answers (the search box may already hold a newer one). */
  shownQuery: '',
  loading: false,
  selected: [] as string[],
  importing: null as ImportRun | null,
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

/** Paths on the app's machine (Electron's dialogs and drops, or a typed path): the app walks and reads them. */
export async function importPaths(paths: string[]): Promise<void> {
  if (paths.length === 0 || importRunning()) return;
  // The call lasts as long as the import; its id, chosen here, is what progress events and Cancel refer to.
  const importId = crypto.randomUUID();
  library.importing = newImportRun(paths[0], 0, importId);
  try {
    const { added, errors, cancelled } = await client.api.importPaths({ paths, importId });
    reportImport(added.length, errors, cancelled);
  } catch (e) {
    reportImport(
      0,
      paths.map((path) => ({ path, message: messageOf(e) })),
      false,
    );
  } finally {
    library.importing = null;
  }
  await refreshPhotos();
}

/** One import at a time (a drop can arrive while the buttons are disabled): say so rather than ignore it. */
function importRunning(): boolean {
  if (library.importing) notify('info', 'An import is already running: wait for it to finish, or cancel it first.');
  return library.importing !== null;
}

export function onImportEvent(event: ImportEvent): void {
  const run = library.importing;
  if (!run || run.importId !== event.importId) return;
  library.importing = { ...run, done: event.done, total: event.total, path: event.path };
}

/** Stops the running import after the file it is reading; what was added stays. */
export async function cancelImport(): Promise<void> {
  const run = library.importing;
  if (!run || run.cancelling) return;
  library.importing = { ...run, cancelling: true };
  // Uploads stop in importFiles' loop; a path import is the app's to stop.
  if (!run.importId) return;
  try {
    await client.api.cancelImport({ importId: run.importId });
  } catch (e) {
    notify('error', `Could not cancel the import: ${messageOf(e)}`);
  }
}

/** Browser mode has no disk paths: files are uploaded one by one, so one bad file does not stop the rest. */
export async function importFiles(files: File[]): Promise<void> {
  if (files.length === 0 || importRunning()) return;
  const errors: ImportProblem[] = [];
  let added = 0;
  let done = 0;
  library.importing = newImportRun(files[0].name, files.length);
  for (const file of files) {
    if (library.importing.cancelling) break;
    library.importing = { ...library.importing, done, path: file.webkitRelativePath || file.name };
    try {
      await client.api.importUpload({ name: file.name, base64: await fileToBase64(file) });
      added++;
    } catch (e) {
      errors.push({ path: file.webkitRelativePath || file.name, message: messageOf(e) });
    }
    done++;
  }
  const cancelled = library.importing.cancelling && done < files.length;
  library.importing = null;
  reportImport(added, errors, cancelled);
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

/** Puts back the demo scenes the library lacks, with their known questions. */
export async function restoreDemoAlbum(): Promise<void> {
  try {
    const added = await client.api.restoreDemoAlbum();
    await refreshPhotos();
    notify(
      'info',
      added.length > 0 ? `Restored ${formatCount(added.length, 'demo scene')}.` : 'The demo album is complete: nothing to restore.',
    );
  } catch (e) {
    notify('error', `Could not restore the demo album: ${messageOf(e)}`);
  }
}

export function toggleSelected(photoId: string): void {
  library.selected = library.selected.includes(photoId) ? library.selected.filter((id) => id !== photoId) : [...library.selected, photoId];
}

function reportImport(added: number, errors: ImportProblem[], cancelled: boolean): void {
  library.problems = errors;
  const photos = `${added} photo${added === 1 ? '' : 's'}`;
  if (cancelled) notify('info', `Import cancelled; ${photos} added before it stopped.`);
  else if (added > 0) notify('info', `Imported ${photos}.`);
  else if (errors.length === 0) notify('info', 'No new photos found there.');
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
