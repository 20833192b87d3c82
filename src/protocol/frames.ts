/**
 * Framing of the control channel between a host and a keep process (fd 3 of the keep, or the
 * socket an early keep connects to); control.ts says what the frames carry.
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
  /** The payload in one buffer: a view of the chunk it arrived in, or, when it spans chunks, a copy made on first use. */
  readonly payload: Uint8Array;
  /** The payload as views of the chunks it arrived in, in order: never a copy (for consumers that take pieces). */
  readonly parts: readonly Uint8Array[];
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

/** What {@link writeFrameThen} writes to (a socket). */
export interface FrameSink {
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array, written?: () => void): boolean;
}

/**
 * Writes one frame to `sink` without copying its payload (the header, then the payload's pieces
 * as they are). Returns what the sink's last write returned: false when it wants the writer to
 * wait for 'drain'. `written`, if given, is told once the sink is done with the frame's bytes (its
 * last write's callback: the sink writes in order), so that the caller may reuse or free them.
 */
export function writeFrameThen(sink: FrameSink, header: Record<string, unknown>, payload: readonly Uint8Array[], written?: () => void): boolean {
  const size = payload.reduce((n, p) => n + p.length, 0);
  if (size === 0) return sink.write(encodeFrame(header), written);
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.allocUnsafe(8 + h.length);
  head.writeUInt32LE(4 + h.length + size, 0);
  head.writeUInt32LE(h.length, 4);
  h.copy(head, 8);
  let last = payload.length - 1;
  while (payload[last]!.length === 0) last--;
  sink.cork();
  let more = sink.write(head);
  for (let i = 0; i <= last; i++) if (payload[i]!.length > 0) more = sink.write(payload[i]!, i === last ? written : undefined);
  sink.uncork();
  return more;
}

/**
 * Incremental decoder: feed it chunks, get whole frames. A frame's payload is a list of views of
 * the chunks it arrived in (Frame.parts), copied into one buffer only if someone asks for
 * Frame.payload; the header is copied only when it spans chunks.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private offset = 0;
  private buffered = 0;

  /**
   * @param onConsumed told of each chunk once this decoder has wholly consumed it and holds it no
   *   more (the frames it returned may still hold views of it until they are handled)
   */
  constructor(
    private readonly maxFrame = MAX_FRAME_BYTES,
    private readonly onConsumed?: (chunk: Buffer) => void,
  ) {}

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
      frames.push(parseBody(split(this.take(4 + length), 4)[1]));
    }
    return frames;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= 4) return first.readUInt32LE(this.offset);
    const head = Buffer.alloc(4);
    let filled = 0;
    for (let i = 0, offset = this.offset; filled < 4; i++, offset = 0) {
      const c = this.chunks[i]!;
      filled += c.copy(head, filled, offset, Math.min(c.length, offset + 4 - filled));
    }
    return head.readUInt32LE(0);
  }

  /** The next `n` bytes, consumed, as views of the chunks they lie in. */
  private take(n: number): Buffer[] {
    const views: Buffer[] = [];
    while (n > 0) {
      const first = this.chunks[0]!;
      const k = Math.min(n, first.length - this.offset);
      views.push(first.subarray(this.offset, this.offset + k));
      this.offset += k;
      this.buffered -= k;
      n -= k;
      if (this.offset === first.length) {
        this.chunks.shift();
        this.offset = 0;
        this.onConsumed?.(first);
      }
    }
    return views;
  }
}

/** `views` cut after `n` bytes (views of views, no copy). */
function split(views: readonly Buffer[], n: number): [Buffer[], Buffer[]] {
  const head: Buffer[] = [];
  const tail: Buffer[] = [];
  for (const v of views) {
    if (n >= v.length) head.push(v);
    else if (n > 0) {
      head.push(v.subarray(0, n));
      tail.push(v.subarray(n));
    } else tail.push(v);
    n = Math.max(0, n - v.length);
  }
  return [head, tail];
}

/** One buffer of `views`: the view itself when there is one, else a copy. */
function joined(views: readonly Buffer[]): Buffer {
  return views.length === 1 ? views[0]! : Buffer.concat(views);
}

/** A frame whose payload is joined only when asked for. */
class DecodedFrame implements Frame {
  #payload: Uint8Array | undefined;

  constructor(
    readonly header: Readonly<Record<string, unknown>>,
    readonly parts: readonly Buffer[],
  ) {}

  get payload(): Uint8Array {
    return (this.#payload ??= joined(this.parts));
  }
}

/** A frame's body (after its length), as views: header length, header, payload. */
function parseBody(body: Buffer[]): Frame {
  const [lenViews, rest] = split(body, 4);
  const hlen = joined(lenViews).readUInt32LE(0);
  const size = body.reduce((n, v) => n + v.length, 0);
  if (hlen > MAX_HEADER_BYTES || hlen > size - 4) throw new FrameError(`header length ${hlen} out of range`);
  const [headerViews, payload] = split(rest, hlen);
  let header: unknown;
  try {
    header = JSON.parse(joined(headerViews).toString('utf8'));
  } catch (err) {
    throw new FrameError('frame header is not JSON', { cause: err });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new FrameError('frame header is not a JSON object');
  }
  return new DecodedFrame(header as Record<string, unknown>, payload);
}
