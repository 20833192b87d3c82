/**
 * What a client streams to its keep through the host: the sealed package, then sealed input
 * records. The host forwards bytes it cannot read, with bounded memory (it waits for the keep to
 * take each slice before reading more) and bounded time: a package must arrive whole before the
 * keep's expiry and never stall longer than the idle limit; an input record, once begun, must
 * arrive whole within the idle limit (between records, input may rest as long as it likes).
 */
import { KeepFailureCode } from '../protocol/errors.js';
import { RecordKind, RecordSplitter, readRecordHeader } from '../protocol/records.js';
import { HostError } from './errors.js';
import type { LiveKeep } from './live-keep.js';

/** Largest slice of a package sent to a keep in one control frame: 1 MiB. */
export const PACKAGE_SLICE_BYTES = 1024 * 1024;
/** Default longest pause in an upload (a package, or inside an input record): 10 s. */
export const DEFAULT_UPLOAD_IDLE_MS = 10_000;

/** Time bounds of one upload. */
export interface UploadBounds {
  /** Epoch ms by which the whole body must have arrived (none: no overall deadline). */
  readonly deadline?: number;
  /** Longest wait for the next chunk, in ms; `() => boolean` says whether it applies right now. */
  readonly idleMs: number;
  readonly idleApplies?: () => boolean;
  readonly now: () => number;
}

/** `body`, failing with ERR_REQUEST_TIMEOUT when it stalls or misses its deadline. */
export async function* bounded(body: AsyncIterable<Uint8Array>, bounds: UploadBounds, what: string): AsyncGenerator<Uint8Array, void, undefined> {
  const it = body[Symbol.asyncIterator]();
  for (;;) {
    const idle = bounds.idleApplies?.() === false ? Infinity : bounds.idleMs;
    const left = bounds.deadline === undefined ? Infinity : bounds.deadline - bounds.now();
    const wait = Math.min(idle, left);
    let timer: NodeJS.Timeout | undefined;
    const next = it.next();
    const timeout =
      wait === Infinity
        ? undefined
        : new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), Math.max(0, wait));
          });
    const r = await (timeout ? Promise.race([next, timeout]) : next).finally(() => clearTimeout(timer));
    if (r === 'timeout') {
      next.catch(() => {});
      void it.return?.()?.catch?.(() => {});
      const why = left <= idle ? `did not arrive whole before the keep's deadline` : `stalled (nothing for ${Math.round(idle / 1000)} s)`;
      throw new HostError('ERR_REQUEST_TIMEOUT', `the ${what} ${why}`);
    }
    if (r.done) return;
    if (!(r.value instanceof Uint8Array)) throw new TypeError('the body must yield Uint8Array chunks');
    yield r.value;
  }
}

/**
 * Forwards a sealed package to its keep slice by slice: the body's pieces, as they are (views,
 * no copies, handed over: see KeepProcess.sendPackage), gathered into slices of
 * {@link PACKAGE_SLICE_BYTES}, one control frame each. One
 * slice is in the channel while the next is gathered; a slice goes once more bytes have come
 * (the last one is flagged). Returns the bytes forwarded.
 * @throws HostError ERR_TOO_LARGE beyond `maxBytes`, ERR_REQUEST_TIMEOUT, ERR_CONFLICT when the
 *   keep ends meanwhile; the body's own error when it fails
 */
export async function forwardPackage(live: LiveKeep, body: AsyncIterable<Uint8Array>, maxBytes: number, onBytes: (total: number) => void): Promise<number> {
  const conflict = (): never => {
    throw new HostError('ERR_CONFLICT', 'the keep ended while receiving its package');
  };
  const ended = (): Promise<never> => live.ended.then(conflict);
  const send = async (slice: readonly Uint8Array[], last: boolean): Promise<void> => {
    const sent = await live.orEnded(
      live.process.sendPackage(slice, last).then(
        () => true,
        () => false,
      ),
      () => false,
    );
    // The channel broke, or the keep ended: report how it ended.
    if (!sent) await ended();
  };
  let total = 0;
  let slice: Uint8Array[] = [];
  let sliceBytes = 0;
  // The slice in the channel: awaited before the next one goes, so at most two are held.
  let sending: Promise<void> = Promise.resolve();
  for await (const chunk of body) {
    total += chunk.length;
    onBytes(total);
    if (total > maxBytes) throw new HostError('ERR_TOO_LARGE', `the package is larger than this host accepts (${maxBytes} bytes)`);
    for (let at = 0; at < chunk.length; ) {
      if (sliceBytes === PACKAGE_SLICE_BYTES) {
        await sending;
        sending = send(slice, false);
        // Observed now so that a failure while the next slice gathers is not unhandled; awaited later.
        sending.catch(() => {});
        slice = [];
        sliceBytes = 0;
      }
      const k = Math.min(chunk.length - at, PACKAGE_SLICE_BYTES - sliceBytes);
      slice.push(k === chunk.length ? chunk : chunk.subarray(at, at + k));
      sliceBytes += k;
      at += k;
    }
    if (live.settled || live.endedBy !== undefined) await ended();
  }
  await sending;
  await send(slice, true);
  return total;
}

/** How much input went through. */
export interface InputSummary {
  readonly records: number;
  readonly bytes: number;
}

/**
 * Forwards sealed input records to a running keep, one control frame each, until the body ends,
 * the last record (end of input) has gone, or the keep ends. Record boundaries and kinds are
 * public: anything else is refused (ERR_BAD_REQUEST).
 */
export async function forwardInput(live: LiveKeep, body: AsyncIterable<Uint8Array>, splitter: RecordSplitter): Promise<InputSummary> {
  let records = 0;
  let bytes = 0;
  let finished = false;
  const it = body[Symbol.asyncIterator]();
  for (;;) {
    // The stream ends with its keep, even if the client never ends it.
    const next = await live.orEnded(it.next(), () => 'ended' as const);
    if (next === 'ended') {
      void it.return?.()?.catch?.(() => {});
      return { records, bytes };
    }
    if (next.done) break;
    const chunk = next.value;
    let got: Uint8Array[];
    try {
      got = splitter.push(chunk);
    } catch (err) {
      throw new HostError('ERR_BAD_REQUEST', `the input stream is not a stream of records: ${(err as Error).message}`);
    }
    for (const record of got) {
      const h = readRecordHeader(record);
      if (typeof h === 'string') throw new HostError('ERR_BAD_REQUEST', `malformed input record: ${h}`);
      if (finished || (h.kind !== RecordKind.INPUT && h.kind !== RecordKind.INPUT_END)) throw new HostError('ERR_BAD_REQUEST', 'only input records, and nothing after the last');
      if (live.settled) return { records, bytes };
      // Counted now: once sent, the record is the keep process's to free.
      const size = record.length;
      try {
        await live.process.sendInput(record);
      } catch {
        return { records, bytes };
      }
      records++;
      bytes += size;
      if (h.kind === RecordKind.INPUT_END) finished = true;
    }
  }
  if (splitter.buffered > 0) throw new HostError('ERR_BAD_REQUEST', 'the input stream ended inside a record');
  return { records, bytes };
}

/** A keep's fate when its package upload fails. */
export function packageFailure(err: unknown): { code: string; message: string } {
  if (err instanceof HostError && err.code === 'ERR_TOO_LARGE') return { code: KeepFailureCode.TOO_LARGE, message: err.message };
  if (err instanceof HostError && err.code === 'ERR_REQUEST_TIMEOUT') return { code: KeepFailureCode.PACKAGE_INCOMPLETE, message: err.message };
  if (err instanceof TypeError) return { code: KeepFailureCode.PACKAGE_INCOMPLETE, message: 'the package body was not bytes' };
  return { code: KeepFailureCode.PACKAGE_INCOMPLETE, message: 'the package upload stopped before its end' };
}
