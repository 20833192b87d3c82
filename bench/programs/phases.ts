/**
 * Where an `enarx run` spends its time, from the marks it prints with ENARX_TRACE=1 (src/trace.ts:
 * `enarx-trace <ms> <phase> [cpu <ms>]` from the CLI, `keep-trace <ms> <phase> …` from the keep,
 * both in ms since the CLI started). Read from one extra, traced run that is not timed, so that
 * a row can say how much of the gap to node:wasi is start-up (reading, sealing and delivering
 * the module, compiling it) and how much is the workload itself. A mark the runtime no longer
 * prints leaves its value out (NaN, printed n/a).
 */

/** Phase durations in ms. */
export interface Phases {
  /** CLI start → the keep calls `_start` (everything before the workload). */
  readonly to_start_ms: number;
  /** The client's evidence check → the package delivered (sealing and sending the module). */
  readonly deliver_ms: number;
  /** The keep compiles the module. */
  readonly compile_ms: number;
  /** `_start` → the workload finished. */
  readonly workload_ms: number;
}

/** The marks of a traced run's stderr, by phase (the first time each was reached). */
function marks(stderr: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const m of stderr.matchAll(/^(?:enarx|keep)-trace ([\d.]+) (.*?) \[cpu [\d.]+\]$/gm)) {
    // `finish: exit`, `compile (tiered)`: the phase without its detail.
    const phase = m[2]!.startsWith('finish: ') ? 'finish' : m[2]!.replace(/ \(.*\)$/, '');
    if (!found.has(phase)) found.set(phase, Number(m[1]));
  }
  return found;
}

/** The phases of a run traced with ENARX_TRACE=1. */
export function phases(stderr: string): Phases {
  const at = marks(stderr);
  const span = (from: string, to: string): number => (at.get(to) ?? NaN) - (at.get(from) ?? NaN);
  return {
    to_start_ms: at.get('workload started') ?? NaN,
    deliver_ms: span('evidence verified', 'package delivered'),
    compile_ms: span('compile', 'compiled'),
    workload_ms: span('workload started', 'finish'),
  };
}

