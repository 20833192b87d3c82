/**
 * The agent's log: one JSON object per line, of ids, states, sizes and codes. Callers pass only
 * such fields; nothing a workload or its client controls in content (package bytes, output,
 * error messages from a keep) is ever a log field.
 */

/** A log field value. */
export type HostLogValue = string | number | boolean | null;

/** Receives one log event. */
export type HostLogger = (event: string, fields?: Readonly<Record<string, HostLogValue>>) => void;

/** A logger that drops everything. */
export const silentLogger: HostLogger = () => {};

/** A logger writing JSON lines (`{"time":…,"event":…,…}`) with `write` (default: stderr). */
export function jsonLineLogger(write: (line: string) => void = (line) => void process.stderr.write(line), now: () => Date = () => new Date()): HostLogger {
  return (event, fields = {}) => write(JSON.stringify({ time: now().toISOString(), event, ...fields }) + '\n');
}
