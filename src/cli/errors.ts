/**
 * How the CLI reports failures: one line `enarx: <message> [CODE]` (or a JSON object with
 * `--json`), a non-zero exit status, and a stack trace only with `--verbose`.
 */
import { codeOf } from '../errors.js';

/** A failure the CLI reports to its user. `exitCode` 2 means a usage error. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, options?: { exitCode?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** A usage error (bad flag, missing argument): exit status 2. */
export function usageError(message: string): CliError {
  return new CliError('ERR_USAGE', message, { exitCode: 2 });
}

export interface ReportOptions {
  readonly json: boolean;
  readonly verbose: boolean;
}

/** Writes `err` to stderr the way the CLI reports errors and returns the exit status to use. */
export function reportError(err: unknown, opts: ReportOptions): number {
  const code = codeOf(err) ?? 'ERR_INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
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
  // Not `instanceof`: each command group is bundled separately and has its own copy of the class.
  const exitCode = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof exitCode === 'number' && Number.isInteger(exitCode) && exitCode > 0 ? exitCode : 1;
}
