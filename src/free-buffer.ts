/**
 * Giving a buffer's memory back at once instead of at the next garbage collection, for bulk
 * data that passes through a process (a sealed package: the channel's reads, the decrypted
 * pieces). Node.js allocates every read and every cipher output afresh; freed at once, the next
 * one of its size gets the same memory, already in the process's pages. Left to the collector,
 * each is new memory, and a fresh page is costly to touch: in a virtual machine each one faults
 * to the hypervisor (26 MiB of them took ~70 ms on the machine of README's benchmarks, more than
 * decrypting and hashing them), and a confidential VM also accepts every new page it is given.
 */

type TransferableBuffer = ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };

/**
 * Frees `b`'s memory now when `b` is the whole of an ArrayBuffer (never a slice of a pool), by
 * detaching it (ES2024 `ArrayBuffer.prototype.transfer`): every view of it becomes empty. Only for
 * buffers nothing else holds. Without `transfer` (Node.js 20) it is left to the collector.
 */
export function freeBuffer(b: Uint8Array): void {
  const ab = b.buffer as TransferableBuffer;
  if (typeof ab.transfer === 'function' && b.byteOffset === 0 && ab.byteLength === b.byteLength && b.byteLength > 0) ab.transfer(0);
}
