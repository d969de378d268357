// TEST-ONLY engine process: speaks the real protocol through serveEngine, but its "compare" just streams
// numbered tokens slowly. It exists so engine-client.test.ts can kill a process mid-call without loading a model.
// `ran` in a result counts the compare calls this process has started, so a test can tell a call never ran;
// `crash: true` kills the process from inside the call, as a call that brings the engine down would.
import { EngineError } from '../../../engine/errors';
import type { CompareTokenEvent } from '../engine-protocol';
import { forkedProcessChannel, serveEngine } from '../engine-worker-core';

/** This worker's method table: EngineClient<TestWorkerMethods> in the tests is typed from it, as the app's client is from EngineMethods. */
export type TestWorkerMethods = {
  providers: { args: Record<string, never>; result: string[]; event: never };
  compare: { args: { count: number; crash?: boolean }; result: { count: number; ran: number }; event: CompareTokenEvent };
};

// A restart that fails: the process dies before it reports ready.
if (process.env.VTC_TEST_WORKER_DIE_AT_START) process.exit(3);

let ran = 0;
serveEngine<TestWorkerMethods>(forkedProcessChannel(), {
  providers: async () => ['cpu'],
  compare: async ({ count, crash }, { signal, emit }) => {
    ran++;
    if (crash) process.kill(process.pid, 'SIGKILL');
    for (let i = 0; i < count; i++) {
      if (signal.aborted) throw new EngineError('CANCELLED', 'Cancelled');
      emit({ side: 'full', text: `t${i} ` });
      await new Promise((r) => setTimeout(r, 20));
    }
    return { count, ran };
  },
});
