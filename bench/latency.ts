/**
 * Latency helpers for the keep and deploy benchmarks: a monotonic clock in ms and nearest-rank
 * percentiles (with n samples, p99 is the largest sample whenever n < 100).
 */

/** Milliseconds on the monotonic clock. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The nearest-rank percentile `p` (0 < p ≤ 100) of `xs`; NaN for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1]!;
}

/** Runs `fn` and returns how long it took, in ms, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = nowMs();
  const value = await fn();
  return { ms: nowMs() - t0, value };
}
