/**
 * Framing of the control channel between a host and a keep process (fd 3 of the keep).
 *
 *   frame   ::= length:u32le  headerLength:u32le  header:JSON(utf-8)  payload:bytes
 *
 * `length` counts everything after itself. The header is a JSON object with a `type`; the payload
 * carries bulk bytes (a module, a sealed package) without any encoding. Both directions are
 * untrusted for the other side, so sizes are bounded before anything is buffered.
 */

/** A decoded frame. */
export interface Frame {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Uint8Array;
}

/** Frames larger than this are refused (a module or package is at most this big). */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024;
/** Headers are small JSON objects. */
export const MAX_HEADER_BYTES = 1024 * 1024;

/** A protocol violation on the control channel. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  readonly code = 'ERR_PROTOCOL';
}

/** Encodes one frame. */
export function encodeFrame(header: Record<string, unknown>, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(8 + h.length + payload.length);
  out.writeUInt32LE(4 + h.length + payload.length, 0);
  out.writeUInt32LE(h.length, 4);
  h.copy(out, 8);
  out.set(payload, 8 + h.length);
  return out;
}

/** Incremental decoder: feed it chunks, get whole frames. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrame = MAX_FRAME_BYTES) {}

  /** Adds a chunk and returns the frames it completed. @throws FrameError on a malformed frame. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32LE(0);
      if (length < 4 || length > this.maxFrame) throw new FrameError(`frame length ${length} out of range`);
      if (this.buffered < 4 + length) break;
      const body = this.take(4 + length).subarray(4);
      const hlen = body.readUInt32LE(0);
      if (hlen > MAX_HEADER_BYTES || hlen > length - 4) throw new FrameError(`header length ${hlen} out of range`);
      let header: unknown;
      try {
        header = JSON.parse(body.subarray(4, 4 + hlen).toString('utf8'));
      } catch (err) {
        throw new FrameError('frame header is not JSON', { cause: err });
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) {
        throw new FrameError('frame header is not a JSON object');
      }
      frames.push({ header: header as Record<string, unknown>, payload: body.subarray(4 + hlen) });
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    return Buffer.concat(this.chunks).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
