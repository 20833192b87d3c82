/**
 * Timing marks for performance work: with ENARX_TRACE=1 the client prints
 * `enarx-trace <ms since process start> <phase>` to stderr at each phase of a deploy.
 */
const on = process.env['ENARX_TRACE'] === '1';

/** Records that `phase` was reached (no-op unless ENARX_TRACE=1). */
export function trace(phase: string): void {
  if (on) process.stderr.write(`enarx-trace ${performance.now().toFixed(1)} ${phase}\n`);
}
