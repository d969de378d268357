// Starts the browser host as its own process (as a person would with `npm run serve`) and stops it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const READY = /VTC host ready: (\S+)/;
const START_TIMEOUT_MS = 180_000;

/** @returns {Promise<{ url: string, log: () => string, stop: () => Promise<void> }>} */
export function startHost(dataDir) {
  const child = spawn('npx', ['tsx', 'src-main/cli/main.ts', 'serve', '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, VTC_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group, so stop() ends tsx and the engine processes it started, and nothing else.
    detached: true,
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`The host did not print its ready line within ${START_TIMEOUT_MS / 1000} s. Output:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk) => {
      output += chunk;
      const match = READY.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], log: () => output, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The host exited (${signal ?? code}) before it was ready. Output:\n${output}`));
    });
  });
}
