// A small runtime schema language for values that cross a process boundary. A schema is plain data, and
// `Infer` reads the TypeScript type off it, so a value's check and its type are written once (the app API's
// table in api.ts is built from these). Every failure names the field and what was expected; unknown fields
// are refused rather than silently dropped. No Node or DOM imports: the renderer imports this module too.

export interface StringSchema {
  kind: 'string';
  minLength?: number;
  maxLength?: number;
}
export interface NumberSchema {
  kind: 'number';
  min?: number;
  max?: number;
  integer?: boolean;
  exclusiveMin?: boolean;
}
export interface EnumSchema<V extends string = string> {
  kind: 'enum';
  values: readonly V[];
}
export interface ArraySchema<I extends Schema = Schema> {
  kind: 'array';
  items: I;
  maxItems?: number;
  minItems?: number;
}
export interface BooleanSchema {
  kind: 'boolean';
}
export interface ObjectSchema<F extends Record<string, Schema> = Record<string, Schema>, O extends string = string> {
  kind: 'object';
  fields: F;
  /** Fields that may be absent. */
  optional?: readonly O[];
  /** Fields the schema does not name are allowed and left unchecked (data at rest written by a newer version). */
  open?: boolean;
}
/** Objects told apart by a string tag field, e.g. Budget's `kind`. */
export interface TaggedSchema<V extends Record<string, ObjectSchema> = Record<string, ObjectSchema>> {
  kind: 'tagged';
  tag: string;
  variants: V;
}
/** No argument: nothing, null or `{}`. */
export interface NoneSchema {
  kind: 'none';
}

export type Schema = StringSchema | NumberSchema | EnumSchema | ArraySchema | BooleanSchema | ObjectSchema | TaggedSchema | NoneSchema;

/** The TypeScript type of the values a schema accepts (`void` for none). */
export type Infer<S> = S extends StringSchema
  ? string
  : S extends NumberSchema
    ? number
    : S extends BooleanSchema
      ? boolean
      : S extends EnumSchema<infer V>
        ? V
        : S extends ArraySchema<infer I>
          ? Infer<I>[]
          : S extends ObjectSchema<infer F>
            ? Flat<{ [K in Exclude<keyof F, OptionalKeys<S>>]: Infer<F[K]> } & { [K in OptionalKeys<S> & keyof F]?: Infer<F[K]> }>
            : S extends TaggedSchema<infer V>
              ? { [K in keyof V]: Infer<V[K]> }[keyof V]
              : S extends NoneSchema
                ? void
                : never;

/** The names in an object schema's `optional` (read from the list itself: inferring from `readonly never[]` would give `string`). */
type OptionalKeys<S> = S extends { optional?: readonly never[] } ? never : S extends { optional?: readonly (infer O)[] } ? O : never;

/** Shows an inferred object as one object literal in editors and errors, not as an intersection. */
type Flat<T> = { [K in keyof T]: T[K] };

export const str = (maxLength = 4096, minLength = 1): StringSchema => ({ kind: 'string', minLength, maxLength });
export const int = (min: number, max: number): NumberSchema => ({ kind: 'number', integer: true, min, max });
export const bool: BooleanSchema = { kind: 'boolean' };
export const none: NoneSchema = { kind: 'none' };
export const oneOf = <const V extends string>(values: readonly V[]): EnumSchema<V> => ({ kind: 'enum', values });
export const list = <I extends Schema>(items: I, limits: { minItems?: number; maxItems?: number } = {}): ArraySchema<I> => ({
  kind: 'array',
  items,
  ...limits,
});
// Two signatures, so that an object without optional fields says so in its type (`never`); with one signature a
// caller's expected type (an ObjectSchema inside `tagged`) would be inferred as the optional list.
export function obj<F extends Record<string, Schema>>(fields: F): ObjectSchema<F, never>;
export function obj<F extends Record<string, Schema>, const O extends keyof F & string>(
  fields: F,
  optional: readonly O[],
): ObjectSchema<F, O>;
export function obj(fields: Record<string, Schema>, optional: readonly string[] = []): ObjectSchema {
  return { kind: 'object', fields, optional };
}
export const tagged = <V extends Record<string, ObjectSchema>>(tag: string, variants: V): TaggedSchema<V> => ({
  kind: 'tagged',
  tag,
  variants,
});

/** What is wrong with `value` (naming the first offending field, `at` being the value's own name), or undefined. */
export function schemaProblem(schema: Schema, value: unknown, at: string): string | undefined {
  switch (schema.kind) {
    case 'none':
      if (value === undefined || value === null) return undefined;
      if (isPlainObject(value) && Object.keys(value).length === 0) return undefined;
      return `${at} takes no argument`;
    case 'string':
      if (typeof value !== 'string') return `${at} must be a string, got ${describe(value)}`;
      if (schema.minLength !== undefined && value.length < schema.minLength) return `${at} must not be empty`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        return `${at} is too long (${value.length} > ${schema.maxLength} characters)`;
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
      if (typeof value !== 'string' || !schema.values.includes(value))
        return `${at} must be one of ${schema.values.join(', ')}; got ${describe(value)}`;
      return undefined;
    case 'array': {
      if (!Array.isArray(value)) return `${at} must be an array, got ${describe(value)}`;
      if (schema.minItems !== undefined && value.length < schema.minItems) return `${at} needs at least ${schema.minItems} item(s)`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        return `${at} has ${value.length} items; at most ${schema.maxItems} are allowed`;
      for (let i = 0; i < value.length; i++) {
        // The item's path is built only for a message: a stored answer's scores are thousands of numbers.
        if (schemaProblem(schema.items, value[i], at) !== undefined) return schemaProblem(schema.items, value[i], `${at}[${i}]`);
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
        const p = schemaProblem(fieldSchema, v, `${at}.${key}`);
        if (p) return p;
      }
      return undefined;
    }
    case 'tagged': {
      if (!isPlainObject(value)) return `${at} must be an object, got ${describe(value)}`;
      const tag = value[schema.tag];
      const variant = typeof tag === 'string' && isOwnKey(schema.variants, tag) ? schema.variants[tag] : undefined;
      if (!variant) return `${at}.${schema.tag} must be one of ${Object.keys(schema.variants).join(', ')}; got ${describe(tag)}`;
      return schemaProblem(variant, value, at);
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
