/**
 * What one keep said, for replay and live streaming: its sealed records (opaque: the agent never
 * holds plaintext) within a byte budget, and its few lifecycle events (state changes, failures in
 * the host's words). Every entry gets a sequence number; a reader is a cursor into the log.
 *
 * Over its budget, the log drops its oldest records, unless a reader that follows the keep has
 * not read them yet: then it asks the producer to wait ({@link StreamLog.full}) until that reader
 * catches up. A client that follows its keep loses nothing (a slow one slows the workload); one
 * that comes late is told what it missed (`dropped`). Lifecycle events are never dropped.
 */
import type { KeepStreamEvent } from '../protocol/http.js';
import type { KeepState } from '../protocol/names.js';

/** A lifecycle event to append (the log assigns its sequence number). */
export type LifecycleEvent =
  | { readonly type: 'state'; readonly state: KeepState }
  | { readonly type: 'input-wanted' }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** Default record budget per keep: 1 MiB. */
export const DEFAULT_RETAINED_OUTPUT_BYTES = 1024 * 1024;

interface RecordEntry {
  readonly seq: number;
  readonly record: Uint8Array;
}
interface EventEntry {
  readonly seq: number;
  readonly event: LifecycleEvent;
}

/** Totals of records. */
export interface RecordCount {
  readonly records: number;
  readonly bytes: number;
}

/** One reader's position. */
interface Cursor {
  seq: number;
}

/** A keep's records and events, bounded. */
export class StreamLog {
  readonly #cap: number;
  /** Retained records from #head on (older slots are freed and compacted now and then). */
  readonly #records: RecordEntry[] = [];
  #head = 0;
  readonly #events: EventEntry[] = [];
  #seq = 0;
  #retained = 0;
  #written = { records: 0, bytes: 0 };
  #dropped = { records: 0, bytes: 0 };
  #closed = false;
  readonly #waiters = new Set<() => void>();
  readonly #followers = new Set<Cursor>();
  #roomWaiters: (() => void)[] = [];

  /** @param cap bytes of records retained (≥ 1) */
  constructor(cap: number = DEFAULT_RETAINED_OUTPUT_BYTES) {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new TypeError('cap must be a positive integer');
    this.#cap = cap;
  }

  /** True once {@link close} was called: nothing more will be appended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Every record ever appended. */
  get written(): RecordCount {
    return { ...this.#written };
  }

  /** Records dropped to stay within the budget. */
  get dropped(): RecordCount {
    return { ...this.#dropped };
  }

  /** True when the producer should wait: over budget, and a follower still needs the oldest record. */
  get full(): boolean {
    return this.#retained > this.#cap && !this.#closed;
  }

  /** Resolves once the log is no longer {@link full}. */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Appends a sealed record. Ignored after {@link close}. */
  appendRecord(record: Uint8Array): void {
    if (this.#closed) return;
    this.#records.push({ seq: ++this.#seq, record });
    this.#written.records++;
    this.#written.bytes += record.length;
    this.#retained += record.length;
    this.#trim();
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
    this.#releaseRoom();
  }

  /** Frees every retained record (readers then see lifecycle events only) and closes the log. */
  discardRecords(): void {
    this.#trim(0);
    this.close();
  }

  /** Drops the oldest records while over `cap`, but never one a follower has not read. */
  #trim(cap = this.#cap): void {
    let needed = Infinity;
    if (cap > 0) for (const f of this.#followers) needed = Math.min(needed, f.seq);
    while (this.#retained > cap && this.#head < this.#records.length) {
      const r = this.#records[this.#head]!;
      if (r.seq > needed) break;
      this.#retained -= r.record.length;
      this.#dropped.records++;
      this.#dropped.bytes += r.record.length;
      // Freed now (the slot goes at the next compaction): no reader looks below the head.
      this.#records[this.#head] = { seq: r.seq, record: FREED };
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#records.length) {
      this.#records.splice(0, this.#head);
      this.#head = 0;
    }
    if (!this.full) this.#releaseRoom();
  }

  #releaseRoom(): void {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const w of waiters) w();
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  /** The retained entry with the smallest seq greater than `after`, if any. */
  #nextAfter(after: number): RecordEntry | EventEntry | undefined {
    const r = this.#records[firstAfter(this.#records, this.#head, after)];
    const e = this.#events[firstAfter(this.#events, 0, after)];
    if (r === undefined) return e;
    return e === undefined || r.seq < e.seq ? r : e;
  }

  /**
   * Everything retained after sequence number `after` (0: from the start), then live entries,
   * until the log is closed and read to its end or `signal` aborts. A reader that started where
   * records were dropped is told so first (`dropped`: what the log dropped before its oldest
   * record). While it reads, a `follow`ing reader holds back the records it has not read yet.
   */
  async *read(after = 0, signal?: AbortSignal, follow = true): AsyncGenerator<KeepStreamEvent, void, undefined> {
    const cursor: Cursor = { seq: Math.max(0, Math.floor(after)) };
    if (follow) this.#followers.add(cursor);
    try {
      const firstRecord = this.#records[this.#head];
      if (this.#dropped.records > 0 && (firstRecord === undefined || cursor.seq < firstRecord.seq - 1)) {
        yield { type: 'dropped', records: this.#dropped.records, bytes: this.#dropped.bytes };
      }
      for (;;) {
        if (signal?.aborted) return;
        const e = this.#nextAfter(cursor.seq);
        if (e === undefined) {
          if (this.#closed) return;
          await this.#next(signal);
          continue;
        }
        cursor.seq = e.seq;
        // This reader has read more: what it held back may go now.
        if (this.#retained > this.#cap) this.#trim();
        yield 'record' in e ? { type: 'record', seq: e.seq, record: e.record } : { ...e.event, seq: e.seq };
      }
    } finally {
      this.#followers.delete(cursor);
      if (this.#retained > this.#cap) this.#trim();
    }
  }

  #next(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** What a dropped record's slot holds until it is compacted away. */
const FREED = new Uint8Array(0);

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
