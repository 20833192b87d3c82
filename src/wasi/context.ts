/**
 * What every group of WASI syscalls works on: guest memory, the descriptor table, the process
 * image (args, environment) and the outside world (clocks, randomness, sleeping), passed in so
 * that nothing here reaches for globals.
 */
import { CodedError } from '../errors.js';
import type { FdTable } from './fd-table.js';
import type { GuestMemory } from './memory.js';

/** Clocks in nanoseconds. */
export interface Clocks {
  realtime(): bigint;
  monotonic(): bigint;
  processCpu(): bigint;
  threadCpu(): bigint;
  /** Resolution of each clock in ns, by clock id. */
  resolution(id: number): bigint;
}

/** The environment a WASI instance runs in. */
export interface WasiContext {
  readonly mem: GuestMemory;
  readonly fds: FdTable;
  /** argv as UTF-8, without terminators. */
  readonly args: readonly Uint8Array[];
  /** `KEY=VALUE` pairs as UTF-8, without terminators. */
  readonly env: readonly Uint8Array[];
  readonly clocks: Clocks;
  /** Fills `dst` from a CSPRNG. */
  readonly random: (dst: Uint8Array) => void;
  /** Blocks the calling (worker) thread for `ns` nanoseconds. */
  readonly sleep: (ns: bigint) => void;
}

/** Thrown by `proc_exit` to unwind the guest; never converted to an errno. */
export class WasiExit extends Error {
  override readonly name = 'WasiExit';
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Thrown when a limit is hit inside a syscall (e.g. the output cap); ends the guest. */
export class WasiAbort extends CodedError<string> {
  override readonly name = 'WasiAbort';
}

/** Blocks the calling thread (a worker: Atomics.wait is allowed there). */
export function blockingSleep(ns: bigint): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = process.hrtime.bigint() + ns;
  for (;;) {
    const left = deadline - process.hrtime.bigint();
    if (left <= 0n) return;
    Atomics.wait(cell, 0, 0, Number(left) / 1e6);
  }
}
