// The renderer's only door to the app: `window.vtc` (see VtcBridge in src-renderer/lib/client.ts). The
// renderer is sandboxed with context isolation, so it sees these functions and nothing of Node or Electron.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { AppApiMethod, ServerEvent } from '../../src-shared/api';

contextBridge.exposeInMainWorld('vtc', {
  invoke: (method: AppApiMethod, arg: unknown) => ipcRenderer.invoke('vtc:invoke', method, arg),
  onEvent(listener: (event: ServerEvent) => void) {
    const forward = (_e: IpcRendererEvent, event: ServerEvent) => listener(event);
    ipcRenderer.on('vtc:event', forward);
    return () => ipcRenderer.removeListener('vtc:event', forward);
  },
  mediaUrl: (kind: 'thumb' | 'photo', photoId: string) => `vtc-media://${kind}/${encodeURIComponent(photoId)}`,
  pickPaths: (what: 'files' | 'folder') => ipcRenderer.invoke('vtc:pick', what),
  pathForFile: (file: File) => webUtils.getPathForFile(file),
});
