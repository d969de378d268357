import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatusEvent } from '../../src-shared/api';
import { EngineClient } from './engine-client';
import { forkLauncher } from './engine-launcher';
import type { CompareJob } from './engine-protocol';

const testWorker = path.join(import.meta.dirname, 'restart-test-worker.ts');
// The test worker reads only `count`; the client's typed signature wants a CompareJob.
const streamJob = (count: number) => ({ count }) as unknown as CompareJob;

describe('EngineClient over a forked process', () => {
  let client: EngineClient | undefined;
  afterEach(() => client?.dispose());

  it('calls, streams events and reports starting/ready', async () => {
    const statuses: EngineStatusEvent[] = [];
    client = new EngineClient(forkLauncher(testWorker), { onStatus: (s) => statuses.push(s) });
    expect(await client.call('providers', {})).toEqual(['cpu']);
    const tokens: string[] = [];
    const result = await client.call('compare', streamJob(3), { onEvent: (e) => tokens.push(e.text) });
    expect(result).toEqual({ count: 3 });
    expect(tokens).toEqual(['t0 ', 't1 ', 't2 ']);
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'ready']);
  });

  it('cancels a running call', async () => {
    client = new EngineClient(forkLauncher(testWorker));
    const controller = new AbortController();
    const running = client.call('compare', streamJob(500), { signal: controller.signal, onEvent: () => controller.abort() });
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await client.call('providers', {})).toEqual(['cpu']);
  });

  it('fails the call in flight with ENGINE_CRASHED when the process is killed, restarts it, and works again', async () => {
    const statuses: EngineStatusEvent[] = [];
    client = new EngineClient(forkLauncher(testWorker), { onStatus: (s) => statuses.push(s), restartDelayMs: 50 });
    await client.start();
    const firstPid = client.pid!;
    let killed = false;
    const running = client.call('compare', streamJob(500), {
      onEvent: () => {
        if (killed) return;
        killed = true;
        process.kill(firstPid, 'SIGKILL');
      },
    });
    await expect(running).rejects.toMatchObject({ code: 'ENGINE_CRASHED', message: expect.stringContaining('killed by SIGKILL') });
    expect(await client.call('compare', streamJob(2))).toEqual({ count: 2 });
    expect(client.pid).not.toBe(firstPid);
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'ready', 'crashed', 'restarting', 'starting', 'ready']);
  });

  it('refuses a method the engine does not have', async () => {
    client = new EngineClient(forkLauncher(testWorker));
    await expect(client.call('nonsense' as 'providers', {})).rejects.toThrow("The engine process has no method 'nonsense'");
  });
});
