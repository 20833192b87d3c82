/**
 * Request bodies of the host agent's HTTP API, read as untrusted input: JSON bounded in size and
 * time, byte streams handed on chunk by chunk, and what is left of a body drained (bounded)
 * before an early answer, so that a client still sending receives it.
 */
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { HostError } from './errors.js';

/** How long a JSON body may take to arrive: 10 s. */
export const JSON_BODY_TIMEOUT_MS = 10_000;

/**
 * The request body as chunks. A consumer that stops early leaves the rest unread (not
 * cancelled): the error path drains a bounded remainder so that its answer arrives intact.
 */
export async function* bodyChunks(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array, void, undefined> {
  if (body === null) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * A streamed request body as chunks. On @hono/node-server, the Node.js request itself: its Buffers
 * as they come (its web-stream form copies every chunk into a new Uint8Array). Otherwise (hono's
 * own test requests) the web stream, through {@link bodyChunks}. Either way a consumer that stops
 * early leaves the rest unread, for the error path to drain.
 */
export function requestBody(c: Context): AsyncIterable<Uint8Array> {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (incoming instanceof Readable) return nodeBody(incoming);
  return bodyChunks(c.req.raw.body);
}

async function* nodeBody(incoming: Readable): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of incoming.iterator({ destroyOnReturn: false })) yield chunk as Uint8Array;
}

/** An error answer reads at most this much of an unread request body before it is sent. */
const DRAIN_BYTES = 1024 * 1024;
/** ... and waits at most this long for it. */
const DRAIN_MS = 1000;

/**
 * Before an early answer: reads and drops what is left of the request body, up to
 * {@link DRAIN_BYTES} within {@link DRAIN_MS}, so that the client (still sending) reliably
 * receives the answer; past that, the connection is closed after the answer.
 */
export async function settleBody(c: Context): Promise<void> {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return;
  const body = c.req.raw.body;
  if (body === null) return;
  if (body.locked) {
    c.header('Connection', 'close');
    return;
  }
  const reader = body.getReader();
  const deadline = Date.now() + DRAIN_MS;
  let read = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      const left = deadline - Date.now();
      const next = await Promise.race([
        reader.read(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), Math.max(0, left));
        }),
      ]);
      clearTimeout(timer);
      if (next === 'timeout') break;
      if (next.done) return;
      read += next.value.length;
      if (read > DRAIN_BYTES) break;
    }
  } catch {
    // The body failed (client gone): nothing to drain.
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  c.header('Connection', 'close');
}

/** The request's Content-Length, if it sent one. @throws HostError ERR_BAD_REQUEST when malformed */
export function declaredLength(c: Context): number | undefined {
  const v = c.req.header('content-length');
  if (v === undefined) return undefined;
  if (!/^\d{1,16}$/.test(v)) throw new HostError('ERR_BAD_REQUEST', 'bad Content-Length');
  return Number(v);
}

/** The request's media type, lower case, without parameters. */
export function mediaType(c: Context): string | undefined {
  return c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
}

/**
 * Reads a JSON body of at most `maxBytes` that arrives within {@link JSON_BODY_TIMEOUT_MS}.
 * @throws HostError ERR_BAD_REQUEST, ERR_TOO_LARGE, ERR_REQUEST_TIMEOUT
 */
export async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const type = mediaType(c);
  if (type !== undefined && type !== 'application/json') throw new HostError('ERR_BAD_REQUEST', `expected application/json, got ${type}`);
  const body = await readBytes(c, maxBytes, 'JSON bodies');
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as unknown;
  } catch {
    throw new HostError('ERR_BAD_REQUEST', 'the body is not valid JSON');
  }
}

/**
 * Reads a whole body of at most `maxBytes` that arrives within {@link JSON_BODY_TIMEOUT_MS}
 * (`what` names such bodies in errors).
 * @throws HostError ERR_BAD_REQUEST, ERR_TOO_LARGE, ERR_REQUEST_TIMEOUT
 */
export async function readBytes(c: Context, maxBytes: number, what = 'bodies'): Promise<Uint8Array> {
  const declared = declaredLength(c);
  if (declared !== undefined && declared > maxBytes) throw new HostError('ERR_TOO_LARGE', `${what} are at most ${maxBytes} bytes`);
  const parts: Uint8Array[] = [];
  let total = 0;
  const deadline = Date.now() + JSON_BODY_TIMEOUT_MS;
  const chunks = bodyChunks(c.req.raw.body);
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      chunks.next(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
      }),
    ]).finally(() => clearTimeout(timer));
    if (next === 'timeout') throw new HostError('ERR_REQUEST_TIMEOUT', `the body did not arrive within ${JSON_BODY_TIMEOUT_MS / 1000} s`);
    if (next.done) break;
    total += next.value.length;
    if (total > maxBytes) throw new HostError('ERR_TOO_LARGE', `${what} are at most ${maxBytes} bytes`);
    parts.push(next.value);
  }
  return new Uint8Array(Buffer.concat(parts));
}
