/**
 * Options shared by the commands that start workloads (`run`, `deploy`): environment entries
 * and resource limits.
 */
import { DEFAULT_LIMITS, parseDuration, parseSize } from '../runtime/limits.js';
import type { Limits } from '../runtime/limits.js';
import { optionValue } from './args.js';
import type { OptionSpecs, ParsedArgs } from './args.js';
import { usageError } from './errors.js';

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
