/**
 * Timing marks for performance work, in one place for every process:
 * - a client or host process with `ENARX_TRACE=1` prints `enarx-trace <ms since process start>
 *   <phase> [cpu <ms>]` to stderr at each phase of a deploy ({@link trace});
 * - the keeps it starts get its time origin ({@link keepTraceEnv}) and print `keep-trace <ms
 *   since that origin> <phase> [cpu <ms>]` ({@link keepTrace}): both on one clock.
 * Only timings, which a host can observe anyway, are printed; never workload data.
 */
const clientOn = process.env['ENARX_TRACE'] === '1';
const origin = Number(process.env['ENARX_TRACE_ORIGIN']);
const keepOn = Number.isFinite(origin) && origin > 0;
// Several bundles carry this module; one exit mark per process is enough.
const mark = Symbol.for('enarx.trace.exit');

/** CPU time this process has used so far, in ms. */
function cpuMs(): string {
  const u = process.cpuUsage();
  return ((u.user + u.system) / 1000).toFixed(1);
}

/** Records that `phase` was reached (no-op unless ENARX_TRACE=1). */
export function trace(phase: string): void {
  if (!clientOn) return;
  if (!(mark in globalThis)) {
    Object.defineProperty(globalThis, mark, { value: true });
    process.on('exit', () => {
      const u = process.resourceUsage();
      trace(`process exit (cpu ${((u.userCPUTime + u.systemCPUTime) / 1000).toFixed(0)} ms)`);
    });
  }
  process.stderr.write(`enarx-trace ${performance.now().toFixed(1)} ${phase} [cpu ${cpuMs()}]\n`);
}

/** The environment a keep started by this process gets: empty, unless tracing is on. */
export function keepTraceEnv(): Record<string, string> {
  return clientOn ? { ENARX_TRACE_ORIGIN: String(performance.timeOrigin) } : {};
}

/** In a keep: records that it reached `phase` (no-op unless its host traces). */
export function keepTrace(phase: string): void {
  if (keepOn) process.stderr.write(`keep-trace ${(performance.timeOrigin + performance.now() - origin).toFixed(1)} ${phase} [cpu ${cpuMs()}]\n`);
}
