/**
 * Options shared by the commands that start workloads (`run`, `deploy`): environment entries,
 * resource limits, and the runtimes the client accepts.
 */
import type { ReferenceValue } from '../attestation/reference-values.js';
import { DEFAULT_LIMITS } from '../protocol/limits.js';
import type { Limits } from '../protocol/limits.js';
import { optionValue, optionValues } from './args.js';
import type { OptionSpecs, ParsedArgs } from './args.js';
import { usageError } from './errors.js';
import { parseDuration, parseSize } from '../units.js';

/** The options every workload-starting command takes. */
export const WORKLOAD_OPTIONS: OptionSpecs = {
  env: { value: true, multiple: true },
  backend: { value: true },
  kem: { value: true },
  'reference-values': { value: true },
  measurement: { value: true, multiple: true },
  'max-memory': { value: true },
  timeout: { value: true },
  'max-output': { value: true },
  json: { value: false },
  verbose: { value: false },
  help: { value: false, short: 'h' },
};

/** Parses `--env KEY=VALUE`. */
export function parseEnv(spec: string): [string, string] {
  const i = spec.indexOf('=');
  if (i <= 0) throw usageError(`--env '${spec}': expected KEY=VALUE`);
  if (spec.includes('\0')) throw usageError('--env: NUL bytes are not allowed');
  return [spec.slice(0, i), spec.slice(i + 1)];
}

/** The limits from `--max-memory`, `--timeout` and `--max-output`. */
export function limitsFrom(args: ParsedArgs): Limits {
  const size = (name: string, fallback: number): number => {
    const v = optionValue(args, name);
    if (v === undefined) return fallback;
    const n = parseSize(v);
    if (n === undefined || n <= 0) throw usageError(`--${name} '${v}': expected a size like 64MiB`);
    return n;
  };
  const t = optionValue(args, 'timeout');
  let timeoutMs = DEFAULT_LIMITS.timeoutMs;
  if (t !== undefined) {
    const n = parseDuration(t);
    if (n === undefined || n <= 0) throw usageError(`--timeout '${t}': expected a duration like 10s or 500ms`);
    timeoutMs = n;
  }
  const maxMemoryBytes = size('max-memory', DEFAULT_LIMITS.maxMemoryBytes);
  if (maxMemoryBytes < 65536) throw usageError('--max-memory must be at least 64KiB (one page)');
  if (maxMemoryBytes > 4 * 1024 ** 3) throw usageError('--max-memory cannot exceed 4GiB (the wasm32 address space)');
  return { maxMemoryBytes, timeoutMs, maxOutputBytes: size('max-output', DEFAULT_LIMITS.maxOutputBytes) };
}

/**
 * The runtimes a deploy accepts, as the command line says: `--reference-values FILE` and
 * `--measurement HEX` (repeatable) replace this installation's reference values; given both, a
 * keep may have any of the file's measurements or the given ones. Nothing else gets the package.
 */
export interface AcceptedRuntimes {
  /** A reference-values file; undefined with no `--measurement` either: the installation's. */
  readonly file: string | undefined;
  /** Measurements (lower-case hex) accepted for any backend. */
  readonly measurements: readonly string[];
}

/** The accepted runtimes of a command line. */
export function acceptedRuntimes(args: ParsedArgs): AcceptedRuntimes {
  const measurements = optionValues(args, 'measurement').map((m) => {
    if (!/^[0-9a-fA-F]{96}$/.test(m)) throw usageError(`--measurement '${m}': expected 96 hex digits (SHA-384)`);
    return m.toLowerCase();
  });
  return { file: optionValue(args, 'reference-values'), measurements };
}

/** The reference values and measurements of `accepted`, loaded (the installation's when it names none). */
export async function loadAcceptedRuntimes(accepted: AcceptedRuntimes): Promise<{ referenceValues: ReferenceValue[]; measurements: readonly string[] }> {
  const { loadReferenceValues } = await import('../attestation/reference-values.js');
  if (accepted.file !== undefined) return { referenceValues: await loadReferenceValues(accepted.file), measurements: accepted.measurements };
  if (accepted.measurements.length > 0) return { referenceValues: [], measurements: accepted.measurements };
  return { referenceValues: await loadReferenceValues(), measurements: [] };
}
