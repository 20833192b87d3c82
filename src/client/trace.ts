/**
 * Timing marks for performance work: with ENARX_TRACE=1 the client prints
 * `enarx-trace <ms since process start> <phase>` to stderr at each phase of a deploy, and the
 * keeps it starts print `keep-trace <ms since the client's start> <phase>` (see keep/trace.ts).
 */
const on = process.env['ENARX_TRACE'] === '1';
// Several bundles carry this module; one exit mark is enough.
const mark = Symbol.for('enarx.trace.exit');
if (on && !(mark in globalThis)) {
  Object.defineProperty(globalThis, mark, { value: true });
  process.on('exit', () => {
    const u = process.resourceUsage();
    trace(`process exit (cpu ${((u.userCPUTime + u.systemCPUTime) / 1000).toFixed(0)} ms)`);
  });
}

/** CPU time this process has used so far, in ms. */
function cpuMs(): string {
  const u = process.cpuUsage();
  return ((u.user + u.system) / 1000).toFixed(1);
}

/** Records that `phase` was reached (no-op unless ENARX_TRACE=1). */
export function trace(phase: string): void {
  if (on) process.stderr.write(`enarx-trace ${performance.now().toFixed(1)} ${phase} [cpu ${cpuMs()}]\n`);
}

/** The environment a keep started by this process gets: empty, unless tracing is on. */
export function keepTraceEnv(): Record<string, string> {
  return on ? { ENARX_TRACE_ORIGIN: String(performance.timeOrigin) } : {};
}
