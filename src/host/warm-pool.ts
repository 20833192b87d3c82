/**
 * Keep processes booted ahead of need: a keep taken from the pool skips the engine's start-up.
 * Spares hold nothing (no key, no package) until a keep is created from them.
 */
import type { KeepProcess } from './keep-process.js';

/** A pool of waiting keep processes. */
export class WarmPool {
  #spares: KeepProcess[] = [];
  #closed = false;

  /** `spawn` starts one keep process; the pool keeps `size` of them waiting. */
  constructor(
    private readonly spawn: () => KeepProcess,
    private readonly size: number,
    initial: readonly KeepProcess[] = [],
  ) {
    this.#spares.push(...initial);
  }

  /** A spare that is still alive, if one is waiting; starts its replacement. */
  take(): KeepProcess | undefined {
    let spare: KeepProcess | undefined;
    while (!spare && this.#spares.length > 0) {
      const s = this.#spares.shift()!;
      if (s.alive) spare = s;
    }
    queueMicrotask(() => this.refill());
    return spare;
  }

  /** Starts keep processes until `size` are waiting. */
  refill(): void {
    while (!this.#closed && this.#spares.length < this.size) {
      const s = this.spawn();
      this.#spares.push(s);
      // A spare that dies while waiting is dropped (and replaced on the next take).
      void s.done.then(
        () => {
          this.#spares = this.#spares.filter((x) => x !== s);
        },
        () => {},
      );
    }
  }

  /** Kills every waiting spare and stops refilling. */
  close(): void {
    this.#closed = true;
    for (const s of this.#spares) s.kill();
    this.#spares = [];
  }
}
