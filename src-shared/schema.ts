// A small runtime schema check for values that cross a process boundary. Every failure names the field
// and what was expected; unknown fields are refused rather than silently dropped.
import { EngineError } from '../engine/errors';

export type Schema =
  | { kind: 'string'; minLength?: number; maxLength?: number }
  | { kind: 'number'; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'array'; items: Schema; maxItems?: number; minItems?: number }
  | { kind: 'boolean' }
  /** `open`: fields the schema does not name are allowed and left unchecked (data at rest written by a newer version). */
  | { kind: 'object'; fields: Record<string, Schema>; optional?: readonly string[]; open?: boolean }
  /** Objects told apart by a string tag field, e.g. Budget's `kind`. */
  | { kind: 'tagged'; tag: string; variants: Record<string, Schema & { kind: 'object' }> }
  | { kind: 'none' };

export const str = (maxLength = 4096, minLength = 1): Schema => ({ kind: 'string', minLength, maxLength });
export const int = (min: number, max: number): Schema => ({ kind: 'number', integer: true, min, max });
export const oneOf = (values: readonly string[]): Schema => ({ kind: 'enum', values });
export const obj = (fields: Record<string, Schema>, optional: readonly string[] = []): Schema & { kind: 'object' } => ({ kind: 'object', fields, optional });

/** Throws BAD_ARGUMENT naming the first offending field; returns the value typed as the caller expects. */
export function check<T>(schema: Schema, value: unknown, where: string): T {
  const problem = findProblem(schema, value, where);
  if (problem) throw new EngineError('BAD_ARGUMENT', problem);
  return value as T;
}

function findProblem(schema: Schema, value: unknown, at: string): string | undefined {
  switch (schema.kind) {
    case 'none':
      if (value === undefined || value === null) return undefined;
      if (isPlainObject(value) && Object.keys(value).length === 0) return undefined;
      return `${at} takes no argument`;
    case 'string':
      if (typeof value !== 'string') return `${at} must be a string, got ${describe(value)}`;
      if (schema.minLength !== undefined && value.length < schema.minLength) return `${at} must not be empty`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${at} is too long (${value.length} > ${schema.maxLength} characters)`;
      return undefined;
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${at} must be a finite number, got ${describe(value)}`;
      if (schema.integer && !Number.isInteger(value)) return `${at} must be an integer, got ${value}`;
      if (schema.min !== undefined && (schema.exclusiveMin ? value <= schema.min : value < schema.min)) {
        return `${at} must be ${schema.exclusiveMin ? '>' : '>='} ${schema.min}, got ${value}`;
      }
      if (schema.max !== undefined && value > schema.max) return `${at} must be <= ${schema.max}, got ${value}`;
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${at} must be true or false, got ${describe(value)}`;
    case 'enum':
      if (typeof value !== 'string' || !schema.values.includes(value)) return `${at} must be one of ${schema.values.join(', ')}; got ${describe(value)}`;
      return undefined;
    case 'array': {
      if (!Array.isArray(value)) return `${at} must be an array, got ${describe(value)}`;
      if (schema.minItems !== undefined && value.length < schema.minItems) return `${at} needs at least ${schema.minItems} item(s)`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${at} has ${value.length} items; at most ${schema.maxItems} are allowed`;
      for (let i = 0; i < value.length; i++) {
        // The item's path is built only for a message: a stored answer's scores are thousands of numbers.
        if (findProblem(schema.items, value[i], at) !== undefined) return findProblem(schema.items, value[i], `${at}[${i}]`);
      }
      return undefined;
    }
    case 'object': {
      if (!isPlainObject(value)) return `${at} must be an object, got ${describe(value)}`;
      // `key in fields` would also find what every object inherits (constructor, toString, __proto__).
      for (const key of Object.keys(value)) {
        if (isOwnKey(schema.fields, key) || (schema.open && !PROTOTYPE_KEYS.has(key))) continue;
        return `${at} has an unknown field '${key}'`;
      }
      for (const [key, fieldSchema] of Object.entries(schema.fields)) {
        const v = value[key];
        if (v === undefined) {
          if (schema.optional?.includes(key)) continue;
          return `${at}.${key} is required`;
        }
        const p = findProblem(fieldSchema, v, `${at}.${key}`);
        if (p) return p;
      }
      return undefined;
    }
    case 'tagged': {
      if (!isPlainObject(value)) return `${at} must be an object, got ${describe(value)}`;
      const tag = value[schema.tag];
      const variant = typeof tag === 'string' && isOwnKey(schema.variants, tag) ? schema.variants[tag] : undefined;
      if (!variant) return `${at}.${schema.tag} must be one of ${Object.keys(schema.variants).join(', ')}; got ${describe(tag)}`;
      return findProblem(variant, value, at);
    }
  }
}

/**
 * JSON.parse turns "__proto__" into an own property, and code downstream that copies or merges the value
 * could then reach Object.prototype: these keys are never fields, whatever a schema declares.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isOwnKey(record: Record<string, unknown>, key: string): boolean {
  return !PROTOTYPE_KEYS.has(key) && Object.hasOwn(record, key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
