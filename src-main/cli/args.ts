// A small, strict option parser: unknown flags and missing values are errors, never silently ignored.
import { parseArgs } from 'node:util';

export class CliUsageError extends Error {}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

export function parseOptions<T extends OptionSpec>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (e) {
    // node:util spreads some complaints over lines ("... is ambiguous.\nDid you forget ...\nTo specify ..."); one line each.
    throw new CliUsageError((e as Error).message.replace(/\s*\n\s*/g, ' '));
  }
}

export function requireOption(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new CliUsageError(`missing required option --${name}`);
  return v;
}

// Number('') and Number('  ') are 0: an empty value (`--seed ""`) must be an error, not a silent zero.
function numberIn(v: unknown): number {
  return typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
}

// Number() also reads '0x10', '1e3', '+4' and ' 4 ': a count a person types is plain decimal digits, nothing else.
const DECIMAL_DIGITS = /^\d+$/;

export function intOption(values: Record<string, unknown>, name: string, fallback: number, min = 0): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && DECIMAL_DIGITS.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new CliUsageError(`--${name} must be an integer >= ${min}, got '${String(v)}'`);
  return n;
}

export function numberOption(values: Record<string, unknown>, name: string, fallback: number): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = numberIn(v);
  if (!Number.isFinite(n)) throw new CliUsageError(`--${name} must be a number, got '${String(v)}'`);
  return n;
}
