/**
 * The keep's worker thread starts before the main thread's code is loaded (entry.ts), so it
 * can report (`ready`, or fail) before anyone listens; Node drops a worker's events that have
 * no listener. This holds them from the moment the worker exists until the main thread takes
 * over, then hands them over in order.
 */
import type { Worker } from 'node:worker_threads';

/** What a keep's worker can say. */
export type WorkerEvent = { readonly type: 'message'; readonly value: unknown } | { readonly type: 'error'; readonly error: Error } | { readonly type: 'exit'; readonly code: number };

/** The events of one worker, held until a handler is set. */
export class WorkerEvents {
  readonly #held: WorkerEvent[] = [];
  #handler: ((e: WorkerEvent) => void) | undefined;

  constructor(readonly worker: Worker) {
    worker.on('message', (value: unknown) => this.#deliver({ type: 'message', value }));
    worker.on('error', (error: Error) => this.#deliver({ type: 'error', error }));
    worker.on('exit', (code: number) => this.#deliver({ type: 'exit', code }));
  }

  /** Sets the handler: it gets the held events at once, in order, then each as it comes. */
  handle(handler: (e: WorkerEvent) => void): void {
    this.#handler = handler;
    for (const e of this.#held.splice(0)) handler(e);
  }

  #deliver(e: WorkerEvent): void {
    if (this.#handler) this.#handler(e);
    else this.#held.push(e);
  }
}
