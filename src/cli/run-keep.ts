/**
 * The keep of an `enarx run`, started by the dispatcher (main.ts) before the command's own code
 * is loaded: its start-up then overlaps with everything the CLI does before it needs the keep.
 */
import { trace } from '../client/trace.js';
import { KeepProcess } from '../host/keep-process.js';
import { keepBundleDir } from '../runtime/measurement.js';

/** True when `argv` (after `run`) asks for the keep-less help text. */
export function isRunHelp(argv: readonly string[]): boolean {
  return argv[0] === '--help' || argv[0] === '-h';
}

/** A keep started for `enarx run`, and the bundle folder it was started from (what is measured). */
export interface LocalKeep {
  readonly process: KeepProcess;
  readonly bundleDir: string;
}

/**
 * Starts the keep of an `enarx run` (sharing this terminal). The dispatcher calls this before
 * it loads the rest of the command's code: the keep's start-up overlaps with everything the
 * CLI does before it needs the keep. The bundle folder is resolved once, here.
 */
export function startLocalKeep(): LocalKeep {
  const bundleDir = keepBundleDir();
  const keep = { process: new KeepProcess({ stdio: 'inherit', bundleDir }), bundleDir };
  trace('keep spawned');
  return keep;
}

