// The library domain of the app API: the photos (list, search, import by path with progress and cancel,
// uploads, removal), their media by id, and the health of the library's files (read-only on a full disk).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AppApi, ImportEvent, ImportReport, ImportRequest, LibraryReadOnlyEvent } from '../../src-shared/api';
import { EngineError } from '../engine/errors';
import { displayRendition, type Rendition } from './images';
import type { DemoAlbum } from './demo-album';
import type { Library } from './library';
import type { LibraryStore } from './library-store';

export type MediaKind = 'thumb' | 'photo';

export interface LibraryApi extends Pick<
  AppApi,
  'libraryHealth' | 'listPhotos' | 'cancelImport' | 'importUpload' | 'removePhoto' | 'restoreDemoAlbum'
> {
  /** `callerGone` aborts when whoever started the import has gone (its page closed): the import stops as on cancel. */
  importPaths(arg: ImportRequest, callerGone?: AbortSignal): Promise<ImportReport>;
}

export interface LibraryServiceDeps {
  store: LibraryStore;
  library: Library;
  demo: Pick<DemoAlbum, 'restore'>;
  emit: (event: ImportEvent | LibraryReadOnlyEvent) => void;
}

export interface LibraryService {
  readonly api: LibraryApi;
  /** Bytes of an imported photo for display, by id only: no path from outside ever reaches the disk. */
  media(kind: MediaKind, photoId: string): Promise<Rendition>;
  /** Stops the imports in progress (the app is closing); what they added stays. */
  stop(): void;
}

export function createLibraryService({ store, library, demo, emit }: LibraryServiceDeps): LibraryService {
  const imports = new Map<string, AbortController>();
  const offReadOnly = store.onReadOnlyChange((readOnly) => emit({ type: 'library-read-only', readOnly }));

  const api: LibraryApi = {
    libraryHealth: async () => ({ readOnly: store.readOnly, notices: store.notices() }),
    listPhotos: async ({ query }) => library.list(query),
    async importPaths({ paths, importId = randomUUID() }, callerGone) {
      if (imports.has(importId)) throw new EngineError('BAD_ARGUMENT', `An import named '${importId}' is already running`);
      const controller = new AbortController();
      imports.set(importId, controller);
      const signal = callerGone ? AbortSignal.any([controller.signal, callerGone]) : controller.signal;
      try {
        return await library.importPaths(paths, { signal, onProgress: (p) => emit({ type: 'import-progress', importId, ...p }) });
      } finally {
        imports.delete(importId);
      }
    },
    async cancelImport({ importId }) {
      imports.get(importId)?.abort();
    },
    importUpload: ({ name, base64 }) => library.importUpload(name, base64),
    removePhoto: ({ photoId }) => library.remove(photoId),
    restoreDemoAlbum: () => demo.restore(),
  };

  return {
    api,
    async media(kind, photoId) {
      if (kind === 'thumb') return { contentType: 'image/jpeg', data: await readFile(await library.thumbnail(photoId)) };
      return displayRendition(library.require(photoId).path);
    },
    stop() {
      for (const c of imports.values()) c.abort();
      offReadOnly();
    },
  };
}
