// Runs an evaluation: every question under every condition. The runs of one question follow each other, so a
// slow spell of a shared machine falls on all conditions alike and the prefill ratios stay fair. The photo is
// encoded on the question's first run and read from the per-photo cache after that: the runs that read the
// encoder's attention go first, the one reading the most layers first, since a plain encoding (full, the
// baselines) carries no attention scores and would be encoded again for them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Answer } from '../../src-shared/api';
import { Engine, type EngineOptions, type PruneParams, type QuestionParams } from '../engine/engine';
import { getScorer } from '../engine/pruning/scorers';
import { isCorrectAnswer } from '../../src-shared/answer-match';
import type { EvalCondition } from './conditions';
import type { EvalItem } from './eval-data';
import type { RunOutcome } from './summarize';

export type EvalEngine = Pick<Engine, 'ask' | 'askPruned' | 'clearPromptCache'>;

export interface EvalRunOptions {
  maxNewTokens: number;
  /** Seed of the `random` baseline; question i uses seed + i, so its kept set differs from photo to photo. */
  seed: number;
  /** Position ids of a pruned prompt (see PruneParams): contiguous as in the paper, or each token's original. */
  positions?: PruneParams['positions'];
  /** Keep at least this many tokens of every tile (PruneParams.perTileFloor). */
  perTileFloor?: number;
  /** Encode only a share of a tiling model's crops, under every condition (QuestionParams.crops). */
  crops?: QuestionParams['crops'];
  onProgress?: (progress: EvalProgress) => void;
}

export interface EvalProgress {
  done: number;
  total: number;
  elapsedMs: number;
  /** Questions answered correctly so far by the full model. */
  fullCorrect: number;
}

/** An outcome with the answer behind it, so a caller can show or check what the model said. */
export interface ScoredRun extends RunOutcome {
  item: EvalItem;
  text: string;
  /** True when the photo's features came from the per-photo cache. */
  visionCached: boolean;
}

type RunSettings = Pick<EvalRunOptions, 'seed' | 'maxNewTokens' | 'positions' | 'perTileFloor' | 'crops'>;

function answerUnder(engine: EvalEngine, item: EvalItem, condition: EvalCondition, settings: RunSettings): Promise<Answer> {
  // Every run prefills its whole prompt: a prompt-cache hit on the photo's earlier questions would favour the
  // conditions whose kept set does not change with the question, and measure the cache instead of the prefill.
  engine.clearPromptCache();
  const question = { image: item.image, prompt: item.question, maxNewTokens: settings.maxNewTokens, crops: settings.crops };
  if (condition.method === 'full') return engine.ask(question);
  const budget = { kind: 'ratio', ratio: condition.keep } as const;
  const { seed, positions, perTileFloor } = settings;
  return engine.askPruned({ ...question, method: condition.method, budget, seed, positions, perTileFloor });
}

/**
 * Every condition once on the first question, one new token each, before anything is measured. A method the
 * model cannot serve (vtc-cls on an encoder without [CLS], or one whose attention could not be instrumented)
 * fails here with the engine's own message rather than after hours of runs; and the sessions' first, slower
 * runs at each sequence length stay out of the timings.
 */
export async function warmUp(
  engine: EvalEngine,
  items: readonly EvalItem[],
  conditions: readonly EvalCondition[],
  options: EvalRunOptions,
): Promise<void> {
  for (const condition of conditions) await answerUnder(engine, items[0], condition, { ...options, maxNewTokens: 1 });
}

/** A depth that ranks the scorers by how many layers they read; any depth past the widest ensemble would do. */
const RANKING_DEPTH = 32;

/** The conditions in the order one question runs them: attention readers first, the most layers first. */
export function encodingOrder(conditions: readonly EvalCondition[]): EvalCondition[] {
  const layersRead = (c: EvalCondition) => (c.method === 'full' ? 0 : getScorer(c.method).needs(RANKING_DEPTH, {}).layers.length);
  return [...conditions].sort((a, b) => layersRead(b) - layersRead(a));
}

export async function runEvaluation(
  engine: EvalEngine,
  items: readonly EvalItem[],
  conditions: readonly EvalCondition[],
  options: EvalRunOptions,
): Promise<ScoredRun[]> {
  await warmUp(engine, items, conditions, options);
  const started = performance.now();
  const runs: ScoredRun[] = [];
  let fullCorrect = 0;
  const runOrder = encodingOrder(conditions);
  for (const [i, item] of items.entries()) {
    const answers = new Map<EvalCondition, Answer>();
    for (const condition of runOrder)
      answers.set(condition, await answerUnder(engine, item, condition, { ...options, seed: options.seed + i }));
    for (const condition of conditions) {
      const answer = answers.get(condition)!;
      const correct = isCorrectAnswer(answer.text, item.answer);
      if (condition.method === 'full' && correct) fullCorrect++;
      runs.push({
        condition,
        correct,
        prefillMs: answer.timings.prefillMs,
        rankMs: answer.timings.rankMs ?? 0,
        visualTokens: answer.counts.visualTokens,
        item,
        text: answer.text,
        visionCached: answer.visionCached,
      });
    }
    options.onProgress?.({ done: i + 1, total: items.length, elapsedMs: performance.now() - started, fullCorrect });
  }
  return runs;
}

/**
 * An engine for evaluating: with no cache folder given, a fresh temporary one, so each photo is encoded once for
 * all its runs and nothing outlives the evaluation. `close` releases the engine and removes that folder.
 */
export async function openEvalEngine(
  modelDir: string,
  options: EngineOptions,
): Promise<{ engine: Engine; cacheDir: string; close(): Promise<void> }> {
  const ownCache = options.cacheDir === undefined;
  const cacheDir = options.cacheDir ?? (await mkdtemp(join(tmpdir(), 'vtc-eval-cache-')));
  try {
    const engine = await Engine.load(modelDir, { ...options, cacheDir });
    return {
      engine,
      cacheDir,
      async close() {
        await engine.dispose();
        if (ownCache) await rm(cacheDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (ownCache) await rm(cacheDir, { recursive: true, force: true });
    throw e;
  }
}
