/**
 * Our WASI preview1 implementation: the import object for `wasi_snapshot_preview1` and the
 * command start-up (`_start`). Every import catches its own failures: an {@link Errno} becomes
 * the return value, `proc_exit` and limits unwind with {@link WasiExit}/{@link WasiAbort}, and
 * anything unexpected is reported and answered with EIO rather than thrown into the guest.
 */
import * as C from './constants.js';
import { Errno, fail } from './errno.js';
import { FdTable } from './fd-table.js';
import { WASI_MODULE } from './functions.js';
import { GuestMemory, encodeUtf8 } from './memory.js';
import { blockingSleep, WasiAbort, WasiExit } from './context.js';
import type { Clocks, WasiContext } from './context.js';
import type { DirHandle, FileHandle } from './fs/types.js';
import { KernelRandom } from './random.js';
import { argsSyscalls } from './syscalls/args.js';
import { fdSyscalls } from './syscalls/fd.js';
import { pathSyscalls } from './syscalls/path.js';
import { pollSyscalls } from './syscalls/poll.js';
import { procSyscalls } from './syscalls/proc.js';
import { sockSyscalls } from './syscalls/sock.js';

export { WASI_MODULE };

/** A directory made visible to the guest under `guestPath`. */
export interface Preopen {
  readonly guestPath: string;
  readonly dir: DirHandle;
}

/** How to build a WASI instance. */
export interface WasiOptions {
  readonly args: readonly string[];
  /** `KEY=VALUE` strings, exactly what the guest will see. */
  readonly env: readonly string[];
  /**
   * Descriptors 0, 1, 2, ... in order (stdio and sockets); preopens follow them. A bare handle
   * gets read and write rights; `{ handle, read, write }` says which (stdin is read-only, stdout
   * and stderr write-only, so a read of fd 1 fails instead of reading the terminal).
   */
  readonly files: readonly (FileHandle | { readonly handle: FileHandle; readonly read: boolean; readonly write: boolean })[];
  readonly preopens: readonly Preopen[];
  readonly clocks?: Clocks;
  /** The guest's randomness; default: the kernel's (random.ts). */
  readonly random?: (dst: Uint8Array) => void;
  readonly sleep?: (ns: bigint) => void;
  /** Told about an unexpected host error inside a syscall (answered with EIO). */
  readonly onInternalError?: (syscall: string, err: unknown) => void;
}


/** The default clocks: host realtime and monotonic clocks with nanosecond resolution. */
export function hostClocks(): Clocks {
  const hrBase = process.hrtime.bigint();
  const realBase = BigInt(Date.now()) * 1_000_000n;
  const cpu = (): bigint => {
    const u = process.cpuUsage();
    return BigInt(u.user + u.system) * 1000n;
  };
  return {
    realtime: () => realBase + (process.hrtime.bigint() - hrBase),
    monotonic: () => process.hrtime.bigint(),
    processCpu: cpu,
    threadCpu: cpu,
    resolution: (id) => (id === C.CLOCKID_PROCESS_CPUTIME_ID || id === C.CLOCKID_THREAD_CPUTIME_ID ? 1000n : 1n),
  };
}

/** A WASI preview1 instance for one guest. */
export class Wasi {
  private memory: WebAssembly.Memory | undefined;
  readonly fds = new FdTable();
  /** The default randomness, when the options name none: its device is closed at exit. */
  readonly #random: KernelRandom | undefined;
  /** The import object for `WebAssembly.instantiate`. */
  readonly imports: WebAssembly.Imports;

  constructor(opts: WasiOptions) {
    opts.files.forEach((f, i) => {
      const h = 'handle' in f ? f.handle : f;
      let base = h.filetype === C.FILETYPE_REGULAR_FILE && h.seekable ? C.RIGHTS_REGULAR_FILE_BASE : C.RIGHTS_CHARACTER_DEVICE_BASE;
      if (h.kind === 'file' && h.socket) base = h.socket.listening ? C.RIGHTS_SOCKET_BASE | C.RIGHTS_SOCK_ACCEPT : C.RIGHTS_SOCKET_BASE;
      if ('handle' in f && !f.read) base &= ~(C.RIGHTS_FD_READ | C.RIGHTS_FD_SEEK | C.RIGHTS_FD_TELL);
      if ('handle' in f && !f.write) base &= ~(C.RIGHTS_FD_WRITE | C.RIGHTS_FD_ALLOCATE | C.RIGHTS_FD_FILESTAT_SET_SIZE);
      this.fds.set(i, { handle: h, rightsBase: base, rightsInheriting: 0n, fdflags: 0, offset: 0 });
    });
    opts.preopens.forEach((p, i) => {
      this.fds.set(opts.files.length + i, {
        handle: p.dir,
        rightsBase: C.RIGHTS_DIRECTORY_BASE,
        rightsInheriting: C.RIGHTS_DIRECTORY_INHERITING,
        fdflags: 0,
        offset: 0,
        preopen: p.guestPath,
      });
    });
    let random = opts.random;
    if (!random) {
      const kernel = (this.#random = new KernelRandom());
      random = (dst) => kernel.fill(dst);
    }
    const ctx: WasiContext = {
      mem: new GuestMemory(() => {
        if (!this.memory) return fail(C.ERRNO_FAULT);
        return this.memory;
      }),
      fds: this.fds,
      args: opts.args.map(encodeUtf8),
      env: opts.env.map(encodeUtf8),
      clocks: opts.clocks ?? hostClocks(),
      random,
      sleep: opts.sleep ?? blockingSleep,
    };
    const table: Record<string, (...args: never[]) => number> = {
      ...argsSyscalls(ctx),
      ...procSyscalls(ctx),
      ...fdSyscalls(ctx),
      ...pathSyscalls(ctx),
      ...pollSyscalls(ctx),
      ...sockSyscalls(ctx),
    };
    const wrapped: Record<string, (...args: never[]) => number> = {};
    for (const [name, fn] of Object.entries(table)) wrapped[name] = guard(name, fn, opts.onInternalError);
    this.imports = { [WASI_MODULE]: wrapped };
  }

  /** The names of every function this implementation provides. */
  get functionNames(): string[] {
    return Object.keys(this.imports[WASI_MODULE]!);
  }

  /**
   * Runs a command module's `_start` and returns its exit code (0 when `_start` returns).
   * Traps propagate as the engine's errors; limits as {@link WasiAbort}.
   */
  start(instance: WebAssembly.Instance): number {
    const memory = instance.exports['memory'];
    if (!(memory instanceof WebAssembly.Memory)) throw new TypeError('module does not export its memory');
    this.memory = memory;
    const start = instance.exports['_start'];
    if (typeof start !== 'function') throw new TypeError('module has no _start function');
    try {
      (start as () => void)();
      return 0;
    } catch (err) {
      if (err instanceof WasiExit) return err.code;
      throw err;
    } finally {
      this.fds.closeAll();
      this.#random?.close();
    }
  }
}

function guard(
  name: string,
  fn: (...args: never[]) => number,
  onInternalError: WasiOptions['onInternalError'],
): (...args: never[]) => number {
  const failed = (err: unknown): number => {
    if (err instanceof Errno) return err.errno;
    if (err instanceof WasiExit || err instanceof WasiAbort) throw err;
    onInternalError?.(name, err);
    return C.ERRNO_IO;
  };
  // Fixed-arity wrappers: a rest-parameter spread on every syscall costs measurable time.
  const f = fn as (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, g?: unknown, h?: unknown, i?: unknown, j?: unknown) => number;
  if (fn.length <= 4) {
    return ((a: unknown, b: unknown, c: unknown, d: unknown) => {
      try {
        return f(a, b, c, d);
      } catch (err) {
        return failed(err);
      }
    }) as (...args: never[]) => number;
  }
  return ((a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, g: unknown, h: unknown, i: unknown, j: unknown) => {
    try {
      return f(a, b, c, d, e, g, h, i, j);
    } catch (err) {
      return failed(err);
    }
  }) as (...args: never[]) => number;
}

export { WasiAbort, WasiExit };
