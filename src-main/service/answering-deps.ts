// What a domain that asks the engine questions about photos needs: chats (one question) and batch (one question
// over many photos) are built from the same parts and differ only in the events they send.
import type { DemoAlbum } from './demo-album';
import type { EngineClient } from './engine-process/engine-client';
import type { Library } from './library';
import type { LibraryStore } from './library-store';
import type { ModelsService } from './models-service';

export interface AnsweringDeps<Event> {
  store: LibraryStore;
  library: Library;
  /** The engine process's client (a fake in unit tests). */
  engine: Pick<EngineClient, 'call'>;
  models: Pick<ModelsService, 'engineSetup'>;
  emit: (event: Event) => void;
  /** The per-photo vision feature cache, in the data folder. */
  cacheDir: string;
  /** True answers of the demo album's questions, to grade the answers. */
  demo: Pick<DemoAlbum, 'expected' | 'questions'>;
}
