// Turns a drop (files and whole folders) into a flat list of Files, walking folders with the
// File and Directory Entries API since browsers hand over folders only as entries.
import { hasImageExtension } from '../../src-shared/image-formats';

/**
 * Files found inside folders are kept only when they are named like a photo the app reads (folders hold
 * sidecars, notes, ...): the same list the app's own folder walk and the file pickers use.
 */
export function looksLikeImageName(name: string): boolean {
  return hasImageExtension(name);
}

export async function droppedFiles(transfer: DataTransfer): Promise<File[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return [...transfer.files];
  const files: File[] = [];
  for (const entry of entries) {
    if (entry.isFile) files.push(await fileOf(entry as FileSystemFileEntry));
    else files.push(...(await filesInFolder(entry as FileSystemDirectoryEntry)));
  }
  return files;
}

async function filesInFolder(dir: FileSystemDirectoryEntry): Promise<File[]> {
  const files: File[] = [];
  for (const entry of await readAll(dir.createReader())) {
    if (entry.isDirectory) files.push(...(await filesInFolder(entry as FileSystemDirectoryEntry)));
    else if (looksLikeImageName(entry.name)) files.push(await fileOf(entry as FileSystemFileEntry));
  }
  return files;
}

// readEntries returns at most ~100 entries per call; keep reading until it returns none.
async function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}
