// Routes the app's event stream to the stores that own each kind of event.
import { onAskEvent } from './chat.svelte';
import { onBatchEvent } from './batch.svelte';
import { client } from './app-client';
import { onDownloadEvent } from './models.svelte';
import { onImportEvent, refreshPhotos } from './library.svelte';
import { applyLibraryHealth, notify, status } from './status.svelte';

/** Read-only mode and the library's notices (records set aside at start); asked once per connection. */
function loadLibraryHealth(): void {
  client.api.libraryHealth().then(applyLibraryHealth, () => undefined);
}

export function routeEvents(): () => void {
  // Set when the engine went down; the next 'ready' (after 'starting') is then a recovery worth telling.
  let recovering = false;
  const offEvents = client.onEvent((event) => {
    switch (event.type) {
      case 'stage':
      case 'token':
      case 'done':
      case 'error':
        return onAskEvent(event);
      case 'progress':
      case 'finished':
        return onBatchEvent(event);
      case 'import-progress':
        return onImportEvent(event);
      case 'download': {
        const { type: _type, ...progress } = event;
        return onDownloadEvent(progress);
      }
      case 'engine':
        // A restart can take well under a second; leave a trace so the person knows why an answer failed.
        if (event.state === 'crashed' || event.state === 'restarting') recovering = true;
        if (event.state === 'ready' && recovering) {
          recovering = false;
          notify('info', 'The engine was restarted and is ready again.');
        }
        status.engine = { state: event.state, message: event.message };
        return;
      case 'library-read-only':
        status.readOnly = event.readOnly;
        return;
    }
  });
  loadLibraryHealth();
  const offConnection = client.onConnection((state) => {
    // After a host restart the library may have changed underneath us; reload it on reconnect.
    if (state === 'connected' && status.connection === 'reconnecting') {
      void refreshPhotos();
      loadLibraryHealth();
    }
    status.connection = state;
  });
  return () => {
    offEvents();
    offConnection();
  };
}
