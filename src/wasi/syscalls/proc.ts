/**
 * clock_res_get, clock_time_get, proc_exit, proc_raise, sched_yield, random_get.
 */
import * as C from '../constants.js';
import { fail } from '../errno.js';
import { WasiExit } from '../context.js';
import type { WasiContext } from '../context.js';

/** The current time of clock `id` (EINVAL for an unknown clock). */
export function clockNow(ctx: WasiContext, id: number): bigint {
  switch (id) {
    case C.CLOCKID_REALTIME:
      return ctx.clocks.realtime();
    case C.CLOCKID_MONOTONIC:
      return ctx.clocks.monotonic();
    case C.CLOCKID_PROCESS_CPUTIME_ID:
      return ctx.clocks.processCpu();
    case C.CLOCKID_THREAD_CPUTIME_ID:
      return ctx.clocks.threadCpu();
    default:
      return fail(C.ERRNO_INVAL);
  }
}

/** Process, clock and randomness syscalls. */
export function procSyscalls(ctx: WasiContext) {
  return {
    clock_res_get: (id: number, resPtr: number) => {
      clockNow(ctx, id);
      ctx.mem.u64set(resPtr, ctx.clocks.resolution(id));
      return C.ERRNO_SUCCESS;
    },
    // `precision` is a hint we cannot do better than.
    clock_time_get: (id: number, _precision: bigint, timePtr: number) => {
      ctx.mem.u64set(timePtr, clockNow(ctx, id));
      return C.ERRNO_SUCCESS;
    },
    proc_exit: (code: number): number => {
      throw new WasiExit(code >>> 0);
    },
    proc_raise: (sig: number) => {
      // Signals have no meaning inside a keep; like wasmtime we do not support raising them.
      if (sig < 0 || sig > C.SIGNAL_MAX) return C.ERRNO_INVAL;
      return C.ERRNO_NOSYS;
    },
    sched_yield: () => C.ERRNO_SUCCESS,
    random_get: (buf: number, len: number) => {
      ctx.random(ctx.mem.bytes(buf, len));
      return C.ERRNO_SUCCESS;
    },
  };
}
