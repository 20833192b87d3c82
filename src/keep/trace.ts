/**
 * Timing marks of the keep, for performance work: when the host that started the keep traces
 * (ENARX_TRACE=1), the keep prints `keep-trace <ms since the host process started> <phase>` to
 * stderr. Only timings, which the host can observe anyway, are printed.
 */
const origin = Number(process.env['ENARX_TRACE_ORIGIN']);
const on = Number.isFinite(origin) && origin > 0;

/** CPU time this process has used so far, in ms. */
function cpuMs(): string {
  const u = process.cpuUsage();
  return ((u.user + u.system) / 1000).toFixed(1);
}

/** Records that the keep reached `phase` (no-op unless its host traces). */
export function keepTrace(phase: string): void {
  if (on) process.stderr.write(`keep-trace ${(performance.timeOrigin + performance.now() - origin).toFixed(1)} ${phase} [cpu ${cpuMs()}]\n`);
}
