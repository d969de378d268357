// The real engine behind the process protocol: keeps one Engine loaded and reloads it when the model
// folder, provider, thread count or cache folder of a call differ from the loaded one. A load warms the model up
// on a synthetic question, as a stage of its own, so the first real question is as quick as the next ones.
import type { CompareStage } from '../../../src-shared/api';
import { availableProviders, Engine } from '../../engine/engine';
import { probeProvider } from '../../engine/model/provider-probe';
import type { CompareJob } from './engine-protocol';
import type { EngineHandlers } from './engine-worker-core';

export function engineHandlers(): EngineHandlers {
  let loaded: { key: string; engine: Engine } | undefined;

  async function engineFor(job: CompareJob, onStage: (stage: CompareStage) => void): Promise<Engine> {
    const key = JSON.stringify([job.modelDir, job.ep, job.threads, job.cacheDir]);
    if (loaded?.key === key) return loaded.engine;
    const previous = loaded;
    loaded = undefined;
    await previous?.engine.dispose();
    onStage({ stage: 'loading', step: 'opening' });
    const engine = await Engine.load(job.modelDir, { ep: job.ep, threads: job.threads, cacheDir: job.cacheDir });
    try {
      onStage({ stage: 'loading', step: 'warming-up' });
      await engine.warmUp();
    } catch (e) {
      await engine.dispose();
      throw e;
    }
    loaded = { key, engine };
    return engine;
  }

  return {
    providers: async () => availableProviders(),
    probeProvider: async ({ ep }) => {
      await probeProvider(ep);
      return null;
    },
    compare: async (job, { signal, emit }) => {
      const engine = await engineFor(job, (progress) => emit({ progress }));
      return engine.compare({
        image: job.image,
        prompt: job.prompt,
        history: job.history,
        maxNewTokens: job.maxNewTokens,
        method: job.method,
        budget: job.budget,
        crops: job.crops === undefined ? undefined : { fraction: job.crops, select: 'attention' },
        signal,
        onToken: (side, text) => emit({ side, text }),
        onStage: (progress) => emit({ progress }),
      });
    },
  };
}
