/**
 * Internal error signalling inside the WASI layer. Handlers throw {@link Errno}; the syscall
 * wrapper turns it into the function's return value. Nothing thrown here ever crosses into the
 * guest as an exception.
 */
import * as C from './constants.js';

/**
 * An errno raised by a handler; caught by the syscall wrapper and returned to the guest. Thrown
 * only through {@link fail}, which throws one shared instance per errno: an Error captures a stack
 * trace when made, and through a deep guest stack that cost tens of µs per failing call (SQLite
 * asks about a lock file that is not there thousands of times a second).
 */
export class Errno extends Error {
  override readonly name = 'Errno';
  constructor(readonly errno: number) {
    super(`wasi errno ${errno}`);
  }
}

const SHARED: Errno[] = [];

/** Throws the Errno of `errno`; the `never` return lets callers write `return fail(...)`. */
export function fail(errno: number): never {
  throw (SHARED[errno] ??= new Errno(errno));
}

const HOST_ERRNO: Readonly<Record<string, number>> = {
  E2BIG: C.ERRNO_2BIG,
  EACCES: C.ERRNO_ACCES,
  EADDRINUSE: C.ERRNO_ADDRINUSE,
  EADDRNOTAVAIL: C.ERRNO_ADDRNOTAVAIL,
  EAFNOSUPPORT: C.ERRNO_AFNOSUPPORT,
  EAGAIN: C.ERRNO_AGAIN,
  EWOULDBLOCK: C.ERRNO_AGAIN,
  EALREADY: C.ERRNO_ALREADY,
  EBADF: C.ERRNO_BADF,
  EBUSY: C.ERRNO_BUSY,
  ECONNABORTED: C.ERRNO_CONNABORTED,
  ECONNREFUSED: C.ERRNO_CONNREFUSED,
  ECONNRESET: C.ERRNO_CONNRESET,
  EDQUOT: C.ERRNO_DQUOT,
  EEXIST: C.ERRNO_EXIST,
  EFAULT: C.ERRNO_FAULT,
  EFBIG: C.ERRNO_FBIG,
  EHOSTUNREACH: C.ERRNO_HOSTUNREACH,
  EILSEQ: C.ERRNO_ILSEQ,
  EINPROGRESS: C.ERRNO_INPROGRESS,
  EINTR: C.ERRNO_INTR,
  EINVAL: C.ERRNO_INVAL,
  EIO: C.ERRNO_IO,
  EISCONN: C.ERRNO_ISCONN,
  EISDIR: C.ERRNO_ISDIR,
  ELOOP: C.ERRNO_LOOP,
  EMFILE: C.ERRNO_MFILE,
  EMLINK: C.ERRNO_MLINK,
  EMSGSIZE: C.ERRNO_MSGSIZE,
  ENAMETOOLONG: C.ERRNO_NAMETOOLONG,
  ENETDOWN: C.ERRNO_NETDOWN,
  ENETRESET: C.ERRNO_NETRESET,
  ENETUNREACH: C.ERRNO_NETUNREACH,
  ENFILE: C.ERRNO_NFILE,
  ENOBUFS: C.ERRNO_NOBUFS,
  ENODEV: C.ERRNO_NODEV,
  ENOENT: C.ERRNO_NOENT,
  ENOEXEC: C.ERRNO_NOEXEC,
  ENOMEM: C.ERRNO_NOMEM,
  ENOSPC: C.ERRNO_NOSPC,
  ENOSYS: C.ERRNO_NOSYS,
  ENOTCONN: C.ERRNO_NOTCONN,
  ENOTDIR: C.ERRNO_NOTDIR,
  ENOTEMPTY: C.ERRNO_NOTEMPTY,
  ENOTSOCK: C.ERRNO_NOTSOCK,
  ENOTSUP: C.ERRNO_NOTSUP,
  EOPNOTSUPP: C.ERRNO_NOTSUP,
  ENOTTY: C.ERRNO_NOTTY,
  ENXIO: C.ERRNO_NXIO,
  EOVERFLOW: C.ERRNO_OVERFLOW,
  EPERM: C.ERRNO_PERM,
  EPIPE: C.ERRNO_PIPE,
  ERANGE: C.ERRNO_RANGE,
  EROFS: C.ERRNO_ROFS,
  ESPIPE: C.ERRNO_SPIPE,
  ETIMEDOUT: C.ERRNO_TIMEDOUT,
  ETXTBSY: C.ERRNO_TXTBSY,
  EXDEV: C.ERRNO_XDEV,
};

/** Maps a Node.js system error (`err.code` like 'ENOENT') to a WASI errno; unknown → EIO. */
export function errnoFromHost(err: unknown): number {
  if (err instanceof Errno) return err.errno;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return HOST_ERRNO[code] ?? C.ERRNO_IO;
  return C.ERRNO_IO;
}

/** Runs `fn`, converting a host system error into an {@link Errno}. */
export function host<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Errno) throw err;
    return fail(errnoFromHost(err));
  }
}
