// `vtc serve [--port N] [--data-dir DIR]` (`npm run serve`): the app in a browser. Builds the renderer if
// needed, starts the service with the engine in a forked process, and prints the address (token included).
import path from 'node:path';
import { userDataDir } from '../../engine/catalog/data-dir';
import { buildRenderer, rendererIsStale, rendererPaths } from '../../host/renderer-build';
import { startHost } from '../../host/server';
import { createAppService } from '../../service/app-service';
import { forkLauncher } from '../../service/engine-process/engine-launcher';
import { CliUsageError, intOption, parseOptions } from '../args';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

export const summary = 'the app in a browser: builds the renderer, starts the local host [--port N] [--data-dir DIR]';

export async function run(argv: string[]): Promise<void> {
  const { values } = parseOptions(argv, { port: { type: 'string' }, 'data-dir': { type: 'string' } });
  const port = intOption(values, 'port', 0);
  if (port > 65535) throw new CliUsageError(`--port must be at most 65535, got ${port}`);
  const dataDir = path.resolve((values['data-dir'] as string | undefined) ?? userDataDir());

  // The service first: it takes the data folder's lock, so a second host on the same folder is refused
  // at once rather than after a renderer build.
  const service = await createAppService({
    dataDir,
    launcher: forkLauncher(path.join(ROOT, 'src-main', 'service', 'engine-process', 'engine-worker.ts')),
    demoAlbum: true,
    owner: 'vtc serve',
  });
  // One line per engine (re)start, so people and the end-to-end tests can see which process does the work.
  // Listening from here on, as the engine starts with the service, while the renderer may still be built.
  service.onEvent((event) => {
    if (event.type === 'engine' && event.state === 'ready') console.log(`VTC engine ready: pid ${service.enginePid()}`);
  });
  const renderer = rendererPaths(ROOT);
  if (await rendererIsStale(renderer)) {
    console.log('Building the renderer…');
    await buildRenderer(renderer);
  }
  const host = await startHost({ service, staticDir: renderer.outDir, port }).catch(async (e: NodeJS.ErrnoException) => {
    await service.close();
    throw e.code === 'EADDRINUSE'
      ? new CliUsageError(`port ${port} is already in use: pick another with --port, or 0 for any free one`)
      : e;
  });
  console.log(`Data folder: ${dataDir}`);
  console.log(`VTC host ready: ${host.url}`);

  const stop = async () => {
    await host.close();
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
