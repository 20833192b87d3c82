/**
 * The limits a keep enforces on its workload: asked for by a client (`POST /v1/keeps`), passed
 * by the host to the keep (`launch`), enforced inside the keep.
 */
import { int, optional, strictObject } from './validate.js';
import type { Check } from './validate.js';

/** Limits a keep enforces on its workload. */
export interface Limits {
  /** Cap on linear memory, in bytes (rounded down to whole 64 KiB pages). */
  readonly maxMemoryBytes: number;
  /** Wall-clock limit in ms; 0 = none. */
  readonly timeoutMs: number;
  /** Cap on bytes written to stdout + stderr; 0 = none. */
  readonly maxOutputBytes: number;
}

/** 2 GiB: enough for most workloads, and far below what a wasm32 guest could ask for. */
export const DEFAULT_LIMITS: Limits = Object.freeze({ maxMemoryBytes: 2 * 1024 ** 3, timeoutMs: 0, maxOutputBytes: 0 });

/** Bounds of each limit: one 64 KiB page to the wasm32 address space; a year; any byte count. */
const maxMemoryBytes = int(65536, 4 * 1024 ** 3);
const timeoutMs = int(0, 365 * 24 * 3600 * 1000);
const maxOutputBytes = int(0, Number.MAX_SAFE_INTEGER);

/** Checks a full set of limits (what a keep is launched with). */
export const checkLimits: Check<Limits> = strictObject({ maxMemoryBytes, timeoutMs, maxOutputBytes });

/** Checks limits as a client asks for them: any subset, the rest are the defaults. */
export const checkLimitsRequest: Check<Partial<Limits>> = strictObject({
  maxMemoryBytes: optional(maxMemoryBytes),
  timeoutMs: optional(timeoutMs),
  maxOutputBytes: optional(maxOutputBytes),
});

/** `asked` over {@link DEFAULT_LIMITS}. */
export function resolveLimits(asked: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(asked) as [keyof Limits, number | undefined][]) if (v !== undefined) out[k] = v;
  return checkLimits(out, 'limits');
}
