// Entry of the engine's Electron utilityProcess: the real engine over the protocol, through parentPort.
import { engineHandlers } from '../../service/engine-process/engine-handlers';
import type { ToEngine } from '../../service/engine-process/engine-protocol';
import { serveEngine } from '../../service/engine-process/engine-worker-core';

const port = process.parentPort;
serveEngine(
  {
    send: (message) => port.postMessage(message),
    onMessage: (listener) => port.on('message', (e) => listener(e.data as ToEngine)),
  },
  engineHandlers(),
);
