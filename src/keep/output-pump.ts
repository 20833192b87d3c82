/**
 * The keep's output path: takes the workload's output from the ring its worker writes
 * (runtime/stdio-ring.ts), seals it into output records for the client, and hands them to the
 * channel, waiting whenever the channel is full (so a slow client slows the workload instead of
 * filling this process's memory). A busy workload fills records of up to 64 KiB; a quiet one gets
 * each write sealed as soon as it happens.
 */
import { RecordKind, MAX_RECORD_PLAINTEXT } from '../protocol/records.js';
import type { RecordSealer } from '../crypto/session.js';
import { freeBuffer } from '../free-buffer.js';
import type { OutputReader } from '../runtime/stdio-ring.js';

/**
 * Sends one sealed record (in pieces); resolves when the channel can take more. `written`, if
 * given, is told once the channel is done with the pieces.
 */
export type SendRecord = (record: readonly Uint8Array[], written?: () => void) => Promise<void>;

/** Drains an output ring into sealed records until the worker has closed it. */
export class OutputPump {
  readonly #done: Promise<void>;
  /** Wakes the pump's current wait (set while it waits). */
  #wake: (() => void) | undefined;
  #stopping = false;

  constructor(
    private readonly ring: OutputReader,
    private readonly sealer: RecordSealer,
    private readonly send: SendRecord,
  ) {
    this.#done = this.#run();
    this.#done.catch(() => {});
  }

  async #run(): Promise<void> {
    for (;;) {
      // Read before the take: the writer closes after its last write, so once this is true the
      // take sees everything (read after it, a write and the close could fall in between).
      const ended = this.ring.writerClosed || this.#stopping;
      // Sealed at once: the batch is the ring's scratch space, valid until the next take.
      const batch = this.ring.take(MAX_RECORD_PLAINTEXT);
      if (batch !== undefined) {
        const parts = this.sealer.sealParts(RecordKind.OUTPUT, batch);
        // Ours alone: freed once sent, the next record's ciphertext reuses their memory
        // (free-buffer.ts; 100 MiB of output: 0.95–0.96× the time).
        await this.send(parts, () => parts.forEach(freeBuffer));
        continue;
      }
      if (ended) return;
      // Woken by new output, or by finish(): one wait at a time, nothing left behind.
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        void this.ring.wait().then(resolve);
      });
      this.#wake = undefined;
    }
  }

  /**
   * Resolves once everything the worker put in the ring is sealed and sent. Call it when the
   * worker has ended (closed its end, or been terminated): what it left is drained, then it stops.
   */
  finish(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    return this.#done;
  }
}
