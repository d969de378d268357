// Electron main process: one window, the service with the engine in a utilityProcess, the IPC bridge and
// two privileged schemes (vtc-app for the renderer, vtc-media for photos). Security: sandboxed renderer
// with context isolation and no Node, a strict CSP, no remote requests, no new windows, no navigation away,
// every IPC call from our own page only and its argument checked by the service.
import { app, BrowserWindow, dialog, ipcMain, protocol, session, type IpcMainInvokeEvent } from 'electron';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_EXTENSIONS } from '../../src-shared/image-formats';
import { userDataDir } from '../engine/catalog/data-dir';
import { createAppService, type AppService } from '../service/app-service';
import { contentSecurityPolicy } from '../service/content-security-policy';
import { rendererContentType } from '../service/renderer-content-types';
import { engineCatalog } from '../service/engine-catalog';
import { toWireError } from '../service/wire-error';
import {
  APP_SCHEME,
  APP_START_URL,
  devServerUrl,
  isAllowedRequest,
  isTrustedPage,
  MEDIA_SCHEME,
  parseMediaUrl,
  rendererFile,
} from './app-urls';
import { utilityLauncher } from './engine-process/utility-launcher';

const HERE = path.dirname(fileURLToPath(import.meta.url)); // out/main
const RENDERER_DIR = path.join(HERE, '..', 'renderer');
const DEV_SERVER_URL = devServerUrl(app.isPackaged, process.env);
const CSP = contentSecurityPolicy({ mediaScheme: MEDIA_SCHEME });
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();

let service: AppService | undefined;
let window: BrowserWindow | undefined;

function resourcesRoot(): string {
  // In a package, models/ ships beside the asar (see electron-builder extraResources); in development it is the repository's.
  return app.isPackaged ? process.resourcesPath : app.getAppPath();
}

function registerProtocols(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererFile(RENDERER_DIR, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const data = await fsp.readFile(file);
      const type = rendererContentType(file);
      return new Response(Uint8Array.from(data), {
        headers: { 'content-type': type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const media = parseMediaUrl(request.url);
    if (!media || !service) return new Response('Not found', { status: 404 });
    try {
      const rendition = await service.media(media.kind, media.photoId);
      return new Response(Uint8Array.from(rendition.data), {
        headers: { 'content-type': rendition.contentType, 'cache-control': 'no-cache' },
      });
    } catch (e) {
      return new Response(toWireError(e).message, { status: 404 });
    }
  });
}

function hardenSession(): void {
  // The page needs no permission at all (no camera, notifications, clipboard reads...): refuse both the
  // requests and the silent checks that some APIs make instead of asking.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !isAllowedRequest(details.url, DEV_SERVER_URL) }),
  );
  if (DEV_SERVER_URL) {
    // The dev server sends no CSP of its own.
    session.defaultSession.webRequest.onHeadersReceived((details, callback) =>
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } }),
    );
  }
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event, url) => {
      if (!isTrustedPage(url, DEV_SERVER_URL)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

function trusted(event: IpcMainInvokeEvent): boolean {
  return isTrustedPage(event.senderFrame?.url ?? '', DEV_SERVER_URL);
}

function registerIpc(appService: AppService): void {
  // Replies carry the same envelope as the browser host, so error codes survive the trip.
  ipcMain.handle('vtc:invoke', async (event, method: unknown, arg: unknown) => {
    if (!trusted(event)) return { ok: false, error: { code: 'FORBIDDEN', message: 'This page may not use the assistant' } };
    // The page going away (closed, reloaded, crashed) ends a long call it started, such as an import, as the
    // browser host does when the request's connection closes.
    const callerGone = new AbortController();
    const page = event.sender;
    const abort = () => callerGone.abort();
    const navigated = (details: { isSameDocument: boolean; isMainFrame: boolean }) => {
      if (details.isMainFrame && !details.isSameDocument) abort();
    };
    page.once('destroyed', abort);
    page.once('render-process-gone', abort);
    page.on('did-start-navigation', navigated);
    try {
      return { ok: true, value: await appService.invoke(method, arg, { signal: callerGone.signal }) };
    } catch (e) {
      return { ok: false, error: toWireError(e) };
    } finally {
      page.removeListener('destroyed', abort);
      page.removeListener('render-process-gone', abort);
      page.removeListener('did-start-navigation', navigated);
    }
  });
  ipcMain.handle('vtc:pick', async (event, what: unknown) => {
    if (!trusted(event) || (what !== 'files' && what !== 'folder') || !window) return [];
    const result = await dialog.showOpenDialog(window, {
      properties: what === 'folder' ? ['openDirectory'] : ['openFile', 'multiSelections'],
      filters: what === 'folder' ? [] : [{ name: 'Photos', extensions: IMAGE_EXTENSIONS.map((ext) => ext.slice(1)) }],
    });
    return result.canceled ? [] : result.filePaths;
  });
  appService.onEvent((event) => window?.webContents.send('vtc:event', event));
}

function createWindow(): void {
  window = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'VTC Photo Assistant',
    backgroundColor: '#16171a',
    webPreferences: {
      preload: path.join(HERE, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.on('closed', () => (window = undefined));
  void window.loadURL(DEV_SERVER_URL ?? APP_START_URL);
}

async function start(): Promise<void> {
  await app.whenReady();
  hardenSession();
  registerProtocols();
  const dataDir = userDataDir();
  const models = path.join(resourcesRoot(), 'models');
  service = await createAppService({
    dataDir,
    launcher: utilityLauncher(path.join(HERE, 'engine-process.js')),
    catalog: engineCatalog(dataDir, { manifestsDir: path.join(models, 'manifests'), fixturesDir: path.join(models, 'fixtures') }),
    demoAlbum: true,
    owner: 'VTC Photo Assistant',
  });
  registerIpc(service);
  createWindow();
  app.on('activate', () => {
    if (!window) createWindow();
  });
}

function showWindow(): void {
  // On macOS the app lives on with its window closed: a second launch opens a new one.
  if (!window) {
    if (service) createWindow();
    return;
  }
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Long enough for the journal's last writes; a close that hangs must not keep the app from quitting.
const CLOSE_TIMEOUT_MS = 10_000;
let closed = false;
app.on('will-quit', (event) => {
  // Quitting waits for the service to finish its journal writes and let go of the data folder; app.exit()
  // then ends the process without another round of quit events.
  if (closed || !service) return;
  event.preventDefault();
  closed = true;
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS));
  Promise.race([service.close(), timeout])
    .catch((e: unknown) => console.error(`Closing the service failed: ${e instanceof Error ? e.message : String(e)}`))
    .finally(() => app.exit(0));
});

// One app per user: a second launch hands over to the first (which comes to the front) and quits. Another
// process on the data folder (the browser host, a download from the command line) is refused by the
// folder's own lock, taken in createAppService, and start() reports it.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  start().catch((e: unknown) => {
    dialog.showErrorBox('VTC Photo Assistant could not start', e instanceof Error ? e.message : String(e));
    app.exit(1);
  });
}
