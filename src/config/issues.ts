/**
 * Turns zod's validation issues into {@link ConfigError}s a person can act on: which key, on
 * which line, what was expected and what was found. zod says *what* is wrong; whether a key is
 * missing or merely mistyped, and what value it held, is read from the raw document, because a
 * zod issue does not reliably carry the input.
 */
import type * as z from 'zod';
import { ConfigError, ConfigErrorCode } from './errors.js';
import { formatKeyPath, type KeyPathSegment } from './keypath.js';
import { lineOf, type KeyLines } from './locate.js';
import { configSchema, fileEntrySchema, FILE_KINDS } from './schema.js';

type Issue = z.core.$ZodIssue;

/** Where errors are reported: the key lines of the text and the source name. */
export interface IssueContext {
  readonly raw: unknown;
  readonly lines: KeyLines;
  readonly source?: string;
}

/** The value at `path` in the raw document, or undefined; follows own properties only. */
export function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let here = raw;
  for (const seg of path) {
    if (here === null || typeof here !== 'object' || !Object.hasOwn(here, seg)) return undefined;
    here = (here as Record<PropertyKey, unknown>)[seg];
  }
  return here;
}

/** Describes a TOML value for "got ..." (quoted and cut short, since the text is untrusted). */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'bigint') return `the integer ${v}`;
  if (typeof v === 'number') return `the float ${Number.isInteger(v) ? v.toFixed(1) : v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (v instanceof Date) return 'a date-time';
  if (Array.isArray(v)) return 'an array';
  return 'a table';
}

function keysOfKind(kind: unknown): readonly string[] | undefined {
  const option = fileEntrySchema.options.find((o) => o.shape.kind.value === kind);
  return option === undefined ? undefined : Object.keys(option.shape);
}

/** Segments of a zod path as a key path (zod allows symbols; TOML never produces them). */
function keyPath(path: readonly PropertyKey[]): KeyPathSegment[] {
  return path.map((seg) => (typeof seg === 'number' ? seg : String(seg)));
}

function make(ctx: IssueContext, code: ConfigErrorCode, path: KeyPathSegment[], detail: string): ConfigError {
  const line = lineOf(ctx.lines, path);
  return new ConfigError(code, detail, {
    key: formatKeyPath(path),
    ...(line === undefined ? {} : { line }),
    ...(ctx.source === undefined ? {} : { source: ctx.source }),
  });
}

function unknownKeyErrors(ctx: IssueContext, issue: Issue & { code: 'unrecognized_keys' }): ConfigError[] {
  const base = keyPath(issue.path);
  const inFiles = base.length === 2 && base[0] === 'files';
  const kind = inFiles ? valueAt(ctx.raw, [...issue.path, 'kind']) : undefined;
  const allowed = inFiles ? keysOfKind(kind) : base.length === 0 ? Object.keys(configSchema.shape) : undefined;
  const where = inFiles ? ` for a "${String(kind)}" entry` : '';
  const hint = allowed === undefined ? '' : ` (expected one of: ${allowed.join(', ')})`;
  return issue.keys.map((k) => make(ctx, ConfigErrorCode.KEY, [...base, k], `unknown key${where}${hint}`));
}

/** Every {@link ConfigError} that one zod issue stands for (several for several unknown keys). */
export function issueErrors(ctx: IssueContext, issue: Issue): ConfigError[] {
  if (issue.code === 'unrecognized_keys') return unknownKeyErrors(ctx, issue);
  const path = keyPath(issue.path);
  const value = valueAt(ctx.raw, issue.path);
  // zod reports a discriminator mismatch at the `kind` key, with a message of its own.
  const expected =
    issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator !== undefined
      ? `expected one of ${FILE_KINDS.map((k) => `"${k}"`).join(', ')}`
      : issue.message;
  if (value === undefined) {
    const kind = path[0] === 'files' && path.length === 3 ? valueAt(ctx.raw, [...issue.path.slice(0, 2), 'kind']) : undefined;
    const what = typeof kind === 'string' && path[2] !== 'kind' ? ` for a "${kind}" entry` : '';
    return [make(ctx, ConfigErrorCode.MISSING, path, `required key is missing${what}; ${expected}`)];
  }
  // Only "expected ..." messages read well with the value after them.
  const got = expected.startsWith('expected') ? `, got ${describeValue(value)}` : '';
  return [make(ctx, ConfigErrorCode.VALUE, path, `${expected}${got}`)];
}

/**
 * The error to report for a failed validation: the one earliest in the file, so that fixing
 * errors top to bottom works; errors with no line (the document as a whole) come last.
 */
export function firstError(ctx: IssueContext, issues: readonly Issue[]): ConfigError {
  let best: ConfigError | undefined;
  for (const issue of issues) {
    for (const err of issueErrors(ctx, issue)) {
      if (best === undefined || (err.line ?? Infinity) < (best.line ?? Infinity)) best = err;
    }
  }
  return best ?? new ConfigError(ConfigErrorCode.VALUE, 'invalid configuration', ctx.source === undefined ? {} : { source: ctx.source });
}
