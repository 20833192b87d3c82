/**
 * The client's end of a workload's standard streams (`enarx run`, `enarx deploy`): this process's
 * stdin read as the keep asks for nothing in particular (it is sealed and sent as it comes), the
 * keep's authenticated output written out byte for byte, which of our streams are terminals, and
 * how a workload's outcome becomes this process's exit status.
 *
 * stdin is read as libuv reads it best: a pipe, socket or terminal as a stream (no thread pool:
 * starting its threads would cost start-up), a file with `fs.read`; a closed or unreadable fd 0 is
 * an empty input. Once the workload has ended, the command stops reading ({@link stopReadingStdin}).
 */
import { fstatSync, read, writeSync } from 'node:fs';
import type { Package } from '../crypto/package.js';
import type { StdioStream } from '../protocol/names.js';
import type { Outcome } from '../protocol/outcome.js';
import type { OutputStreamName } from '../protocol/records.js';
import { CliError, reportError } from './errors.js';
import type { ReportOptions } from './errors.js';

/**
 * What one read of a file on stdin asks for. Each read is a round trip through libuv's thread
 * pool; 1 MiB rather than one record's 64 KiB made 100 MiB through `cat.wasm` 0.92× as long
 * (CLI CPU 0.86×; alternating runs). Sealing still cuts it into 64 KiB records.
 */
const CHUNK = 1024 * 1024;

function readOnce(buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => read(0, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
}

/**
 * This process's stdin, chunk by chunk, until end of file (a closed fd 0 is empty). Each chunk
 * is valid until the next is asked for (the consumer seals it at once).
 */
export async function* readStdin(): AsyncGenerator<Uint8Array, void, undefined> {
  let st;
  try {
    st = fstatSync(0);
  } catch {
    return;
  }
  if (st.isFIFO() || st.isSocket() || st.isCharacterDevice()) yield* readStream();
  else yield* readFile();
}

/** The stream fd 0 is being read from, while it is. */
let reading: { destroy(): void } | undefined;

/**
 * Stops reading this process's stdin (its input is no longer wanted: the workload has ended).
 * A read pending on a pipe or terminal would otherwise hold the process until the writer closes
 * it (`tail -f log | enarx run filter.wasm`, the filter done): the CLI leaves by the event loop
 * running dry (bin/enarx.js says why), so what it started reading it stops.
 */
export function stopReadingStdin(): void {
  reading?.destroy();
  reading = undefined;
}

/** A pipe, socket or terminal on fd 0, as libuv streams it. */
async function* readStream(): AsyncGenerator<Uint8Array, void, undefined> {
  const { isatty, ReadStream } = process.getBuiltinModule('node:tty') as typeof import('node:tty');
  const { Socket } = process.getBuiltinModule('node:net') as typeof import('node:net');
  const stream = isatty(0) ? new ReadStream(0) : new Socket({ fd: 0, readable: true, writable: false });
  reading = stream;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } catch {
    // A read error ends the input.
  } finally {
    stream.destroy();
    if (reading === stream) reading = undefined;
  }
}

/** A file (or anything else) on fd 0, read with fs.read, one buffer reused. */
async function* readFile(): AsyncGenerator<Uint8Array, void, undefined> {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    let n: number;
    try {
      n = await readOnce(buf);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // A non-blocking descriptor with nothing yet: look again shortly.
      if (code === 'EAGAIN') {
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      // EBADF (closed), EISDIR, EINVAL: nothing to read.
      return;
    }
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

/**
 * Writes a piece of the workload's output to our stdout or stderr, whole, in order.
 * @throws CliError ERR_OUTPUT_CLOSED when the reader is gone (EPIPE): the run ends there, as a
 * shell pipeline's writer would (`enarx run prog | head` must not run `prog` for ever);
 * ERR_OUTPUT_WRITE when it cannot be written (a full disk…)
 */
export function writeOutput(stream: OutputStreamName, data: Uint8Array): void {
  const fd = stream === 'stdout' ? 1 : 2;
  let at = 0;
  while (at < data.length) {
    try {
      at += writeSync(fd, data, at, data.length - at);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE') throw new CliError('ERR_OUTPUT_CLOSED', `the reader of the workload's ${stream} is gone`);
      throw new CliError('ERR_OUTPUT_WRITE', `cannot write the workload's ${stream}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Which of this process's streams are terminals (the workload's `isatty()` says the same). */
export function clientTtys(): StdioStream[] {
  const out: StdioStream[] = [];
  (['stdin', 'stdout', 'stderr'] as const).forEach((name, fd) => {
    let char = false;
    try {
      char = fstatSync(fd).isCharacterDevice();
    } catch {
      return;
    }
    // node:tty only for a character device (it brings node:net along).
    if (char && (process.getBuiltinModule('node:tty') as typeof import('node:tty')).isatty(fd)) out.push(name);
  });
  return out;
}

/** True when this process's stdin is closed or /dev/null: there is nothing to send. */
function stdinIsEmpty(): boolean {
  let st;
  try {
    st = fstatSync(0);
  } catch {
    return true;
  }
  // /dev/null is character device 1:3 on Linux.
  return st.isCharacterDevice() && st.rdev === ((1 << 8) | 3);
}

/**
 * `pkg` as this client presents it: its terminals, and whether this client streams stdin to it
 * (the workload has a stdin, and ours is not empty: an empty one needs no stream at all).
 */
export function withClientStdio(pkg: Package): { pkg: Package; wantsInput: boolean } {
  return { pkg: { ...pkg, ttys: clientTtys() }, wantsInput: pkg.fds.includes('stdin') && !stdinIsEmpty() };
}

/** Reports how the workload ended (under the session's keys) and returns the exit status. */
export function reportOutcome(outcome: Outcome, opts: ReportOptions): number {
  switch (outcome.type) {
    case 'exit':
      return outcome.code & 0xff;
    case 'trap':
      return reportError(new CliError('ERR_TRAP', `wasm trap: ${outcome.trap}${outcome.func ? ` in function '${outcome.func}'` : ''}`), opts);
    case 'error':
      return reportError(new CliError(outcome.code, outcome.message), opts);
  }
}
