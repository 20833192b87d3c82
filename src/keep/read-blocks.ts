/**
 * The memory the keep reads its control channel into: a few blocks, reused. Node.js otherwise
 * allocates a fresh 64 KiB buffer for every read of a socket, and a sealed package is hundreds of
 * reads. A fresh buffer is costly even when freed at once (free-buffer.ts): each read allocates,
 * and each crosses into JavaScript with a new ArrayBuffer. With Node's `onread` the socket reads
 * straight into the block this class lends it, and the block comes back once the frame decoder is
 * done with every byte in it and the frames that held views of it have been handled.
 *
 * Measured on this project's machine (README, "Delivery"): 26 MiB through a UNIX socket cost the
 * reading process 27–49 ms of CPU in fresh 64 KiB reads, freed at once, and 6–12 ms in reused
 * blocks.
 *
 * A block comes back only through {@link giveBack}, which its owner calls when no view of it is
 * held any more: the handlers of the control channel read their frame's bytes before they settle
 * and keep none of them (keep.ts). A block given back while a view of it was still held would
 * show that view the next read's bytes; everything that crosses this channel in bulk is sealed,
 * so such bytes would fail to authenticate rather than be taken.
 */
import type { OnReadOpts } from 'node:net';

/** Bytes per block: about what a UNIX socket holds, so that one read rarely needs more. */
export const READ_BLOCK_BYTES = 256 * 1024;
/** Blocks kept for reuse; beyond these, a returned block is left to the garbage collector. */
const KEPT_BLOCKS = 12;
/**
 * Reads shorter than this are copied out and their block read into again: a host that sends a
 * frame a byte at a time must not pin a block per byte (at most 4× the bytes held, and those are
 * bounded by the largest frame).
 */
const SMALL_READ_BYTES = READ_BLOCK_BYTES / 4;
/**
 * Bytes read before anyone listens, past which reading stops until someone does: a socket with
 * `onread` reads from its first instant, and its host may send without end.
 */
export const EARLY_MAX_BYTES = 1024 * 1024;

/** A socket's reads, into reused blocks, handed on as views. */
export class ReadBlocks {
  readonly #free: ArrayBuffer[] = [];
  /** The block the socket was last given (a read that found nothing leaves it unused). */
  #lent: Uint8Array | undefined;
  #sink: ((chunk: Buffer) => void) | undefined;
  /** Reads that came before anyone listened (the channel may be open before the keep's code is in). */
  readonly #early: Buffer[] = [];
  #earlyBytes = 0;

  /** For a socket's `onread` option. */
  readonly onread: OnReadOpts = {
    buffer: () => (this.#lent ??= new Uint8Array(this.#free.pop() ?? new ArrayBuffer(READ_BLOCK_BYTES))),
    // False stops reading (the socket's resume() starts it again): only before anyone listens and
    // once EARLY_MAX_BYTES wait; the keep pauses the socket itself while it handles frames.
    callback: (bytes, block) => {
      if (bytes <= 0) return true;
      let chunk: Buffer;
      if (bytes < SMALL_READ_BYTES) {
        chunk = Buffer.from(block.subarray(0, bytes));
      } else {
        this.#lent = undefined;
        chunk = Buffer.from(block.buffer, block.byteOffset, bytes);
      }
      if (this.#sink) {
        this.#sink(chunk);
        return true;
      }
      this.#early.push(chunk);
      this.#earlyBytes += bytes;
      return this.#earlyBytes < EARLY_MAX_BYTES;
    },
  };

  /**
   * Hands every read, from now on and those that came before, to `sink`. Reading may have stopped
   * while nobody listened: the caller resumes its socket.
   */
  listen(sink: (chunk: Buffer) => void): void {
    this.#sink = sink;
    this.#earlyBytes = 0;
    for (const chunk of this.#early.splice(0)) sink(chunk);
  }

  /** Takes back the block of a chunk this class handed on, once nothing holds a view of it. */
  giveBack(chunk: Uint8Array): void {
    const block = chunk.buffer;
    if (block instanceof ArrayBuffer && block.byteLength === READ_BLOCK_BYTES && this.#free.length < KEPT_BLOCKS && !this.#free.includes(block)) this.#free.push(block);
  }
}
