// What the import controls say while an import runs: reading folders first, then file by file.

export interface ImportRun {
  /** The app's name for a path import (cancelled through the API); absent for browser uploads. */
  importId?: string;
  done: number;
  /** 0 while folders are still being read. */
  total: number;
  /** The file (or folder) being read now. */
  path: string;
  cancelling: boolean;
}

export function newImportRun(path: string, total: number, importId?: string): ImportRun {
  return { importId, done: 0, total, path, cancelling: false };
}

/** The last part of a path, whichever separator the machine that sent it uses. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts.at(-1) ?? path;
}

export function importProgressText(run: ImportRun): string {
  if (run.cancelling) return `Stopping after ${baseName(run.path)}…`;
  if (run.total === 0) return `Looking for photos in ${baseName(run.path)}…`;
  return `Importing ${run.done + 1} of ${run.total}: ${baseName(run.path)}`;
}
