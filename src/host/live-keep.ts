/**
 * The runtime side of one keep a host agent runs: its process, the log of what it said (sealed
 * records, opaque here), and its life as the host sees it. The keep's sealed outcome ends it at
 * once (`ended`); a process that dies without one `failed`; the host's own verdicts (`killed`,
 * `expired`, `failed`) kill the process. Whatever comes first is final: the store's updates are
 * conditional on the keep being live.
 */
import type { BoundPort } from '../protocol/sockets.js';
import type { HostLogValue } from './log.js';
import type { KeepEnd, KeepProcess } from './keep-process.js';
import { verdictOf } from './keep-records.js';
import type { KeepPatch, KeepRecord } from './store.js';
import { StreamLog } from './stream-log.js';
import type { KeepState } from '../protocol/names.js';
import { RecordKind } from '../protocol/records.js';

/** One keep's record in the host's store, and the host's log, as a live keep uses them. */
export interface KeepBook {
  /** Updates the keep's record if its state is one of `from` (default: live); true when it changed. */
  update(patch: KeepPatch, from?: readonly KeepState[]): boolean;
  /** The keep's record now. */
  record(): KeepRecord | undefined;
  /** Writes one event to the host's log. */
  log(event: string, fields: Record<string, HostLogValue>): void;
}

/** A host verdict's state. */
export type HostVerdict = 'killed' | 'expired' | 'failed';

/** A keep a host runs. */
export class LiveKeep {
  readonly log: StreamLog;
  /** Resolves once the keep has ended and its record and log are final. */
  readonly ended: Promise<void>;
  #resolveEnded!: () => void;
  #settled = false;
  readonly #endWaiters = new Set<() => void>();
  /** The host's verdict, when the host ended it. */
  endedBy: HostVerdict | undefined;
  /** A package (or an input stream) is being forwarded. */
  delivering = false;
  inputOpen = false;
  /** The addresses its listen sockets are bound to, once the keep has said. */
  ports: readonly BoundPort[] | undefined;
  expiry: NodeJS.Timeout | undefined;
  retention: NodeJS.Timeout | undefined;

  /**
   * @param memoryBytes what the keep holds of the host's memory quota
   * @param onSettled told once the keep has ended (the host frees its quota, keeps its log a while)
   */
  constructor(
    readonly id: string,
    readonly tenant: string,
    readonly process: KeepProcess,
    readonly memoryBytes: number,
    private readonly book: KeepBook,
    retainBytes: number,
    private readonly onSettled: (k: LiveKeep) => void,
  ) {
    this.log = new StreamLog(retainBytes);
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    process.listener = { onRecord: (r) => this.#onRecord(r), onStarted: () => this.#onStarted(), onInputWanted: () => this.log.appendEvent({ type: 'input-wanted' }),
      onListening: (ports) => {
        this.ports = Object.freeze(ports.map((p) => Object.freeze({ address: p.address, port: p.port })));
        this.book.log('keep.listening', { keep: this.id, ports: this.ports.map((p) => `${p.address}:${p.port}`).join(' ') });
      },
    };
    process.done.then(
      (end) => this.#settle(end, `status ${end.status ?? end.signal ?? 'unknown'}`),
      (err: unknown) => this.#settle({ sealedOutcome: false, failure: undefined, status: null, signal: null }, `spawn failed: ${(err as Error).message}`),
    );
  }

  /** True once the keep's end is recorded. */
  get settled(): boolean {
    return this.#settled;
  }

  /**
   * `p`, or `onEnd()` if the keep ends first. Unlike a race with {@link ended}, nothing is left
   * attached to the keep once `p` settles (a long upload does not pile up reactions, nor hold on
   * to what each step resolved with).
   */
  orEnded<T, E>(p: Promise<T>, onEnd: () => E): Promise<T | E> {
    if (this.#settled) return Promise.resolve(onEnd());
    return new Promise<T | E>((resolve, reject) => {
      const ended = (): void => resolve(onEnd());
      this.#endWaiters.add(ended);
      p.then(resolve, reject).finally(() => this.#endWaiters.delete(ended));
    });
  }

  #onRecord(record: Uint8Array): void {
    this.log.appendRecord(record);
    if (record[4] === RecordKind.OUTCOME) {
      // The sealed outcome is the keep's last word: it stands now, not once the process has
      // torn itself down, and the ending process no longer holds this one.
      this.#settle({ sealedOutcome: true, failure: undefined, status: null, signal: null }, 'outcome sent');
      this.process.release();
      return;
    }
    // A follower has not read what the log holds: the keep waits until it has.
    if (this.log.full) {
      this.process.pause();
      void this.log.room().then(() => this.process.resume());
    }
  }

  #onStarted(): void {
    if (this.book.update({ state: 'running', expiresAt: null }, ['attested'])) {
      this.log.appendEvent({ type: 'state', state: 'running' });
      this.book.log('keep.state', { keep: this.id, state: 'running' });
    }
  }

  /** Moves `attested` → `running` once its package is in. */
  markRunning(packageBytes: number): void {
    const running = this.book.update({ state: 'running', packageBytes, expiresAt: null }, ['attested']);
    if (running) this.log.appendEvent({ type: 'state', state: 'running' });
    else this.book.update({ packageBytes }, ['running']);
  }

  /** Records a verdict of the host's and kills the process; true when the verdict stood. */
  end(state: HostVerdict, patch: Omit<KeepPatch, 'state'> = {}): boolean {
    clearTimeout(this.expiry);
    const changed = this.book.update({ ...patch, state });
    if (changed) {
      this.endedBy = state;
      this.book.log('keep.state', { keep: this.id, state, code: patch.errorCode ?? null });
    }
    this.process.kill();
    return changed;
  }

  #settle(end: KeepEnd, how: string): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.expiry);
    const { state, patch } = verdictOf(end, how);
    const written = this.log.written;
    const changed = this.book.update({ ...patch, state, outputRecords: written.records, outputBytes: written.bytes });
    if (!changed) this.book.update({ outputRecords: written.records, outputBytes: written.bytes }, [this.book.record()?.state ?? state]);
    const rec = this.book.record();
    const final = rec?.state ?? this.endedBy ?? state;
    if (changed) this.book.log('keep.state', { keep: this.id, state, code: patch.errorCode ?? null });
    if (rec?.errorCode !== undefined && final !== 'ended') {
      this.log.appendEvent({ type: 'error', code: rec.errorCode, message: rec.errorMessage ?? '' });
    }
    this.log.appendEvent({ type: 'state', state: final });
    this.log.close();
    this.book.log('keep.ended', { keep: this.id, state: final, records: written.records, bytes: written.bytes });
    this.onSettled(this);
    this.#resolveEnded();
    for (const w of [...this.#endWaiters]) w();
    this.#endWaiters.clear();
  }
}
