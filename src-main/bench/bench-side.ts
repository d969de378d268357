// One side of `vtc bench` (our engine, or transformers.js as the reference) in a process of its own, so each side's
// peak memory is its own. The parent sends questions one at a time, alternating between the sides, and reads back
// stage timings. This file is both the parent's handle (startSide) and, run as a forked entry, the side itself.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from 'onnxruntime-node';
import type { Budget, PruningMethod, StageTimings } from '../../src-shared/api';
import { Engine, type EngineOptions } from '../engine/engine';
import { EngineError, isEngineError, type EngineErrorCode } from '../engine/errors';
import { loadReference } from '../engine/reference/transformers-reference';

export type SideKind = 'ours' | 'reference';

export interface SideQuestion {
  image: string;
  prompt: string;
  maxNewTokens: number;
  /** Forget every photo first, so the question encodes its photo and prefills its prompt as a first question would. */
  fresh: boolean;
  /** Ours only: answer from the kept visual tokens. */
  pruning?: { method: PruningMethod; budget: Budget };
}

/** Milliseconds per stage of one question (as an answer's), and from the question to its first token. */
export type BenchTimings = Omit<StageTimings, 'tokensPerSecond'> & {
  firstTokenMs: number;
  /** Processor time the side's process spent on the question, all threads: steadier than wall time on a shared machine. */
  cpuMs?: number;
  /** Ours only: wall time of the whole question, and the part of it spent inside onnxruntime's run calls. */
  askMs?: number;
  ortMs?: number;
};

export interface SideAnswer {
  timings: BenchTimings;
  tokens: number[];
  visualTokens: number;
}

type RequestBody = { type: 'ask'; question: SideQuestion } | { type: 'peak' };
type Request = { id: number } & RequestBody;
type Reply = { id: number } & ({ ok: true; value: unknown } | { ok: false; code?: EngineErrorCode; message: string });
interface LoadArgs {
  kind: SideKind;
  modelDir: string;
  options: EngineOptions;
}

export interface BenchSide {
  ask(question: SideQuestion): Promise<SideAnswer>;
  /** The side process's peak resident memory so far. */
  peakRssBytes(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a side in its own process and waits until its model is loaded. */
export async function startSide(kind: SideKind, modelDir: string, options: EngineOptions): Promise<BenchSide> {
  const args: LoadArgs = { kind, modelDir, options };
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(args)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited: string | undefined;
  const failAll = (why: string) => {
    exited = why;
    for (const p of pending.values()) p.reject(new EngineError('ENGINE_CRASHED', `the ${kind} side of the benchmark ${why}`));
    pending.clear();
  };
  child.on('exit', (code, signal) => failAll(signal ? `was killed by ${signal} (out of memory?)` : `exited with code ${code}`));
  child.on('message', (m) => {
    const reply = m as Reply;
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (!p) return;
    if (reply.ok) p.resolve(reply.value);
    else p.reject(reply.code ? new EngineError(reply.code, reply.message) : new Error(reply.message));
  });
  let next = 0;
  const call = (request: RequestBody) =>
    new Promise<unknown>((resolve, reject) => {
      if (exited) return reject(new EngineError('ENGINE_CRASHED', `the ${kind} side of the benchmark ${exited}`));
      const id = next++;
      pending.set(id, { resolve, reject });
      child.send({ ...request, id } as Request);
    });
  // Request 0 is the load: the side answers it once its model is ready.
  await new Promise<unknown>((resolve, reject) => pending.set(next++, { resolve, reject }));
  return {
    ask: (question) => call({ type: 'ask', question }) as Promise<SideAnswer>,
    peakRssBytes: () => call({ type: 'peak' }) as Promise<number>,
    close: () => closeChild(child),
  };
}

function closeChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.disconnect();
  });
}

/** The answer with the processor time spent on it; the side answers one question at a time, so it is the question's. */
async function askTimingCpu(ask: (q: SideQuestion) => Promise<SideAnswer>, question: SideQuestion): Promise<SideAnswer> {
  const start = process.cpuUsage();
  const answer = await ask(question);
  const { user, system } = process.cpuUsage(start);
  // A side that also did work outside the answer (the reference times vision alone first) reports its own.
  return { ...answer, timings: { ...answer.timings, cpuMs: answer.timings.cpuMs ?? (user + system) / 1000 } };
}

/** The side itself: loads once, then answers questions until the parent disconnects. */
async function serveSide(args: LoadArgs): Promise<void> {
  const send = (reply: Reply) => process.send!(reply);
  const failure = (id: number, e: unknown): Reply => ({
    id,
    ok: false,
    code: isEngineError(e) ? e.code : undefined,
    message: (e as Error).message,
  });
  let ask: (q: SideQuestion) => Promise<SideAnswer>;
  let dispose: () => Promise<void>;
  try {
    ({ ask, dispose } = args.kind === 'ours' ? await loadOurs(args) : await loadReferenceSide(args.modelDir, args.options.variant));
  } catch (e) {
    send(failure(0, e));
    process.disconnect();
    return;
  }
  send({ id: 0, ok: true, value: null });
  process.on('message', (m) => {
    const request = m as Request;
    const work = request.type === 'peak' ? Promise.resolve(process.resourceUsage().maxRSS * 1024) : askTimingCpu(ask, request.question);
    work.then(
      (value) => send({ id: request.id, ok: true, value }),
      (e: unknown) => send(failure(request.id, e)),
    );
  });
  process.on('disconnect', () => void dispose().finally(() => process.exit(0)));
}

/**
 * Wall time this process has spent inside onnxruntime's run calls so far. Measuring only: every session of the
 * side's process runs through the one prototype method, and the engine never runs two at once.
 */
function clockOrtRuns(): () => number {
  // The exported value is typed as a factory; at run time it is the class whose prototype every session shares.
  const proto = (InferenceSession as unknown as { prototype: InferenceSession }).prototype;
  const run = proto.run;
  let ms = 0;
  proto.run = async function (this: InferenceSession, ...args: Parameters<typeof run>) {
    const start = performance.now();
    try {
      return await run.apply(this, args);
    } finally {
      ms += performance.now() - start;
    }
  } as typeof run;
  return () => ms;
}

async function loadOurs({ modelDir, options }: LoadArgs) {
  const ortMs = clockOrtRuns();
  // A per-photo cache of its own: follow-up questions hit it and the prompt cache; emptying both makes a first
  // question again, with the sessions still warm.
  const cacheDir = mkdtempSync(join(tmpdir(), 'vtc-bench-cache-'));
  const engine = await Engine.load(modelDir, { ...options, cacheDir });
  // As the app loads a model: warmed up, so "cold" measures the first question after a load, not first-run costs.
  await engine.warmUp();
  const ask = async (q: SideQuestion): Promise<SideAnswer> => {
    if (q.fresh) {
      rmSync(cacheDir, { recursive: true, force: true });
      mkdirSync(cacheDir);
      engine.clearPromptCache();
    }
    const params = { image: q.image, prompt: q.prompt, maxNewTokens: q.maxNewTokens, ignoreEos: true };
    const [start, ortStart] = [performance.now(), ortMs()];
    const answer = q.pruning
      ? await engine.askPruned({ ...params, method: q.pruning.method, budget: q.pruning.budget })
      : await engine.ask(params);
    const [askMs, askOrtMs] = [performance.now() - start, ortMs() - ortStart];
    const t = answer.timings;
    return {
      timings: {
        preprocessMs: t.preprocessMs,
        visionMs: t.visionMs,
        embedMs: t.embedMs,
        prefillMs: t.prefillMs,
        firstTokenMs: t.preprocessMs + t.visionMs + t.embedMs + t.prefillMs,
        decodeMs: t.decodeMs,
        decodeTokens: t.decodeTokens,
        totalMs: t.totalMs,
        askMs,
        ortMs: askOrtMs,
      },
      tokens: answer.tokens,
      visualTokens: answer.counts.visualTokens,
    };
  };
  const dispose = async () => {
    await engine.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  };
  return { ask, dispose };
}

async function loadReferenceSide(modelDir: string, variant?: string) {
  const reference = await loadReference(modelDir, variant);
  const ask = async (q: SideQuestion): Promise<SideAnswer> => {
    const r = await reference.run(q.image, q.prompt, q.maxNewTokens, true, { ignoreEos: true });
    const t = r.timings;
    return {
      timings: {
        preprocessMs: t.preprocessMs,
        visionMs: t.visionMs,
        embedMs: t.embedMs,
        // generate() runs vision, embeddings and prefill together; the first two are timed alone beforehand.
        prefillMs: Math.max(0, t.firstTokenMs - t.visionMs - t.embedMs),
        firstTokenMs: t.preprocessMs + t.firstTokenMs,
        decodeMs: t.decodeMs,
        decodeTokens: r.tokens.length - 1,
        totalMs: t.totalMs,
        cpuMs: r.cpuMs,
      },
      tokens: r.tokens,
      visualTokens: r.visualTokens,
    };
  };
  return { ask, dispose: () => reference.dispose() };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) void serveSide(JSON.parse(process.argv[2]) as LoadArgs);
