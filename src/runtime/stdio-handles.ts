/**
 * The workload's stdin, stdout and stderr inside the keep: descriptors backed by the stdio rings
 * (stdio-ring.ts), whose other ends are the keep's main thread and, through sealed records, the
 * client. They are streams (not seekable); a terminal on the client's side is a character device
 * here too, so that `isatty()` answers as it would there; anything else is `unknown`, as wasmtime
 * reports a pipe.
 */
import * as C from '../wasi/constants.js';
import { fail } from '../wasi/errno.js';
import { StreamBase } from '../wasi/fs/stream.js';
import type { FileHandle, Readiness, Waiter } from '../wasi/fs/types.js';
import type { InputReader, OutputWriter } from './stdio-ring.js';

/** What every stdio handle does the same way. */
abstract class StdioHandle extends StreamBase implements FileHandle {
  readonly filetype: number;

  constructor(readonly isTty: boolean) {
    super();
    this.filetype = isTty ? C.FILETYPE_CHARACTER_DEVICE : C.FILETYPE_UNKNOWN;
  }

  abstract read(buf: Uint8Array, off: number, len: number): number;
  abstract write(buf: Uint8Array, off: number, len: number): number;
  abstract poll(kind: 'read' | 'write'): Readiness | undefined;

  close(): void {}
}

/** stdout or stderr: segments into the output ring. */
export class RingOutput extends StdioHandle {
  /** @param stream 1 for stdout, 2 for stderr (protocol/records.ts OutputStreamId) */
  constructor(
    private readonly ring: OutputWriter,
    private readonly stream: number,
    isTty: boolean,
  ) {
    super(isTty);
  }

  read(): number {
    return fail(C.ERRNO_BADF);
  }

  write(buf: Uint8Array, off: number, len: number): number {
    if (len === 0) return 0;
    if (!this.ring.write(this.stream, buf.subarray(off, off + len))) fail(C.ERRNO_PIPE);
    return len;
  }

  poll(kind: 'read' | 'write'): Readiness | undefined {
    if (kind === 'read') return undefined;
    return { nbytes: 0n, hangup: this.ring.readerClosed };
  }
}

/** stdin: bytes from the input ring; end of file once the client's input has ended. */
export class RingInput extends StdioHandle {
  #nonblocking = false;

  /** @param waiter the keep's doorbell, which its main thread rings for stdin too (poll waits on it) */
  constructor(
    private readonly ring: InputReader,
    isTty: boolean,
    readonly waiter?: Waiter,
  ) {
    super(isTty);
  }

  setNonblocking(on: boolean): void {
    this.#nonblocking = on;
  }

  read(buf: Uint8Array, off: number, len: number): number {
    const n = this.ring.read(buf.subarray(off, off + len), this.#nonblocking ? 0 : Infinity);
    return n < 0 ? fail(C.ERRNO_AGAIN) : n;
  }

  write(): number {
    return fail(C.ERRNO_BADF);
  }

  poll(kind: 'read' | 'write'): Readiness | undefined {
    if (kind === 'write') return undefined;
    this.ring.demand();
    const closed = this.ring.writerClosed; // before used(): see InputReader.read
    const n = this.ring.used();
    if (n > 0) return { nbytes: BigInt(n), hangup: false };
    return closed ? { nbytes: 0n, hangup: true } : undefined;
  }

  /** Waits up to `timeoutMs` for input (or its end); true when a read would not block. */
  waitReadable(timeoutMs: number): boolean {
    return this.ring.waitReadable(timeoutMs);
  }
}
