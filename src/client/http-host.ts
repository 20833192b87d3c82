/**
 * A remote host agent, over its HTTP API: requests encoded and answers checked with the wire
 * contract's own definitions (protocol/http.ts), the ones the agent uses. Everything the host
 * says is untrusted: answers are size-bounded and checked, events too, and the evidence it
 * relays is only believed after verification (verify-keep.ts).
 */
import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';
import type { HostApi, KeepEventsOptions } from '../protocol/host-api.js';
import {
  MAX_JSON_RESPONSE_BYTES,
  ROUTES,
  SEALED_INPUT_MEDIA_TYPE,
  SEALED_PACKAGE_MEDIA_TYPE,
  checkCreatedKeep,
  checkErrorBody,
  checkKeepInfo,
  checkKeepList,
  decodeStreamEvent,
  encodeCreateKeepRequest,
  routePath,
} from '../protocol/http.js';
import type { CreateKeepRequest, CreatedKeep, KeepInfo, KeepStreamEvent, Route } from '../protocol/http.js';
import { MAX_RECORD_BYTES } from '../protocol/records.js';
import { ValidationError, validate } from '../protocol/validate.js';
import type { Check } from '../protocol/validate.js';
import { HostApiError } from './errors.js';

/** A request's body: JSON, or a stream of bytes of a media type. */
type Body = { readonly json: unknown } | { readonly stream: AsyncIterable<Uint8Array>; readonly type: string };

/** The client of one host agent. */
export class HttpHost implements HostApi {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string | undefined,
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new TypeError(`not a URL: '${url}'`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`host URL must be http(s): '${url}'`);
    this.base = u.href.replace(/\/$/, '');
  }

  private async request(route: Route, id: string | undefined, body?: Body, signal?: AbortSignal, query = ''): Promise<Response> {
    const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
    let init: RequestInit & { duplex?: 'half' } = { method: route.method, headers, ...(signal ? { signal } : {}) };
    if (body && 'json' in body) init = { ...init, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body.json) };
    else if (body) init = { ...init, headers: { ...headers, 'content-type': body.type }, body: toStream(body.stream), duplex: 'half' };
    let res: Response;
    try {
      res = await fetch(this.base + routePath(route, id) + query, init);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new HostApiError('ERR_HOST_UNREACHABLE', `cannot reach the host at ${this.base}: ${(err as Error).message}`, undefined, { cause: err });
    }
    if (res.status !== route.status) {
      const answer = validate(checkErrorBody, await readJson(res).catch(() => undefined));
      if (answer.ok) throw new HostApiError(answer.value.error.code as HostApiError['code'], `host: ${answer.value.error.message}`, res.status);
      throw new HostApiError(res.ok ? 'ERR_HOST_PROTOCOL' : `ERR_HTTP_${res.status}`, `host: HTTP ${res.status} ${res.statusText}`, res.status);
    }
    return res;
  }

  private async answer<T>(res: Response, check: Check<T>, what: string): Promise<T> {
    const r = validate(check, await readJson(res));
    if (!r.ok) throw new HostApiError('ERR_HOST_PROTOCOL', `the host's answer to ${what} is malformed: ${r.message}`);
    return r.value;
  }

  async createKeep(req: CreateKeepRequest): Promise<CreatedKeep> {
    if (req.preopens?.length) throw new TypeError('a remote host cannot lend host directories');
    const res = await this.request(ROUTES.createKeep, undefined, { json: encodeCreateKeepRequest(req) });
    return this.answer(res, checkCreatedKeep, 'create a keep');
  }

  async deliverPackage(id: string, sealed: AsyncIterable<Uint8Array>): Promise<void> {
    const res = await this.request(ROUTES.deliverPackage, id, { stream: sealed, type: SEALED_PACKAGE_MEDIA_TYPE });
    await res.body?.cancel();
  }

  async sendInput(id: string, records: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
    const res = await this.request(ROUTES.sendInput, id, { stream: records, type: SEALED_INPUT_MEDIA_TYPE }, signal);
    await res.body?.cancel();
  }

  async *events(id: string, opts: KeepEventsOptions = {}): AsyncGenerator<KeepStreamEvent> {
    const after = opts.after ? `?after=${Math.floor(opts.after)}` : '';
    const res = await this.request(ROUTES.events, id, undefined, opts.signal, after);
    if (!res.body) throw new HostApiError('ERR_HOST_PROTOCOL', 'the host sent no event stream');
    yield* parseEvents(res.body, opts.signal);
  }

  async getKeep(id: string): Promise<KeepInfo> {
    return this.answer(await this.request(ROUTES.getKeep, id), checkKeepInfo, 'get a keep');
  }

  async listKeeps(): Promise<KeepInfo[]> {
    return (await this.answer(await this.request(ROUTES.listKeeps, undefined), checkKeepList, 'list keeps')).keeps;
  }

  async killKeep(id: string): Promise<KeepInfo> {
    return this.answer(await this.request(ROUTES.killKeep, id), checkKeepInfo, 'kill a keep');
  }
}

/** An event stream's events, checked; a stream that breaks is the host lost, not an outcome. */
async function* parseEvents(body: ReadableStream<Uint8Array>, signal: AbortSignal | undefined): AsyncGenerator<KeepStreamEvent> {
  const pending: EventSourceMessage[] = [];
  let bad: string | undefined;
  const parser = createParser({
    onEvent: (m) => void pending.push(m),
    onError: (e) => void (bad ??= e.message),
    // A record in base64 and its field name: no event may be longer.
    maxBufferSize: Math.ceil(MAX_RECORD_BYTES / 3) * 4 + 1024,
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (bad !== undefined) throw new HostApiError('ERR_HOST_PROTOCOL', `the host's event stream is malformed: ${bad}`);
      for (const m of pending.splice(0)) {
        let e: KeepStreamEvent | undefined;
        try {
          e = decodeStreamEvent(m.event ?? 'message', m.data, m.id);
        } catch (err) {
          if (err instanceof ValidationError) throw new HostApiError('ERR_HOST_PROTOCOL', `the host sent a malformed '${m.event}' event: ${err.message}`);
          throw err;
        }
        if (e !== undefined) yield e;
      }
    }
  } catch (err) {
    if (err instanceof HostApiError || signal?.aborted) throw err;
    throw new HostApiError('ERR_HOST_CONNECTION_LOST', `the connection to the host was lost while following the keep: ${(err as Error).message}`, undefined, { cause: err });
  }
}

function toStream(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iter = it[Symbol.asyncIterator]();
  return new ReadableStream({
    async pull(controller) {
      const next = await iter.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iter.return?.();
    },
  });
}

/** A JSON answer of bounded size. */
async function readJson(res: Response): Promise<unknown> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > MAX_JSON_RESPONSE_BYTES) {
    await res.body?.cancel();
    throw new HostApiError('ERR_HOST_PROTOCOL', 'the host sent an oversized answer');
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > MAX_JSON_RESPONSE_BYTES) throw new HostApiError('ERR_HOST_PROTOCOL', 'the host sent an oversized answer');
    parts.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  } catch {
    throw new HostApiError('ERR_HOST_PROTOCOL', 'the host sent something that is not JSON');
  }
}
