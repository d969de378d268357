// Entry of the engine process forked by the browser host (and by tests): the real engine over the protocol.
import { engineHandlers } from './engine-handlers';
import { forkedProcessChannel, serveEngine } from './engine-worker-core';

serveEngine(forkedProcessChannel(), engineHandlers());
