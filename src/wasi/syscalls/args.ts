/**
 * args_get, args_sizes_get, environ_get, environ_sizes_get.
 */
import * as C from '../constants.js';
import type { GuestMemory } from '../memory.js';
import type { WasiContext } from '../context.js';

function sizes(mem: GuestMemory, list: readonly Uint8Array[], countPtr: number, sizePtr: number): number {
  let size = 0;
  for (const s of list) size += s.length + 1;
  mem.u32set(countPtr, list.length);
  mem.u32set(sizePtr, size);
  return C.ERRNO_SUCCESS;
}

function get(mem: GuestMemory, list: readonly Uint8Array[], ptrs: number, buf: number): number {
  let off = buf >>> 0;
  mem.check(ptrs >>> 0, list.length * 4);
  list.forEach((s, i) => {
    mem.u32set(ptrs + i * 4, off);
    mem.write(off, s);
    mem.u8set(off + s.length, 0);
    off += s.length + 1;
  });
  return C.ERRNO_SUCCESS;
}

/** Syscalls that describe the process image. */
export function argsSyscalls(ctx: WasiContext) {
  return {
    args_sizes_get: (countPtr: number, sizePtr: number) => sizes(ctx.mem, ctx.args, countPtr, sizePtr),
    args_get: (argv: number, buf: number) => get(ctx.mem, ctx.args, argv, buf),
    environ_sizes_get: (countPtr: number, sizePtr: number) => sizes(ctx.mem, ctx.env, countPtr, sizePtr),
    environ_get: (environ: number, buf: number) => get(ctx.mem, ctx.env, environ, buf),
  };
}
