// TEST-ONLY engine process: speaks the real protocol through serveEngine, but its "compare" just streams
// numbered tokens slowly. It exists so engine-client.test.ts can kill a process mid-call without loading a model.
import { EngineError } from '../engine/errors';
import { forkedProcessChannel, serveEngine } from './engine-worker-core';

serveEngine(forkedProcessChannel(), {
  providers: async () => ['cpu'],
  compare: async (args, { signal, emit }) => {
    const count = (args as { count: number }).count;
    for (let i = 0; i < count; i++) {
      if (signal.aborted) throw new EngineError('CANCELLED', 'Cancelled');
      emit({ side: 'full', text: `t${i} ` });
      await new Promise((r) => setTimeout(r, 20));
    }
    return { count };
  },
});
