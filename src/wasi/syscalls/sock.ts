/**
 * sock_accept, sock_recv, sock_send, sock_shutdown. Socket descriptors come from Enarx.toml
 * `[[files]]` entries (a keep's listen and connect sockets) and from sock_accept; on any other
 * descriptor these fail with ENOTSOCK, on a closed one with EBADF, as on Linux and wasmtime.
 *
 *   iovec (8 bytes): buf u32 @0, buf_len u32 @4
 */
import * as C from '../constants.js';
import { fail } from '../errno.js';
import type { WasiContext } from '../context.js';
import type { FdEntry } from '../fd-table.js';
import type { FileHandle, SocketOps } from '../fs/types.js';
import { writev } from './fd.js';
import type { GatherScratch } from './fd.js';

/** Most bytes one sock_recv over several iovecs gathers before it scatters them. */
const MAX_SCATTER = 1024 * 1024;

type SocketEntry = FdEntry & { handle: FileHandle & { socket: SocketOps } };

/** The socket at `fd`: EBADF when there is none, ENOTSOCK when it is no socket, then the rights. */
function socketAt(ctx: WasiContext, fd: number, rights: bigint): SocketEntry {
  const e = ctx.fds.get(fd);
  if (e.handle.kind !== 'file' || e.handle.socket === undefined) fail(C.ERRNO_NOTSOCK);
  return ctx.fds.get(fd, rights) as SocketEntry;
}

/** Rights of an accepted connection. */
const ACCEPTED_RIGHTS = C.RIGHTS_SOCKET_BASE;

/** Socket syscalls. */
export function sockSyscalls(ctx: WasiContext) {
  const { mem, fds } = ctx;
  const scratch: GatherScratch = { buf: new Uint8Array(0) };
  return {
    sock_accept: (fd: number, flags: number, outPtr: number) => {
      const e = socketAt(ctx, fd, 0n);
      if (flags & ~C.FDFLAGS_NONBLOCK) return C.ERRNO_INVAL;
      if (!e.handle.socket.listening) return C.ERRNO_INVAL;
      fds.get(fd, C.RIGHTS_SOCK_ACCEPT);
      mem.check(outPtr >>> 0, 4);
      fds.checkRoom();
      const conn = e.handle.socket.accept();
      const nonblocking = (flags & C.FDFLAGS_NONBLOCK) !== 0;
      conn.setNonblocking?.(nonblocking);
      const newFd = fds.insert({ handle: conn, rightsBase: ACCEPTED_RIGHTS, rightsInheriting: 0n, fdflags: nonblocking ? C.FDFLAGS_NONBLOCK : 0, offset: 0 });
      mem.u32set(outPtr, newFd);
      return C.ERRNO_SUCCESS;
    },

    sock_recv: (fd: number, iovs: number, count: number, riflags: number, nreadPtr: number, roflagsPtr: number) => {
      const e = socketAt(ctx, fd, C.RIGHTS_FD_READ);
      if (riflags & ~(C.RIFLAGS_RECV_PEEK | C.RIFLAGS_RECV_WAITALL)) return C.ERRNO_INVAL;
      if (e.handle.socket.listening) return C.ERRNO_NOTCONN;
      const total = mem.checkIovecs(iovs, count);
      mem.check(nreadPtr >>> 0, 4);
      mem.check(roflagsPtr >>> 0, 2);
      const peek = (riflags & C.RIFLAGS_RECV_PEEK) !== 0;
      const waitall = (riflags & C.RIFLAGS_RECV_WAITALL) !== 0;
      let n = 0;
      const single = singleIovec(mem, iovs, count, total);
      if (single !== undefined) {
        n = total === 0 ? 0 : e.handle.socket.recv(mem.bytes(single, total), peek, waitall);
      } else {
        // Several iovecs: one recv (a peek cannot be split), then scattered.
        const buf = new Uint8Array(Math.min(total, MAX_SCATTER));
        n = e.handle.socket.recv(buf, peek, waitall);
        scatter(mem, iovs, count, buf.subarray(0, n));
      }
      mem.u32set(nreadPtr, n);
      mem.u16set(roflagsPtr, 0);
      return C.ERRNO_SUCCESS;
    },

    sock_send: (fd: number, iovs: number, count: number, siflags: number, nwrittenPtr: number) => {
      const e = socketAt(ctx, fd, C.RIGHTS_FD_WRITE);
      if (siflags !== 0) return C.ERRNO_INVAL;
      if (e.handle.socket.listening) return C.ERRNO_NOTCONN;
      mem.check(nwrittenPtr >>> 0, 4);
      const n = writev(mem, scratch, e.handle, iovs, count, null);
      mem.u32set(nwrittenPtr, n);
      return C.ERRNO_SUCCESS;
    },

    sock_shutdown: (fd: number, how: number) => {
      const e = socketAt(ctx, fd, C.RIGHTS_SOCK_SHUTDOWN);
      if (how === 0 || how & ~(C.SDFLAGS_RD | C.SDFLAGS_WR)) return C.ERRNO_INVAL;
      if (e.handle.socket.listening) return C.ERRNO_NOTCONN;
      e.handle.socket.shutdown((how & C.SDFLAGS_RD) !== 0, (how & C.SDFLAGS_WR) !== 0);
      return C.ERRNO_SUCCESS;
    },
  };
}

/** The buffer address when the iovecs hold bytes in at most one of them (else undefined). */
function singleIovec(mem: WasiContext['mem'], iovs: number, count: number, total: number): number | undefined {
  if (total === 0) return 0;
  for (let i = 0; i < count; i++) {
    const len = mem.iovLen(iovs, i);
    if (len === total) return mem.iovBuf(iovs, i);
    if (len !== 0) return undefined;
  }
  return undefined;
}

function scatter(mem: WasiContext['mem'], iovs: number, count: number, src: Uint8Array): void {
  let off = 0;
  for (let i = 0; i < count && off < src.length; i++) {
    const len = Math.min(mem.iovLen(iovs, i), src.length - off);
    if (len === 0) continue;
    mem.bytes(mem.iovBuf(iovs, i), len).set(src.subarray(off, off + len));
    off += len;
  }
}
