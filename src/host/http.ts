/**
 * The host agent's HTTP API (v1, README, "Deploy protocol") over a {@link Host}: hono on
 * @hono/node-server. Everything a request carries is untrusted: JSON bodies are at most 64 KiB
 * and validated with strict schemas (unknown fields are refused); a sealed package is streamed
 * to its keep as it arrives, counted against the host's limit, never buffered whole; errors are
 * `{ "error": { "code", "message" } }` with a stable code, and the agent stays up.
 *
 * | method | path                      | answer                                     |
 * |--------|---------------------------|--------------------------------------------|
 * | GET    | /v1/health                | 200 { ok, backends } (no authentication)   |
 * | POST   | /v1/keeps                 | 201 created keep: id, evidence, publicKey  |
 * | GET    | /v1/keeps                 | 200 { keeps: [info] } (this tenant's)      |
 * | GET    | /v1/keeps/{id}            | 200 info                                   |
 * | PUT    | /v1/keeps/{id}/package    | 202 { id, state } after the last byte      |
 * | GET    | /v1/keeps/{id}/events     | 200 text/event-stream                      |
 * | DELETE | /v1/keeps/{id}            | 200 info (killed, or forgotten if ended)   |
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import * as z from 'zod';
import type { Evidence } from '../backend/index.js';
import { HOST_ERROR_STATUS, HostError, isHostError } from './errors.js';
import type { KeepStreamEvent } from './event-log.js';
import type { CreatedKeep, Host, KeepInfo } from './host.js';
import type { HostLogger } from './log.js';
import { silentLogger } from './log.js';

/** Largest JSON request body: 64 KiB. */
export const MAX_JSON_BYTES = 64 * 1024;
/** Media types accepted for a sealed package. */
export const PACKAGE_MEDIA_TYPES: readonly string[] = ['application/vnd.enarx.sealed-package', 'application/octet-stream'];
/** SSE comment sent this often so that idle streams stay open through proxies: 15 s. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Resolves a request's `Authorization` header to a tenant. */
export interface Authenticator {
  /** The tenant, or undefined for a missing or unknown token. */
  authenticate(authorization: string | undefined): string | undefined;
}

/** Options of {@link createHostApp}. */
export interface HostAppOptions {
  readonly host: Host;
  readonly auth: Authenticator;
  /** Receives one `http.request` event per request (method, path, status). Default: none. */
  readonly logger?: HostLogger;
  /** Default {@link DEFAULT_HEARTBEAT_MS}. */
  readonly heartbeatMs?: number;
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** `POST /v1/keeps` body. */
export const CreateKeepBodySchema = z.strictObject({
  nonce: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 32 bytes of hex'),
  kem: z.enum(['x25519', 'x-wing']).optional(),
  backend: z.enum(['nil', 'sim', 'snp', 'tdx']).optional(),
  limits: z
    .strictObject({
      maxMemoryBytes: int(65536, 4 * 1024 ** 3).optional(),
      timeoutMs: int(0, 365 * 24 * 3600 * 1000).optional(),
      maxOutputBytes: int(0, Number.MAX_SAFE_INTEGER).optional(),
    })
    .optional(),
});

const KEEP_ID = /^[0-9a-f-]{1,64}$/;

type Env = { Variables: { tenant: string } };

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The JSON form of evidence (bytes as base64). */
export function evidenceJson(e: Evidence): Record<string, unknown> {
  const out: Record<string, unknown> = { backend: e.backend, format: e.format, report: b64(e.report), certs: e.certs.map(b64) };
  if (e.trustRoots !== undefined) out['trustRoots'] = e.trustRoots.map(b64);
  return out;
}

/** The JSON form of a created keep. */
export function createdKeepJson(k: CreatedKeep): Record<string, unknown> {
  return { id: k.id, backend: k.backend, kem: k.kem, publicKey: b64(k.publicKey), evidence: evidenceJson(k.evidence), state: k.state, expiresAt: k.expiresAt.toISOString() };
}

/** The JSON form of a keep's info (no tenant, no pid: host-internal). */
export function keepInfoJson(k: KeepInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { id: k.id, backend: k.backend, kem: k.kem, state: k.state, createdAt: k.createdAt.toISOString(), updatedAt: k.updatedAt.toISOString() };
  if (k.expiresAt !== undefined) out['expiresAt'] = k.expiresAt.toISOString();
  if (k.exitCode !== undefined) out['exitCode'] = k.exitCode;
  if (k.error !== undefined) out['error'] = { code: k.error.code, message: k.error.message };
  if (k.packageBytes !== undefined) out['packageBytes'] = k.packageBytes;
  return out;
}

/** The SSE message of one stream event. */
export function sseMessage(e: KeepStreamEvent): { event: string; data: string; id?: string } {
  const id = 'seq' in e && e.seq !== undefined ? { id: String(e.seq) } : {};
  switch (e.type) {
    case 'stdout':
    case 'stderr':
      return { event: e.type, data: b64(e.data), ...id };
    case 'state':
      return { event: 'state', data: JSON.stringify({ state: e.state }), ...id };
    case 'exit':
      return { event: 'exit', data: JSON.stringify({ code: e.code }), ...id };
    case 'trap':
      return { event: 'trap', data: JSON.stringify(e.func === undefined ? { trap: e.trap } : { trap: e.trap, func: e.func }), ...id };
    case 'error':
      return { event: 'error', data: JSON.stringify({ code: e.code, message: e.message }), ...id };
    case 'dropped':
      return { event: 'dropped', data: JSON.stringify(e.bytes === undefined ? { stream: e.stream } : { stream: e.stream, bytes: e.bytes }) };
  }
}

/**
 * The request body as chunks. A consumer that stops early leaves the rest unread (not
 * cancelled): the error path reads a bounded remainder so that its answer arrives intact.
 */
async function* bodyChunks(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array, void, undefined> {
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

/** An error answer reads at most this much of an unread request body before it is sent. */
const DRAIN_BYTES = 1024 * 1024;
/** ... and waits at most this long for it. */
const DRAIN_MS = 1000;

/**
 * Before an early answer: reads and drops what is left of the request body, up to
 * {@link DRAIN_BYTES} within {@link DRAIN_MS}, so that the client (still sending) reliably
 * receives the answer; past that, the connection is closed after the answer.
 */
async function settleBody(c: Context): Promise<void> {
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

function declaredLength(c: Context): number | undefined {
  const v = c.req.header('content-length');
  if (v === undefined) return undefined;
  if (!/^\d{1,16}$/.test(v)) throw new HostError('ERR_BAD_REQUEST', 'bad Content-Length');
  return Number(v);
}

function mediaType(c: Context): string | undefined {
  return c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
}

/** Reads a JSON body of at most {@link MAX_JSON_BYTES}. */
async function readJson(c: Context): Promise<unknown> {
  const type = mediaType(c);
  if (type !== undefined && type !== 'application/json') throw new HostError('ERR_BAD_REQUEST', `expected application/json, got ${type}`);
  const declared = declaredLength(c);
  if (declared !== undefined && declared > MAX_JSON_BYTES) throw new HostError('ERR_TOO_LARGE', `JSON bodies are at most ${MAX_JSON_BYTES} bytes`);
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of bodyChunks(c.req.raw.body)) {
    total += chunk.length;
    if (total > MAX_JSON_BYTES) throw new HostError('ERR_TOO_LARGE', `JSON bodies are at most ${MAX_JSON_BYTES} bytes`);
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HostError('ERR_BAD_REQUEST', 'the body is not valid JSON');
  }
}

function badRequest(error: z.ZodError): HostError {
  const issue = error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
  return new HostError('ERR_BAD_REQUEST', `${where}: ${issue?.message ?? 'invalid'}`);
}

function keepId(c: Context): string {
  const id = c.req.param('id') ?? '';
  if (!KEEP_ID.test(id)) throw new HostError('ERR_NOT_FOUND', 'no such keep');
  return id;
}

function errorResponse(c: Context, err: HostError): Response {
  return c.json({ error: { code: err.code, message: err.message } }, HOST_ERROR_STATUS[err.code]);
}

/** The hono application of the host agent API. */
export function createHostApp(opts: HostAppOptions): Hono<Env> {
  const { host, auth } = opts;
  const log = opts.logger ?? silentLogger;
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    await next();
    log('http.request', { method: c.req.method, path: c.req.path.slice(0, 200), status: c.res.status });
  });

  app.onError(async (err, c) => {
    await settleBody(c);
    if (isHostError(err)) return errorResponse(c, err);
    log('http.error', { method: c.req.method, path: c.req.path.slice(0, 200), error: err instanceof Error ? err.name : 'unknown' });
    return errorResponse(c, new HostError('ERR_INTERNAL', 'internal error'));
  });
  app.notFound((c) => errorResponse(c, new HostError('ERR_NOT_FOUND', 'no such resource')));

  app.get('/v1/health', async (c) => c.json({ ok: true, backends: await host.availableBackends() }));

  const authenticate = async (c: Context<Env>, next: () => Promise<void>): Promise<void> => {
    const tenant = auth.authenticate(c.req.header('authorization'));
    if (tenant === undefined) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new HostError('ERR_UNAUTHORIZED', 'a valid bearer token is required');
    }
    c.set('tenant', tenant);
    await next();
  };
  app.use('/v1/keeps', authenticate);
  app.use('/v1/keeps/*', authenticate);

  app.post('/v1/keeps', async (c) => {
    const parsed = CreateKeepBodySchema.safeParse(await readJson(c));
    if (!parsed.success) throw badRequest(parsed.error);
    const body = parsed.data;
    const keep = await host.createKeep(c.get('tenant'), {
      nonce: new Uint8Array(Buffer.from(body.nonce, 'hex')),
      ...(body.kem === undefined ? {} : { kem: body.kem }),
      ...(body.backend === undefined ? {} : { backend: body.backend }),
      ...(body.limits === undefined ? {} : { limits: body.limits }),
    });
    c.header('Location', `/v1/keeps/${keep.id}`);
    return c.json(createdKeepJson(keep), 201);
  });

  app.get('/v1/keeps', (c) => c.json({ keeps: host.listKeeps(c.get('tenant')).map(keepInfoJson) }));

  app.get('/v1/keeps/:id', (c) => c.json(keepInfoJson(host.getKeep(c.get('tenant'), keepId(c)))));

  app.put('/v1/keeps/:id/package', async (c) => {
    const tenant = c.get('tenant');
    const id = keepId(c);
    // Existence first: another tenant's id is "not found" whatever the body.
    const before = host.getKeep(tenant, id);
    if (before.state !== 'attested') throw new HostError('ERR_CONFLICT', `the keep is ${before.state}, not waiting for a package`);
    const type = mediaType(c);
    if (type !== undefined && !PACKAGE_MEDIA_TYPES.includes(type)) {
      throw new HostError('ERR_BAD_REQUEST', `a sealed package is ${PACKAGE_MEDIA_TYPES[0]}, not ${type}`);
    }
    const declared = declaredLength(c);
    if (declared !== undefined && declared > host.maxPackageBytes) {
      throw new HostError('ERR_TOO_LARGE', `the package is larger than this host accepts (${host.maxPackageBytes} bytes)`);
    }
    await host.deliverPackage(tenant, id, bodyChunks(c.req.raw.body));
    return c.json({ id, state: host.getKeep(tenant, id).state }, 202);
  });

  app.get('/v1/keeps/:id/events', (c) => {
    const tenant = c.get('tenant');
    const id = keepId(c);
    const resume = c.req.header('last-event-id') ?? c.req.query('after');
    if (resume !== undefined && !/^\d{1,15}$/.test(resume)) throw new HostError('ERR_BAD_REQUEST', 'Last-Event-ID must be a sequence number');
    const abort = new AbortController();
    // Called before the response starts so that an unknown keep is a plain 404.
    const events = host.events(tenant, id, { after: resume === undefined ? 0 : Number(resume), signal: abort.signal });
    c.header('Cache-Control', 'no-store');
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      const heartbeat = setInterval(() => {
        stream.write(': ping\n\n').catch(() => abort.abort());
      }, heartbeatMs);
      try {
        for await (const e of events) {
          if (stream.aborted) break;
          await stream.writeSSE(sseMessage(e));
        }
      } finally {
        clearInterval(heartbeat);
        abort.abort();
      }
    });
  });

  app.delete('/v1/keeps/:id', async (c) => c.json(keepInfoJson(await host.killKeep(c.get('tenant'), keepId(c)))));

  return app;
}

/** A listening host agent API. */
export interface HostServer {
  /** `http://ADDR:PORT`. */
  readonly url: string;
  readonly address: string;
  readonly port: number;
  /**
   * Stops accepting connections and resolves once open ones have finished, or after `graceMs`
   * (default 5 s) when the rest are cut. Event streams end when their keeps end, so close the
   * {@link Host} too.
   */
  close(graceMs?: number): Promise<void>;
}

/** Options of {@link serveHost}. */
export interface ServeHostOptions extends HostAppOptions {
  /** The address to listen on (e.g. 127.0.0.1). */
  readonly hostname: string;
  /** 0: any free port. */
  readonly port: number;
}

/** Serves the host agent API. @throws the listen error (EADDRINUSE, EACCES...) */
export function serveHost(opts: ServeHostOptions): Promise<HostServer> {
  const app = createHostApp(opts);
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: app.fetch,
      hostname: opts.hostname,
      port: opts.port,
      // No global side effects: leave the process's Request and Response alone.
      overrideGlobalObjects: false,
      serverOptions: {
        // A 1 GiB package may take longer than Node's default 5 min request timeout; idle
        // sockets are cut by the inactivity timeout below instead.
        requestTimeout: 0,
        headersTimeout: 30_000,
      },
    }) as Server;
    server.setTimeout(120_000);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]` : a.address;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${host}:${a.port}`,
        address: a.address,
        port: a.port,
        close: (graceMs = 5000) =>
          (closing ??= new Promise<void>((done) => {
            const timer = setTimeout(() => server.closeAllConnections(), graceMs);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          })),
      });
    });
  });
}
