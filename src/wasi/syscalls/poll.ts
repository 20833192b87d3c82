/**
 * poll_oneoff.
 *
 *   subscription (48 bytes): userdata u64 @0, tag u8 @8, union @16:
 *     clock: id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40
 *     fd_read / fd_write: file_descriptor u32 @16
 *   event (32 bytes): userdata u64 @0, error u16 @8, type u8 @10,
 *     fd_readwrite: nbytes u64 @16, flags u16 @24
 */
import * as C from '../constants.js';
import { Errno, fail } from '../errno.js';
import type { WasiContext } from '../context.js';
import type { FileHandle, Waiter } from '../fs/types.js';
import { clockNow } from './proc.js';

interface Event {
  readonly userdata: bigint;
  readonly error: number;
  readonly type: number;
  readonly nbytes: bigint;
  readonly flags: number;
}

interface ClockSub {
  readonly userdata: bigint;
  /** Absolute deadline on the monotonic clock, in ns. */
  readonly deadline: bigint;
}

/** poll_oneoff. */
export function pollSyscalls(ctx: WasiContext) {
  const { mem } = ctx;
  return {
    poll_oneoff: (inPtr: number, outPtr: number, nsubs: number, neventsPtr: number) => {
      nsubs >>>= 0;
      if (nsubs === 0) return C.ERRNO_INVAL;
      mem.check(inPtr >>> 0, nsubs * 48);
      mem.check(outPtr >>> 0, nsubs * 32);
      mem.check(neventsPtr >>> 0, 4);
      const events: Event[] = [];
      const clocks: ClockSub[] = [];
      const fdSubs: FdSub[] = [];
      for (let i = 0; i < nsubs; i++) {
        const s = (inPtr >>> 0) + i * 48;
        const userdata = mem.u64get(s);
        const tag = mem.u8get(s + 8);
        if (tag === C.EVENTTYPE_CLOCK) {
          const id = mem.u32get(s + 16);
          const timeout = mem.u64get(s + 24);
          const flags = mem.u16get(s + 40);
          let now: bigint;
          try {
            now = clockNow(ctx, id);
          } catch (err) {
            if (!(err instanceof Errno)) throw err;
            events.push({ userdata, error: err.errno, type: tag, nbytes: 0n, flags: 0 });
            continue;
          }
          const rel = flags & C.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME ? (timeout > now ? timeout - now : 0n) : timeout;
          clocks.push({ userdata, deadline: ctx.clocks.monotonic() + rel });
        } else if (tag === C.EVENTTYPE_FD_READ || tag === C.EVENTTYPE_FD_WRITE) {
          fdSubs.push({ userdata, type: tag, fd: mem.u32get(s + 16) });
        } else {
          return C.ERRNO_INVAL;
        }
      }
      collectFdEvents(ctx, fdSubs, events);
      if (events.length === 0) waitForEvents(ctx, fdSubs, clocks, events);
      const now = ctx.clocks.monotonic();
      // Timers that are due are reported along with any ready descriptors.
      for (const c of clocks) {
        if (c.deadline <= now) events.push({ userdata: c.userdata, error: 0, type: C.EVENTTYPE_CLOCK, nbytes: 0n, flags: 0 });
      }
      events.forEach((ev, i) => {
        const o = (outPtr >>> 0) + i * 32;
        mem.bytes(o, 32).fill(0);
        mem.u64set(o, ev.userdata);
        mem.u16set(o + 8, ev.error);
        mem.u8set(o + 10, ev.type);
        mem.u64set(o + 16, ev.nbytes);
        mem.u16set(o + 24, ev.flags);
      });
      mem.u32set(neventsPtr, events.length);
      return C.ERRNO_SUCCESS;
    },
  };
}

interface FdSub {
  readonly userdata: bigint;
  readonly type: number;
  readonly fd: number;
}

function collectFdEvents(ctx: WasiContext, subs: readonly FdSub[], events: Event[]): void {
  for (const s of subs) {
    const ev = fdEvent(ctx, s.userdata, s.type, s.fd);
    if (ev) events.push(ev);
  }
}

/**
 * Nothing is ready: waits for the first clock, or for a descriptor that can be waited on to
 * become ready, whichever comes first. Descriptors that share one waiter (a keep's sockets and
 * stdin share its doorbell) are waited on at once, without spinning; a lone stdin of its own
 * waits on its ring. With several such sources, each is waited on in turn for a short slice.
 */
function waitForEvents(ctx: WasiContext, fdSubs: readonly FdSub[], clocks: readonly ClockSub[], events: Event[]): void {
  let first: bigint | undefined;
  for (const c of clocks) if (first === undefined || c.deadline < first) first = c.deadline;
  const sources = waitSources(ctx, fdSubs);
  if (sources.length === 0) {
    const now = ctx.clocks.monotonic();
    if (first !== undefined && first > now) ctx.sleep(first - now);
    return;
  }
  const slice = sources.length === 1 ? Infinity : 10;
  for (let turn = 0; events.length === 0; turn++) {
    const left = first === undefined ? Infinity : Number(first - ctx.clocks.monotonic()) / 1e6;
    if (left <= 0) return;
    const source = sources[turn % sources.length]!;
    if (source.kind === 'waiter') {
      const seen = source.waiter.epoch();
      collectFdEvents(ctx, fdSubs, events);
      if (events.length > 0) return;
      source.waiter.wait(seen, Math.min(left, slice));
      collectFdEvents(ctx, fdSubs, events);
    } else if (source.handle.waitReadable!(Math.min(left, slice))) {
      collectFdEvents(ctx, fdSubs, events);
    }
  }
}

type WaitSource = { readonly kind: 'waiter'; readonly waiter: Waiter } | { readonly kind: 'handle'; readonly handle: FileHandle };

/** What the subscribed descriptors can be waited on with, each once. */
function waitSources(ctx: WasiContext, fdSubs: readonly FdSub[]): WaitSource[] {
  const sources: WaitSource[] = [];
  for (const s of fdSubs) {
    const h = ctx.fds.has(s.fd) ? ctx.fds.get(s.fd).handle : undefined;
    if (h?.kind !== 'file') continue;
    if (h.waiter !== undefined) {
      if (!sources.some((x) => x.kind === 'waiter' && x.waiter === h.waiter)) sources.push({ kind: 'waiter', waiter: h.waiter });
    } else if (s.type === C.EVENTTYPE_FD_READ && h.waitReadable && !sources.some((x) => x.kind === 'handle' && x.handle === h)) {
      sources.push({ kind: 'handle', handle: h });
    }
  }
  return sources;
}

function fdEvent(ctx: WasiContext, userdata: bigint, type: number, fd: number): Event | undefined {
  try {
    const e = ctx.fds.get(fd, C.RIGHTS_POLL_FD_READWRITE);
    if (e.handle.kind === 'dir') fail(C.ERRNO_BADF);
    const r = e.handle.poll(type === C.EVENTTYPE_FD_READ ? 'read' : 'write');
    if (!r) return undefined;
    const nbytes = type === C.EVENTTYPE_FD_READ && e.handle.seekable ? (r.nbytes > BigInt(e.offset) ? r.nbytes - BigInt(e.offset) : 0n) : r.nbytes;
    return { userdata, error: 0, type, nbytes, flags: r.hangup ? C.EVENTRWFLAGS_FD_READWRITE_HANGUP : 0 };
  } catch (err) {
    if (!(err instanceof Errno)) throw err;
    return { userdata, error: err.errno, type, nbytes: 0n, flags: 0 };
  }
}
