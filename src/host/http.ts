/**
 * The host agent's HTTP API (v1) over a {@link Host}: hono on @hono/node-server, with the routes,
 * bodies and events of the wire contract (protocol/http.ts). Everything a request carries is
 * untrusted: JSON bodies are bounded in size and time and checked strictly (unknown fields are
 * refused); a sealed package or input stream goes to its keep as it arrives, bounded in size and
 * time, never buffered whole; errors are `{ "error": { "code", "message" } }` with a stable code,
 * and the agent stays up.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import {
  MAX_JSON_REQUEST_BYTES,
  ROUTES,
  SEALED_INPUT_MEDIA_TYPE,
  SEALED_PACKAGE_MEDIA_TYPE,
  checkCreateKeepRequest,
  encodeCreatedKeep,
  encodeKeepInfo,
  encodeStreamEvent,
} from '../protocol/http.js';
import { isKeepId } from '../protocol/names.js';
import { ValidationError } from '../protocol/validate.js';
import { HostError } from './errors.js';
import type { Host } from './host.js';
import { declaredLength, mediaType, readJson, requestBody, settleBody } from './http-body.js';
import type { HostLogger } from './log.js';
import { silentLogger } from './log.js';

/** Media types accepted for a sealed package (octet-stream for plain clients such as curl). */
export const PACKAGE_MEDIA_TYPES: readonly string[] = [SEALED_PACKAGE_MEDIA_TYPE, 'application/octet-stream'];
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

type Env = { Variables: { tenant: string } };

function keepId(c: Context): string {
  const id = c.req.param('id') ?? '';
  if (!isKeepId(id)) throw new HostError('ERR_NOT_FOUND', 'no such keep');
  return id;
}

function errorResponse(c: Context, err: HostError): Response {
  return c.json({ error: { code: err.code, message: err.message } }, err.status);
}

/** Checks a streamed body's media type and declared size. */
function checkStream(c: Context, types: readonly string[], maxBytes: number | undefined): void {
  const type = mediaType(c);
  if (type !== undefined && !types.includes(type)) throw new HostError('ERR_BAD_REQUEST', `expected ${types[0]}, not ${type}`);
  const declared = declaredLength(c);
  if (maxBytes !== undefined && declared !== undefined && declared > maxBytes) {
    throw new HostError('ERR_TOO_LARGE', `the package is larger than this host accepts (${maxBytes} bytes)`);
  }
}

/** The hono application of the host agent API. */
export function createHostApp(opts: HostAppOptions): Hono<Env> {
  const { host, auth } = opts;
  const log = opts.logger ?? silentLogger;
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    await next();
    log('http.request', { method: c.req.method, path: c.req.path.slice(0, 200), status: c.res.status });
  });
  app.onError(async (err, c) => {
    await settleBody(c);
    if (err instanceof HostError) return errorResponse(c, err);
    if (err instanceof TypeError) return errorResponse(c, new HostError('ERR_BAD_REQUEST', err.message));
    log('http.error', { method: c.req.method, path: c.req.path.slice(0, 200), error: err instanceof Error ? err.name : 'unknown' });
    return errorResponse(c, new HostError('ERR_INTERNAL', 'internal error'));
  });
  app.notFound((c) => errorResponse(c, new HostError('ERR_NOT_FOUND', 'no such resource')));

  app.get(ROUTES.health.path, async (c) => c.json({ ok: true, backends: await host.availableBackends() }));

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

  app.post(ROUTES.createKeep.path, async (c) => {
    let req;
    try {
      req = checkCreateKeepRequest(await readJson(c, MAX_JSON_REQUEST_BYTES), '');
    } catch (err) {
      if (err instanceof ValidationError) throw new HostError('ERR_BAD_REQUEST', err.message);
      throw err;
    }
    const keep = await host.createKeep(c.get('tenant'), req);
    c.header('Location', `/v1/keeps/${keep.id}`);
    return c.json(encodeCreatedKeep(keep), ROUTES.createKeep.status);
  });

  app.get(ROUTES.listKeeps.path, (c) => c.json({ keeps: host.listKeeps(c.get('tenant')).map(encodeKeepInfo) }));
  app.get(ROUTES.getKeep.path, (c) => c.json(encodeKeepInfo(host.getKeep(c.get('tenant'), keepId(c)))));

  app.put(ROUTES.deliverPackage.path, async (c) => {
    const tenant = c.get('tenant');
    const id = keepId(c);
    // Existence first: another tenant's id is "not found" whatever the body.
    const before = host.getKeep(tenant, id);
    if (before.state !== 'attested') throw new HostError('ERR_CONFLICT', `the keep is ${before.state}, not waiting for a package`);
    checkStream(c, PACKAGE_MEDIA_TYPES, host.maxPackageBytes);
    await host.deliverPackage(tenant, id, requestBody(c));
    return c.json({ id, state: host.getKeep(tenant, id).state }, ROUTES.deliverPackage.status);
  });

  app.put(ROUTES.sendInput.path, async (c) => {
    const tenant = c.get('tenant');
    const id = keepId(c);
    host.getKeep(tenant, id);
    checkStream(c, [SEALED_INPUT_MEDIA_TYPE], undefined);
    // Input may rest between records as long as its keep runs (the stream ends with the keep).
    (c.env as { incoming?: { socket?: { setTimeout(ms: number): void } } } | undefined)?.incoming?.socket?.setTimeout(0);
    const sent = await host.sendInput(tenant, id, requestBody(c));
    return c.json({ id, ...sent }, ROUTES.sendInput.status);
  });

  app.get(ROUTES.events.path, (c) => serveEvents(c, host, opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS));

  app.delete(ROUTES.killKeep.path, async (c) => c.json(encodeKeepInfo(await host.killKeep(c.get('tenant'), keepId(c)))));

  return app;
}

/** `GET /v1/keeps/{id}/events`: the keep's stream as server-sent events, resumable. */
function serveEvents(c: Context<Env>, host: Host, heartbeatMs: number): Response {
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
        await stream.writeSSE(encodeStreamEvent(e));
      }
    } finally {
      clearInterval(heartbeat);
      abort.abort();
    }
  });
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
        // Event streams and input streams are long by nature; uploads are bounded in time by
        // the routes themselves (a package by its keep's expiry and an idle limit, an input
        // record by the idle limit), and idle sockets by the inactivity timeout below.
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
