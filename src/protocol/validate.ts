/**
 * The one validator of the wire contract (HTTP bodies and events, control messages, package
 * manifests, reference values): client, host and keep check what they receive with these
 * combinators. The keep's start-up is measured and these load in well under a millisecond,
 * where zod/mini cost the keep ~8 ms. A check returns the value with its static type (decoded
 * where the wire form differs: base64 → bytes, ISO-8601 → Date) or throws
 * {@link ValidationError} naming the path of the first bad field.
 */

/** Where and why a value was refused. */
export class ValidationError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path === '' ? reason : `${path}: ${reason}`);
    this.name = 'ValidationError';
  }
}

/** Checks `value` found at `path`; returns it typed or throws ValidationError. */
export type Check<T> = (value: unknown, path: string) => T;

/** The type a check returns. */
export type Checked<C> = C extends Check<infer T> ? T : never;

/** The result of {@link validate}. */
export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Runs `check` on `value` without throwing. */
export function validate<T>(check: Check<T>, value: unknown): Validated<T> {
  try {
    return { ok: true, value: check(value, '') };
  } catch (err) {
    if (err instanceof ValidationError) return { ok: false, message: err.message };
    throw err;
  }
}

const join = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

/** Options of {@link string}. */
export interface StringRules {
  readonly min?: number;
  readonly max: number;
  readonly pattern?: RegExp;
  /** Says what `pattern` wants, for the error. */
  readonly patternMessage?: string;
  readonly noNul?: boolean;
  readonly refine?: readonly [(s: string) => boolean, string];
}

/** A string within `rules`. */
export function string(rules: StringRules): Check<string> {
  return (v, path) => {
    if (typeof v !== 'string') throw new ValidationError(path, 'expected a string');
    if (v.length < (rules.min ?? 0)) throw new ValidationError(path, `must have at least ${rules.min} characters`);
    if (v.length > rules.max) throw new ValidationError(path, `must have at most ${rules.max} characters`);
    if (rules.noNul && v.includes('\0')) throw new ValidationError(path, 'must not contain NUL');
    if (rules.pattern && !rules.pattern.test(v)) throw new ValidationError(path, rules.patternMessage ?? `must match ${rules.pattern}`);
    if (rules.refine && !rules.refine[0](v)) throw new ValidationError(path, rules.refine[1]);
    return v;
  };
}

/** `bytes` bytes as lower-case hex. */
export function hex(bytes: number): Check<string> {
  return string({ max: bytes * 2, pattern: new RegExp(`^[0-9a-f]{${bytes * 2}}$`), patternMessage: `must be ${bytes} bytes of lower-case hex` });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Canonical base64 (padded) of at most `maxBytes` bytes, decoded. */
export function base64Bytes(maxBytes: number): Check<Uint8Array> {
  const maxChars = Math.ceil(maxBytes / 3) * 4;
  return (v, path) => {
    if (typeof v !== 'string') throw new ValidationError(path, 'expected a base64 string');
    if (v.length > maxChars) throw new ValidationError(path, `must encode at most ${maxBytes} bytes`);
    if (!BASE64.test(v)) throw new ValidationError(path, 'must be padded base64');
    const bytes = new Uint8Array(Buffer.from(v, 'base64'));
    if (bytes.length > maxBytes) throw new ValidationError(path, `must encode at most ${maxBytes} bytes`);
    return bytes;
  };
}

/** `bytes` bytes as lower-case hex, decoded. */
export function hexBytes(bytes: number): Check<Uint8Array> {
  const text = hex(bytes);
  return (v, path) => new Uint8Array(Buffer.from(text(v, path), 'hex'));
}

/** An ISO-8601 UTC timestamp as `Date.prototype.toISOString` writes it, decoded. */
export const isoDate: Check<Date> = (v, path) => {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v)) throw new ValidationError(path, 'expected an ISO-8601 UTC timestamp');
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new ValidationError(path, 'not a valid date');
  return d;
};

/** An integer in [min, max]. */
export function int(min: number, max: number): Check<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ValidationError(path, 'expected an integer');
    if (v < min || v > max) throw new ValidationError(path, `must be between ${min} and ${max}`);
    return v;
  };
}

/** A boolean. */
export const boolean: Check<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw new ValidationError(path, 'expected a boolean');
  return v;
};

/** One of the given string constants. */
export function oneOf<const L extends string>(...values: readonly L[]): Check<L> {
  return (v, path) => {
    if (!(values as readonly unknown[]).includes(v)) throw new ValidationError(path, `expected ${values.map((x) => `'${x}'`).join(' or ')}`);
    return v as L;
  };
}

/** An array of at most `max` items, each checked. */
export function array<T>(item: Check<T>, max: number): Check<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) throw new ValidationError(path, 'expected an array');
    if (v.length > max) throw new ValidationError(path, `must have at most ${max} items`);
    return v.map((x, i) => item(x, join(path, i)));
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A plain object of at most `max` entries, keys and values checked; a null-prototype copy. */
export function record<T>(key: Check<string>, value: Check<T>, max: number): Check<Record<string, T>> {
  return (v, path) => {
    if (!isPlainObject(v)) throw new ValidationError(path, 'expected an object');
    const entries = Object.entries(v);
    if (entries.length > max) throw new ValidationError(path, `must have at most ${max} entries`);
    const out = Object.create(null) as Record<string, T>;
    for (const [k, x] of entries) out[key(k, join(path, k))] = value(x, join(path, k));
    return out;
  };
}

/** Marks a field of {@link strictObject} as optional (absent or undefined). */
export function optional<T>(check: Check<T>): Check<T | undefined> & { readonly optional: true } {
  return Object.assign((v: unknown, path: string) => (v === undefined ? undefined : check(v, path)), { optional: true as const });
}

type Shape = Readonly<Record<string, Check<unknown>>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type Out<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Checked<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Checked<S[K]>, undefined> };

/** An object with exactly the fields of `shape` (unknown keys are refused). */
export function strictObject<S extends Shape>(shape: S): Check<Out<S>> {
  const keys = Object.keys(shape);
  return (v, path) => {
    if (!isPlainObject(v)) throw new ValidationError(path, 'expected an object');
    for (const k of Object.keys(v)) if (!Object.hasOwn(shape, k)) throw new ValidationError(join(path, k), 'unknown field');
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const check = shape[k]!;
      if (v[k] === undefined) {
        if ('optional' in check) continue;
        throw new ValidationError(join(path, k), 'required');
      }
      out[k] = check(v[k], join(path, k));
    }
    return out as Out<S>;
  };
}

/** A constant. */
export function literal<const L extends string | number | boolean>(value: L): Check<L> {
  return (v, path) => {
    if (v !== value) throw new ValidationError(path, `expected ${JSON.stringify(value)}`);
    return value;
  };
}

/** The variant of a tagged union whose `field` names it. */
export function taggedUnion<const F extends string, V extends Readonly<Record<string, Check<unknown>>>>(field: F, variants: V): Check<Checked<V[keyof V]>> {
  return (v, path) => {
    const tag = isPlainObject(v) ? v[field] : undefined;
    if (typeof tag !== 'string' || !Object.hasOwn(variants, tag)) throw new ValidationError(join(path, field), `expected one of ${Object.keys(variants).join(', ')}`);
    return variants[tag]!(v, path) as Checked<V[keyof V]>;
  };
}
