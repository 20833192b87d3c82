/**
 * The keep's worker waits here for anything its main thread changes on the workload's behalf:
 * data or room in a socket ring, a new connection, a closed stream, stdin. `poll_oneoff` over
 * many descriptors cannot wait on each one's ring, so every main-thread change that a poll
 * could be waiting for also rings this one bell.
 *
 *   cells (Int32): EPOCH (changes at every ring) · WAITS (1 while the worker sleeps on EPOCH)
 *
 * The worker reads EPOCH, looks at what it waits for, and sleeps only while EPOCH still holds
 * what it read; the main thread moves EPOCH first and notifies only when the worker sleeps. A
 * ring cannot be lost (the sleep does not start if EPOCH moved) and costs one atomic add when
 * nobody waits.
 */

import type { Waiter } from '../wasi/fs/types.js';

const EPOCH = 0;
const WAITS = 1;
const CELLS = 2;

/** Both sides' view of the bell. */
export class Doorbell implements Waiter {
  readonly #cells: Int32Array;

  /** Shared memory for one bell. */
  static memory(): SharedArrayBuffer {
    return new SharedArrayBuffer(CELLS * 4);
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#cells = new Int32Array(buffer, 0, CELLS);
  }

  /** Main thread: something changed; wakes the worker if it sleeps. */
  ring(): void {
    Atomics.add(this.#cells, EPOCH, 1);
    if (Atomics.load(this.#cells, WAITS) !== 0) Atomics.notify(this.#cells, EPOCH);
  }

  epoch(): number {
    return Atomics.load(this.#cells, EPOCH);
  }

  /** Worker: sleeps until the bell rings after `seen` was read (at most `timeoutMs`). */
  wait(seen: number, timeoutMs: number): void {
    Atomics.store(this.#cells, WAITS, 1);
    Atomics.wait(this.#cells, EPOCH, seen, timeoutMs);
    Atomics.store(this.#cells, WAITS, 0);
  }
}
