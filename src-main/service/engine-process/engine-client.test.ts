import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatusEvent } from '../../../src-shared/api';
import { EngineClient } from './engine-client';
import { forkLauncher, type EngineLauncher } from './engine-launcher';
import type { TestWorkerMethods } from './test/restart-test-worker';

const testWorker = path.join(import.meta.dirname, 'test', 'restart-test-worker.ts');
const streamJob = (count: number) => ({ count });
const crashingJob = () => ({ count: 1, crash: true });

/** The test worker's launcher, counting launches; launches from `dieFrom` on die before they are ready. */
function countingLauncher(dieFrom = Infinity): EngineLauncher & { launches: number } {
  return {
    launches: 0,
    launch() {
      this.launches++;
      const env = this.launches >= dieFrom ? { ...process.env, VTC_TEST_WORKER_DIE_AT_START: '1' } : process.env;
      return forkLauncher(testWorker, env).launch();
    },
  };
}

/** Kills the engine process on the first event of the call it is passed to. */
function killOnFirstEvent(client: TestClient) {
  let killed = false;
  return () => {
    if (killed) return;
    killed = true;
    process.kill(client.pid!, 'SIGKILL');
  };
}

type TestClient = EngineClient<TestWorkerMethods>;

describe('EngineClient over a forked process', () => {
  let client: TestClient | undefined;
  afterEach(() => client?.dispose());

  it('calls, streams events and reports starting/ready', async () => {
    const statuses: EngineStatusEvent[] = [];
    client = new EngineClient<TestWorkerMethods>(forkLauncher(testWorker), { onStatus: (s) => statuses.push(s) });
    expect(await client.call('providers', {})).toEqual(['cpu']);
    const tokens: string[] = [];
    const result = await client.call('compare', streamJob(3), { onEvent: (e) => tokens.push(e.text) });
    expect(result).toEqual({ count: 3, ran: 1 });
    expect(tokens).toEqual(['t0 ', 't1 ', 't2 ']);
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'ready']);
  });

  it('cancels a running call', async () => {
    client = new EngineClient<TestWorkerMethods>(forkLauncher(testWorker));
    const controller = new AbortController();
    const running = client.call('compare', streamJob(500), { signal: controller.signal, onEvent: () => controller.abort() });
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await client.call('providers', {})).toEqual(['cpu']);
  });

  it('fails the call in flight with ENGINE_CRASHED when the process is killed, restarts it, and works again', async () => {
    const statuses: EngineStatusEvent[] = [];
    client = new EngineClient<TestWorkerMethods>(forkLauncher(testWorker), { onStatus: (s) => statuses.push(s), restartDelayMs: 50 });
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
    expect(await client.call('compare', streamJob(2))).toEqual({ count: 2, ran: 1 });
    expect(client.pid).not.toBe(firstPid);
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'ready', 'crashed', 'restarting', 'starting', 'ready']);
  });

  it('a crash fails only the running call; the calls waiting behind it run on the restarted process, streaming to their listeners', async () => {
    const launcher = countingLauncher();
    client = new EngineClient<TestWorkerMethods>(launcher, { restartDelayMs: 50 });
    await client.start();
    const firstPid = client.pid!;
    const tokens: Record<'b' | 'c', string[]> = { b: [], c: [] };
    const a = client.call('compare', streamJob(500), { onEvent: killOnFirstEvent(client) });
    const b = client.call('compare', streamJob(2), { onEvent: (e) => tokens.b.push(e.text) });
    const c = client.call('compare', streamJob(3), { onEvent: (e) => tokens.c.push(e.text) });
    await expect(a).rejects.toMatchObject({ code: 'ENGINE_CRASHED', message: expect.stringContaining('killed by SIGKILL') });
    // `ran` counts the calls the new process started: b and c ran there, in order, once each.
    expect(await b).toEqual({ count: 2, ran: 1 });
    expect(await c).toEqual({ count: 3, ran: 2 });
    expect(tokens).toEqual({ b: ['t0 ', 't1 '], c: ['t0 ', 't1 ', 't2 '] });
    expect(client.pid).not.toBe(firstPid);
    expect(launcher.launches).toBe(2);
  });

  it('a waiting call cancelled before it starts never runs, whether cancelled before the crash or while the engine restarts', async () => {
    client = new EngineClient<TestWorkerMethods>(forkLauncher(testWorker), { restartDelayMs: 50 });
    await client.start();
    const before = new AbortController();
    const a = client.call('compare', streamJob(500), { onEvent: killOnFirstEvent(client) });
    const b = client.call('compare', streamJob(2), { signal: before.signal });
    const c = client.call('compare', streamJob(1));
    before.abort();
    await expect(b).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(a).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    expect(await c).toEqual({ count: 1, ran: 1 });

    const during = new AbortController();
    const d = client.call('compare', streamJob(500), { onEvent: killOnFirstEvent(client) });
    const e = client.call('compare', streamJob(2), { signal: during.signal });
    const f = client.call('compare', streamJob(1));
    await expect(d).rejects.toMatchObject({ code: 'ENGINE_CRASHED' });
    during.abort(); // the process is down now, its restart pending
    await expect(e).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await f).toEqual({ count: 1, ran: 1 });
  });

  it('a call that crashes the engine fails once and is never sent again; the calls behind it still run', async () => {
    const launcher = countingLauncher();
    client = new EngineClient<TestWorkerMethods>(launcher, { restartDelayMs: 20 });
    const x = client.call('compare', crashingJob());
    const y = client.call('compare', crashingJob());
    const z = client.call('compare', streamJob(2));
    await expect(x).rejects.toMatchObject({ code: 'ENGINE_CRASHED', message: expect.stringContaining('killed by SIGKILL while working') });
    await expect(y).rejects.toMatchObject({ code: 'ENGINE_CRASHED', message: expect.stringContaining('killed by SIGKILL while working') });
    expect(await z).toEqual({ count: 2, ran: 1 });
    // One process for each crashing call and one for z: nothing was retried.
    expect(launcher.launches).toBe(3);
  });

  it('the waiting calls fail with the reason when the engine cannot be restarted', async () => {
    client = new EngineClient<TestWorkerMethods>(countingLauncher(2), { restartDelayMs: 20 });
    await client.start();
    const a = client.call('compare', streamJob(500), { onEvent: killOnFirstEvent(client) });
    const b = client.call('compare', streamJob(1));
    await expect(a).rejects.toMatchObject({ code: 'ENGINE_CRASHED', message: expect.stringContaining('killed by SIGKILL') });
    await expect(b).rejects.toMatchObject({ code: 'ENGINE_CRASHED', message: 'The engine process exited with code 3 before it was ready' });
  });

  it('refuses a method the engine does not have', async () => {
    client = new EngineClient<TestWorkerMethods>(forkLauncher(testWorker));
    // The table has no such method, so only a cast can send it: what the process does with a name it lacks.
    await expect(client.call('nonsense' as 'providers', {})).rejects.toThrow("The engine process has no method 'nonsense'");
  });
});
