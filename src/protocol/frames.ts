/**
 * Framing of the control channel between a host and a keep process (fd 3 of the keep, or the
 * socket an early keep listens on); control.ts says what the frames carry.
 *
 *   frame   ::= length:u32le  headerLength:u32le  header:JSON(utf-8)  payload:bytes
 *
 * `length` counts everything after itself. The header is a JSON object with a `type`; the payload
 * carries bulk bytes (a module, a sealed package) without any encoding. Both directions are
 * untrusted for the other side, so sizes are bounded before anything is buffered.
 */
import { CodedError } from '../errors.js';

/** A decoded frame. */
export interface Frame {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Uint8Array;
}

/** Frames larger than this are refused: a package slice or a sealed record, plus its header. */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;
/** Headers are small JSON objects. */
export const MAX_HEADER_BYTES = 64 * 1024;

/** A protocol violation on the control channel. */
export class FrameError extends CodedError<'ERR_PROTOCOL'> {
  override readonly name = 'FrameError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PROTOCOL', message, options);
  }
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

/** What {@link writeFrame} writes to (a socket). */
export interface FrameSink {
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array): boolean;
}

/**
 * Writes one frame to `sink` without copying its payload (the header, then the payload's pieces
 * as they are). Returns what the sink's last write returned: false when it wants the writer to
 * wait for 'drain'.
 */
export function writeFrame(sink: FrameSink, header: Record<string, unknown>, ...payload: Uint8Array[]): boolean {
  const size = payload.reduce((n, p) => n + p.length, 0);
  if (size === 0) return sink.write(encodeFrame(header));
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.allocUnsafe(8 + h.length);
  head.writeUInt32LE(4 + h.length + size, 0);
  head.writeUInt32LE(h.length, 4);
  h.copy(head, 8);
  sink.cork();
  let more = sink.write(head);
  for (const p of payload) if (p.length > 0) more = sink.write(p);
  sink.uncork();
  return more;
}

/**
 * Incremental decoder: feed it chunks, get whole frames. A frame inside one chunk is a view of it
 * (no copy); one spanning chunks is copied once, into a buffer of its own size.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private offset = 0;
  private buffered = 0;

  constructor(private readonly maxFrame = MAX_FRAME_BYTES) {}

  /** Adds a chunk and returns the frames it completed. @throws FrameError on a malformed frame. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const length = this.peekLength();
      if (length < 4 || length > this.maxFrame) throw new FrameError(`frame length ${length} out of range`);
      if (this.buffered < 4 + length) break;
      frames.push(parseBody(this.take(4 + length).subarray(4)));
    }
    return frames;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= 4) return first.readUInt32LE(this.offset);
    const head = Buffer.alloc(4);
    this.copy(head, 4, false);
    return head.readUInt32LE(0);
  }

  /** The next `n` bytes, consumed: a view when they lie in one chunk, else a copy. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length - this.offset >= n) {
      out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
      if (this.offset === first.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    } else {
      out = Buffer.allocUnsafe(n);
      this.copy(out, n, true);
    }
    this.buffered -= n;
    return out;
  }

  /** Copies the next `n` bytes into `dst`, consuming them when `consume`. */
  private copy(dst: Buffer, n: number, consume: boolean): void {
    let filled = 0;
    let i = 0;
    let offset = this.offset;
    while (filled < n) {
      const c = this.chunks[i]!;
      const k = Math.min(n - filled, c.length - offset);
      c.copy(dst, filled, offset, offset + k);
      filled += k;
      offset += k;
      if (offset === c.length) {
        i++;
        offset = 0;
      }
    }
    if (consume) {
      this.chunks.splice(0, i);
      this.offset = offset;
    }
  }
}

/** A frame's body (after its length): header length, header, payload. */
function parseBody(body: Buffer): Frame {
  const hlen = body.readUInt32LE(0);
  if (hlen > MAX_HEADER_BYTES || hlen > body.length - 4) throw new FrameError(`header length ${hlen} out of range`);
  let header: unknown;
  try {
    header = JSON.parse(body.subarray(4, 4 + hlen).toString('utf8'));
  } catch (err) {
    throw new FrameError('frame header is not JSON', { cause: err });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new FrameError('frame header is not a JSON object');
  }
  return { header: header as Record<string, unknown>, payload: body.subarray(4 + hlen) };
}
