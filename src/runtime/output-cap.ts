/**
 * A cap on how much a workload may write to stdout and stderr together.
 */
import { WasiAbort } from '../wasi/context.js';
import type { FileHandle, Filestat, Readiness, TimesUpdate } from '../wasi/fs/types.js';

/** Bytes still allowed, shared by every handle wrapped with the same budget. */
export interface OutputBudget {
  remaining: number;
}

/** Wraps an output handle so that writing past the budget ends the workload (ERR_OUTPUT_LIMIT). */
export class CappedOutput implements FileHandle {
  readonly kind = 'file' as const;

  constructor(
    private readonly inner: FileHandle,
    private readonly budget: OutputBudget,
    private readonly limit: number,
  ) {}

  get filetype(): number {
    return this.inner.filetype;
  }
  get seekable(): boolean {
    return this.inner.seekable;
  }
  get isTty(): boolean {
    return this.inner.isTty;
  }

  write(buf: Uint8Array, off: number, len: number, position: number | null): number {
    if (len > this.budget.remaining) {
      // Write what fits so the output is an exact prefix, then stop the workload.
      const n = this.budget.remaining;
      if (n > 0) this.inner.write(buf, off, n, position);
      this.budget.remaining = 0;
      throw new WasiAbort('ERR_OUTPUT_LIMIT', `workload output exceeded the limit of ${this.limit} bytes`);
    }
    const n = this.inner.write(buf, off, len, position);
    this.budget.remaining -= n;
    return n;
  }

  read(buf: Uint8Array, off: number, len: number, position: number | null): number {
    return this.inner.read(buf, off, len, position);
  }
  stat(): Filestat {
    return this.inner.stat();
  }
  setSize(size: bigint): void {
    this.inner.setSize(size);
  }
  allocate(offset: bigint, len: bigint): void {
    this.inner.allocate(offset, len);
  }
  setTimes(t: TimesUpdate): void {
    this.inner.setTimes(t);
  }
  sync(): void {
    this.inner.sync();
  }
  datasync(): void {
    this.inner.datasync();
  }
  poll(kind: 'read' | 'write'): Readiness | undefined {
    return this.inner.poll(kind);
  }
  close(): void {
    this.inner.close();
  }
}
