/**
 * sock_accept, sock_recv, sock_send, sock_shutdown. Socket descriptors come from Enarx.toml
 * `[[files]]` entries; on any other descriptor these fail with ENOTSOCK.
 */
import * as C from '../constants.js';
import type { WasiContext } from '../context.js';

/** Socket syscalls (descriptor checks only until sockets are wired in). */
export function sockSyscalls(ctx: WasiContext) {
  const notSock = (fd: number): number => {
    ctx.fds.get(fd);
    return C.ERRNO_NOTSOCK;
  };
  return {
    sock_accept: (fd: number, _flags: number, _out: number) => notSock(fd),
    sock_recv: (fd: number, _ri: number, _rl: number, _fl: number, _nr: number, _of: number) => notSock(fd),
    sock_send: (fd: number, _si: number, _sl: number, _fl: number, _nw: number) => notSock(fd),
    sock_shutdown: (fd: number, _how: number) => notSock(fd),
  };
}
