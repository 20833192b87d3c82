/**
 * How the CLI reports failures: one line `enarx: <message> [CODE]` (or a JSON object with
 * `--json`), and an exit status chosen by the code, in one table; a stack trace only with
 * `--verbose`.
 *
 * Exit statuses: the workload's own exit code when it exited; 124 timeout (ERR_TIMEOUT);
 * 134 trap (ERR_TRAP); 137 the host killed the keep (ERR_KEEP_KILLED); 141 the reader of the
 * workload's output went away (ERR_OUTPUT_CLOSED: what a shell shows for a writer a broken pipe
 * ended, and, like that writer, said without a word); 2 usage (ERR_USAGE); 1 anything else.
 */
import { CodedError, codeOf } from '../errors.js';

/** The exit status of each code that has its own; every other code exits 1. */
export const EXIT_STATUS: Readonly<Record<string, number>> = Object.freeze({
  ERR_USAGE: 2,
  ERR_TIMEOUT: 124,
  ERR_TRAP: 134,
  ERR_KEEP_KILLED: 137,
  ERR_OUTPUT_CLOSED: 141,
});

/** Codes reported by their exit status alone, unless `--json` or `--verbose` asks for more. */
const SILENT: ReadonlySet<string> = new Set(['ERR_OUTPUT_CLOSED']);

/** The exit status for an error of `code`. */
export function exitStatusOf(code: string | undefined): number {
  return (code !== undefined && EXIT_STATUS[code]) || 1;
}

/** A failure the CLI reports to its user. */
export class CliError extends CodedError<string> {
  override readonly name = 'CliError';
}

/** A usage error (bad flag, missing argument): exit status 2. */
export function usageError(message: string): CliError {
  return new CliError('ERR_USAGE', message);
}

export interface ReportOptions {
  readonly json: boolean;
  readonly verbose: boolean;
}

/** What a code means for the user, said before the message. */
const CONTEXT: Readonly<Record<string, string>> = {
  ERR_RECORD_AUTH: "refusing the keep's stream, which was altered on the way (nothing from this record on is shown): ",
  ERR_RECORD_SEQUENCE: "refusing the keep's stream, whose records were dropped, reordered or replayed on the way (nothing from this point on is shown): ",
  ERR_RECORD_FORMAT: "refusing the keep's stream, which is malformed: ",
};

/** Writes `err` to stderr the way the CLI reports errors and returns the exit status to use. */
export function reportError(err: unknown, opts: ReportOptions): number {
  const code = codeOf(err) ?? 'ERR_INTERNAL';
  if (SILENT.has(code) && !opts.json && !opts.verbose) return exitStatusOf(code);
  const message = (CONTEXT[code] ?? '') + (err instanceof Error ? err.message : String(err));
  if (opts.json) {
    process.stderr.write(JSON.stringify({ error: { code, message } }) + '\n');
  } else {
    process.stderr.write(`enarx: ${message} [${code}]\n`);
  }
  if (opts.verbose && err instanceof Error && err.stack) {
    process.stderr.write(err.stack + '\n');
    let cause = (err as { cause?: unknown }).cause;
    while (cause instanceof Error) {
      process.stderr.write(`caused by: ${cause.stack ?? cause.message}\n`);
      cause = (cause as { cause?: unknown }).cause;
    }
  }
  return exitStatusOf(code);
}
