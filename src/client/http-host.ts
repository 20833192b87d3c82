/**
 * A remote host agent, over its HTTP API (README, "Deploy protocol"). Everything the host says is
 * untrusted: responses are schema-checked and size-bounded, and the evidence it relays is only
 * believed after verification (src/client/verify-keep.ts).
 */
import * as z from 'zod/mini';
import type { BackendName, Evidence } from '../backend/types.js';
import type { CreateKeepRequest, CreatedKeep, HostApi, KeepOutput } from './host-api.js';

/** A host agent error: its `code` is the agent's (`ERR_NOT_FOUND`, …) or ERR_HOST_* for transport problems. */
export class HostApiError extends Error {
  override readonly name = 'HostApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const b64 = z.string().check(z.maxLength(16 * 1024 * 1024), z.regex(/^[A-Za-z0-9+/]*={0,2}$/));
const backendName = z.enum(['nil', 'sim', 'snp', 'tdx']);
const CreatedSchema = z.object({
  id: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/)),
  backend: backendName,
  publicKey: b64,
  evidence: z.object({
    backend: backendName,
    format: z.enum(['none', 'sev-snp', 'tdx']),
    report: b64,
    certs: z.array(b64).check(z.maxLength(16)),
    trustRoots: z.optional(z.array(b64).check(z.maxLength(16))),
  }),
});

/** Keep information as the agent reports it. */
export const KeepInfoSchema = z.object({
  id: z.string(),
  backend: z.string(),
  state: z.string(),
  createdAt: z.optional(z.string()),
  updatedAt: z.optional(z.string()),
  exitCode: z.optional(z.number()),
  error: z.optional(z.object({ code: z.string(), message: z.string() })),
});

/** A keep's status, as listed. */
export type KeepInfo = z.infer<typeof KeepInfoSchema>;

const MAX_JSON = 1024 * 1024;
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

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

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  private async request(method: string, path: string, init: { body?: unknown; raw?: AsyncIterable<Uint8Array> } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: this.headers(init.body !== undefined ? { 'content-type': 'application/json' } : init.raw ? { 'content-type': 'application/vnd.enarx.sealed-package' } : {}),
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        ...(init.raw ? { body: toStream(init.raw), duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      throw new HostApiError('ERR_HOST_UNREACHABLE', `cannot reach the host at ${this.base}: ${(err as Error).message}`);
    }
    if (!res.ok) {
      const body = (await readJson(res).catch(() => undefined)) as { error?: { code?: unknown; message?: unknown } } | undefined;
      const code = typeof body?.error?.code === 'string' ? body.error.code : `ERR_HTTP_${res.status}`;
      const message = typeof body?.error?.message === 'string' ? body.error.message : res.statusText;
      throw new HostApiError(code, `host: ${message}`, res.status);
    }
    return res;
  }

  async createKeep(req: CreateKeepRequest): Promise<CreatedKeep> {
    if (req.preopens?.length) throw new TypeError('a remote host cannot lend host directories');
    const res = await this.request('POST', '/v1/keeps', {
      body: {
        nonce: Buffer.from(req.nonce).toString('hex'),
        kem: req.kem,
        ...(req.backend ? { backend: req.backend } : {}),
        ...(req.limits ? { limits: req.limits } : {}),
      },
    });
    const parsed = CreatedSchema.safeParse(await readJson(res));
    if (!parsed.success) throw new HostApiError('ERR_HOST_PROTOCOL', `the host's answer to create a keep is malformed: ${parsed.error.issues[0]?.message}`);
    const k = parsed.data;
    const evidence: Evidence = {
      backend: k.evidence.backend as BackendName,
      format: k.evidence.format,
      report: bytes(k.evidence.report),
      certs: k.evidence.certs.map(bytes),
      ...(k.evidence.trustRoots ? { trustRoots: k.evidence.trustRoots.map(bytes) } : {}),
    };
    return { id: k.id, backend: k.backend as BackendName, publicKey: bytes(k.publicKey), evidence };
  }

  async deliverPackage(id: string, sealed: AsyncIterable<Uint8Array>): Promise<void> {
    const res = await this.request('PUT', `/v1/keeps/${encodeURIComponent(id)}/package`, { raw: sealed });
    await res.body?.cancel();
  }

  async *events(id: string): AsyncGenerator<KeepOutput> {
    const res = await this.request('GET', `/v1/keeps/${encodeURIComponent(id)}/events`);
    if (!res.body) throw new HostApiError('ERR_HOST_PROTOCOL', 'the host sent no event stream');
    for await (const ev of parseSse(res.body)) {
      const out = toOutput(ev.event, ev.data);
      if (!out) continue;
      yield out;
      if (out.type !== 'stdout' && out.type !== 'stderr') return;
    }
  }

  async killKeep(id: string): Promise<void> {
    await (await this.request('DELETE', `/v1/keeps/${encodeURIComponent(id)}`)).body?.cancel();
  }

  /** This tenant's keeps. */
  async listKeeps(): Promise<KeepInfo[]> {
    const parsed = z.object({ keeps: z.array(KeepInfoSchema).check(z.maxLength(100_000)) }).safeParse(await readJson(await this.request('GET', '/v1/keeps')));
    if (!parsed.success) throw new HostApiError('ERR_HOST_PROTOCOL', 'malformed keep list');
    return parsed.data.keeps;
  }

  /** One keep's status. */
  async getKeep(id: string): Promise<KeepInfo> {
    const parsed = KeepInfoSchema.safeParse(await readJson(await this.request('GET', `/v1/keeps/${encodeURIComponent(id)}`)));
    if (!parsed.success) throw new HostApiError('ERR_HOST_PROTOCOL', 'malformed keep info');
    return parsed.data;
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

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text.length > MAX_JSON) throw new HostApiError('ERR_HOST_PROTOCOL', 'the host sent an oversized answer');
  try {
    return JSON.parse(text);
  } catch {
    throw new HostApiError('ERR_HOST_PROTOCOL', 'the host sent something that is not JSON');
  }
}

/** Parses a text/event-stream body into events (bounded line and event sizes). */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buf = '';
  let event = 'message';
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    if (buf.length > 8 * 1024 * 1024) throw new HostApiError('ERR_HOST_PROTOCOL', 'event stream line too long');
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line === '') {
        if (data.length) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      } else if (line.startsWith(':')) continue;
      else {
        const i = line.indexOf(':');
        const field = i === -1 ? line : line.slice(0, i);
        const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
  }
}

function toOutput(event: string, data: string): KeepOutput | undefined {
  try {
    switch (event) {
      case 'stdout':
      case 'stderr':
        return { type: event, data: bytes(data) };
      case 'exit': {
        const e = JSON.parse(data) as { code?: unknown };
        return typeof e.code === 'number' ? { type: 'exit', code: e.code } : undefined;
      }
      case 'trap': {
        const e = JSON.parse(data) as { trap?: unknown; func?: unknown };
        if (typeof e.trap !== 'string') return undefined;
        return typeof e.func === 'string' ? { type: 'trap', trap: e.trap, func: e.func } : { type: 'trap', trap: e.trap };
      }
      case 'error': {
        const e = JSON.parse(data) as { code?: unknown; message?: unknown };
        return { type: 'error', code: String(e.code).slice(0, 64), message: String(e.message).slice(0, 4096) };
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
