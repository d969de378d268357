// Starts the engine as an Electron utilityProcess: a Node process of Electron's own, so inference never
// blocks the main process or the window.
import { utilityProcess } from 'electron';
import type { EngineLauncher } from '../../service/engine-process/engine-launcher';
import type { FromEngine } from '../../service/engine-process/engine-protocol';

export function utilityLauncher(entry: string): EngineLauncher {
  return {
    launch() {
      const child = utilityProcess.fork(entry, [], { serviceName: 'VTC engine', stdio: 'inherit' });
      return {
        get pid() {
          return child.pid;
        },
        send: (message) => child.postMessage(message),
        onMessage: (listener) => child.on('message', (m) => listener(m as FromEngine)),
        onExit: (listener) => child.once('exit', (code) => listener(`exited with code ${code}`)),
        kill: () => child.kill(),
      };
    },
  };
}
