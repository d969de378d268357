// Top-k selection over token scores. The kept indices come back in original (tile-major, raster)
// order, as VTC-CLS feeds them to the LLM; equal scores go to the lower index so runs are repeatable.
import { EngineError } from '../errors';

export interface SelectOptions {
  /** Tokens in each tile; needed with perTileFloor. */
  tokensPerTile?: number;
  /** Keep at least this many tokens from every tile (the total stays k). */
  perTileFloor?: number;
}

/** Token indices, best first: higher score first, lower index first among equals. */
export function rankTokens(scores: Float32Array): Int32Array {
  const nan = scores.findIndex(Number.isNaN);
  if (nan >= 0) throw new EngineError('BAD_ARGUMENT', `token score ${nan} is NaN: the vision encoder produced invalid attention`);
  const order = Int32Array.from(scores.keys());
  return order.sort((a, b) => scores[b] - scores[a] || a - b);
}

export function selectTopK(scores: Float32Array, k: number, opts: SelectOptions = {}): Int32Array {
  const n = scores.length;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new EngineError('BAD_BUDGET', `cannot keep ${k} of ${n} visual tokens`);
  }
  const floor = opts.perTileFloor ?? 0;
  const taken = new Uint8Array(n);
  const ranking = rankTokens(scores);
  let remaining = k;
  if (floor !== 0) {
    const perTile = tilesFor(n, floor, opts.tokensPerTile);
    const tiles = n / perTile;
    if (floor * tiles > k) {
      throw new EngineError(
        'BAD_BUDGET',
        `a floor of ${floor} tokens in each of ${tiles} tiles needs ${floor * tiles}, more than the budget of ${k}`,
      );
    }
    const perTileCount = new Int32Array(tiles);
    for (const i of ranking) {
      const tile = Math.floor(i / perTile);
      if (perTileCount[tile] < floor) {
        perTileCount[tile]++;
        taken[i] = 1;
        remaining--;
      }
    }
  }
  for (let r = 0; r < n && remaining > 0; r++) {
    const i = ranking[r];
    if (!taken[i]) {
      taken[i] = 1;
      remaining--;
    }
  }
  const kept = new Int32Array(k);
  let next = 0;
  for (let i = 0; i < n; i++) if (taken[i]) kept[next++] = i;
  return kept;
}

function tilesFor(n: number, floor: number, tokensPerTile: number | undefined): number {
  if (!Number.isInteger(floor) || floor < 0)
    throw new EngineError('BAD_BUDGET', `per-tile floor must be a whole number >= 0, got ${floor}`);
  if (tokensPerTile === undefined || !Number.isInteger(tokensPerTile) || tokensPerTile <= 0 || n % tokensPerTile !== 0) {
    throw new EngineError('BAD_ARGUMENT', `a per-tile floor needs tokensPerTile dividing the ${n} tokens, got ${tokensPerTile}`);
  }
  if (floor > tokensPerTile) throw new EngineError('BAD_BUDGET', `per-tile floor ${floor} exceeds the ${tokensPerTile} tokens of a tile`);
  return tokensPerTile;
}
