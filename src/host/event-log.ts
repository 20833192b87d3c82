/**
 * What one keep produced, for replay and live streaming: its stdout and stderr in bounded
 * per-stream ring buffers (the newest bytes win), and its few lifecycle events (state changes,
 * the exit code, a trap, an error). Every entry gets a sequence number; a reader is a cursor
 * into the log, so a slow reader costs no memory: it falls behind, and is told how many bytes of
 * a stream it missed (`dropped`) instead of the agent buffering for it.
 *
 * The log lives in memory only: stdout and stderr are the workload's, and the agent never
 * writes them anywhere.
 */
import type { KeepState } from './store.js';

/** The two output streams of a keep. */
export type OutputStream = 'stdout' | 'stderr';

/** One event of a keep's stream, as {@link EventLog.read} yields it. */
export type KeepStreamEvent =
  | { readonly type: OutputStream; readonly seq: number; readonly data: Uint8Array }
  | { readonly type: 'state'; readonly seq?: number; readonly state: KeepState }
  | { readonly type: 'exit'; readonly seq?: number; readonly code: number }
  | { readonly type: 'trap'; readonly seq?: number; readonly trap: string; readonly func?: string }
  | { readonly type: 'error'; readonly seq?: number; readonly code: string; readonly message: string }
  /** The reader missed `bytes` of `stream` (absent: how many is no longer known); no `seq`. */
  | { readonly type: 'dropped'; readonly stream: OutputStream; readonly bytes?: number };

/** A lifecycle event to append (the log assigns its sequence number). */
export type LifecycleEvent =
  | { readonly type: 'state'; readonly state: KeepState }
  | { readonly type: 'exit'; readonly code: number }
  | { readonly type: 'trap'; readonly trap: string; readonly func?: string }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** Default retention per output stream: 1 MiB. */
export const DEFAULT_OUTPUT_BYTES_PER_STREAM = 1024 * 1024;

interface Chunk {
  readonly seq: number;
  /** Bytes of this stream before this chunk. */
  offset: number;
  data: Uint8Array;
}

interface Ring {
  readonly chunks: Chunk[];
  head: number;
  retained: number;
  written: number;
  /** Largest seq of a chunk dropped entirely (0: none). */
  droppedSeq: number;
}

type Entry = ({ readonly kind: 'chunk'; readonly stream: OutputStream } & Chunk) | { readonly kind: 'event'; readonly seq: number; readonly event: LifecycleEvent };

/** First index in `list[from..]` whose seq is greater than `after` (list sorted by seq). */
function firstAfter(list: readonly { seq: number }[], from: number, after: number): number {
  let lo = from;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A keep's output and events, bounded. */
export class EventLog {
  readonly #cap: number;
  readonly #rings: Record<OutputStream, Ring> = {
    stdout: { chunks: [], head: 0, retained: 0, written: 0, droppedSeq: 0 },
    stderr: { chunks: [], head: 0, retained: 0, written: 0, droppedSeq: 0 },
  };
  readonly #events: { seq: number; event: LifecycleEvent }[] = [];
  #seq = 0;
  #closed = false;
  #waiters = new Set<() => void>();

  /** @param capPerStream bytes retained per output stream (≥ 1) */
  constructor(capPerStream: number = DEFAULT_OUTPUT_BYTES_PER_STREAM) {
    if (!Number.isSafeInteger(capPerStream) || capPerStream < 1) throw new TypeError('capPerStream must be a positive integer');
    this.#cap = capPerStream;
  }

  /** True once {@link close} was called: nothing more will be appended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Total bytes ever written to `stream` (retained or not). */
  written(stream: OutputStream): number {
    return this.#rings[stream].written;
  }

  /** Appends output. Ignored after {@link close}. */
  appendOutput(stream: OutputStream, data: Uint8Array): void {
    if (this.#closed || data.length === 0) return;
    const ring = this.#rings[stream];
    ring.chunks.push({ seq: ++this.#seq, offset: ring.written, data });
    ring.written += data.length;
    ring.retained += data.length;
    this.#trim(ring);
    this.#wake();
  }

  /** Appends a lifecycle event. Ignored after {@link close}. */
  appendEvent(event: LifecycleEvent): void {
    if (this.#closed) return;
    this.#events.push({ seq: ++this.#seq, event });
    this.#wake();
  }

  /** No more entries; readers end once they have read everything retained. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  /** Frees the retained output (readers then only see lifecycle events) and closes the log. */
  discardOutput(): void {
    for (const ring of Object.values(this.#rings)) {
      const last = ring.chunks[ring.chunks.length - 1];
      if (last !== undefined) ring.droppedSeq = Math.max(ring.droppedSeq, last.seq);
      ring.chunks.length = 0;
      ring.head = 0;
      ring.retained = 0;
    }
    this.close();
  }

  #trim(ring: Ring): void {
    while (ring.retained > this.#cap) {
      const c = ring.chunks[ring.head]!;
      const excess = ring.retained - this.#cap;
      if (c.data.length <= excess) {
        ring.head++;
        ring.retained -= c.data.length;
        ring.droppedSeq = c.seq;
      } else {
        // Keep the newest bytes of this chunk; copy them so the old buffer can be freed.
        c.data = c.data.slice(excess);
        c.offset += excess;
        ring.retained -= excess;
      }
    }
    if (ring.head > 1024 && ring.head * 2 > ring.chunks.length) {
      ring.chunks.splice(0, ring.head);
      ring.head = 0;
    }
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  /** The retained entry with the smallest seq greater than `after`, if any. */
  #nextAfter(after: number): Entry | undefined {
    let best: Entry | undefined;
    for (const stream of ['stdout', 'stderr'] as const) {
      const ring = this.#rings[stream];
      const i = firstAfter(ring.chunks, ring.head, after);
      const c = ring.chunks[i];
      if (c !== undefined && (best === undefined || c.seq < best.seq)) best = { kind: 'chunk', stream, ...c };
    }
    const j = firstAfter(this.#events, 0, after);
    const e = this.#events[j];
    if (e !== undefined && (best === undefined || e.seq < best.seq)) best = { kind: 'event', seq: e.seq, event: e.event };
    return best;
  }

  /** Where a reader that has seen everything up to `after` expects `stream` to continue, if known. */
  #expectedOffset(stream: OutputStream, after: number): number | undefined {
    const ring = this.#rings[stream];
    const i = firstAfter(ring.chunks, ring.head, after) - 1;
    if (i >= ring.head) {
      const c = ring.chunks[i]!;
      return c.offset + c.data.length;
    }
    // No retained chunk at or before `after`: from the start, the stream began at 0; on resume,
    // it is known only if nothing was dropped since.
    return after === 0 || ring.droppedSeq === 0 ? 0 : undefined;
  }

  /**
   * Everything retained after sequence number `after` (0: from the start), then live entries,
   * until the log is closed and drained or `signal` aborts.
   */
  async *read(after = 0, signal?: AbortSignal): AsyncGenerator<KeepStreamEvent, void, undefined> {
    let cursor = Math.max(0, Math.floor(after));
    const expected: Record<OutputStream, number | undefined> = {
      stdout: this.#expectedOffset('stdout', cursor),
      stderr: this.#expectedOffset('stderr', cursor),
    };
    for (;;) {
      if (signal?.aborted) return;
      const entry = this.#nextAfter(cursor);
      if (entry === undefined) {
        if (this.#closed) return;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.#waiters.delete(done);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          this.#waiters.add(done);
          signal?.addEventListener('abort', done, { once: true });
        });
        continue;
      }
      cursor = entry.seq;
      if (entry.kind === 'event') {
        yield { ...entry.event, seq: entry.seq };
        continue;
      }
      const want = expected[entry.stream];
      if (want !== undefined && entry.offset > want) yield { type: 'dropped', stream: entry.stream, bytes: entry.offset - want };
      else if (want === undefined && this.#rings[entry.stream].droppedSeq > after) {
        // Resumed past a gap whose size is no longer known.
        yield { type: 'dropped', stream: entry.stream };
      }
      // `entry` is a copy of the chunk: trimming replaces a chunk's bytes, it never changes them.
      const data = entry.data;
      expected[entry.stream] = entry.offset + data.length;
      yield { type: entry.stream, seq: entry.seq, data };
    }
  }
}
