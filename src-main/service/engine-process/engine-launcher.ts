// How the app starts the engine process. The browser host forks a Node child; Electron uses a
// utilityProcess. Both look the same to EngineClient.
import { fork } from 'node:child_process';
import type { FromEngine, ToEngine } from './engine-protocol';

export interface EngineChild {
  readonly pid: number | undefined;
  send(message: ToEngine): void;
  onMessage(listener: (message: FromEngine) => void): void;
  /** Called once when the process is gone, however it ended. */
  onExit(listener: (description: string) => void): void;
  kill(): void;
}

export interface EngineLauncher {
  launch(): EngineChild;
}

/** Forks `entry` (a TypeScript file) with tsx as the loader. */
export function forkLauncher(entry: string, env: NodeJS.ProcessEnv = process.env): EngineLauncher {
  return {
    launch() {
      const child = fork(entry, [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      return {
        pid: child.pid,
        send: (message) => {
          if (child.connected) child.send(message);
        },
        onMessage: (listener) => child.on('message', (m) => listener(m as FromEngine)),
        onExit: (listener) => {
          let reported = false;
          const report = (description: string) => {
            if (reported) return;
            reported = true;
            listener(description);
          };
          child.on('exit', (code, signal) => report(signal ? `killed by ${signal}` : `exited with code ${code}`));
          child.on('error', (e) => {
            report(`failed: ${e.message}`);
            child.kill('SIGKILL');
          });
        },
        kill: () => child.kill('SIGKILL'),
      };
    },
  };
}
