/**
 * The steward's HTTP service (the contract is protocol/steward.ts): hono on @hono/node-server,
 * over TLS (`--tls-cert`, `--tls-key`), or plain HTTP on a loopback address only. Bodies are
 * bounded in size and time, each client address is rate-limited, and every refusal is JSON with
 * a stable code.
 */
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { encodePem } from '../attestation/pki/pem.js';
import { codeOf } from '../errors.js';
import { HostError } from '../host/errors.js';
import { mediaType, readBytes, settleBody } from '../host/http-body.js';
import { MAX_CSR_BYTES } from '../attestation/csr/attested-csr.js';
import { checkAttestRequest, isLoopbackHost, JWT, MAX_ATTEST_BODY, PEM_CHAIN, PKCS10, PKIX_PKIPATH, STEWARD_PATHS } from '../protocol/steward.js';
import { validate } from '../protocol/validate.js';
import { StewardError, StewardErrorStatus } from './errors.js';
import type { StewardErrorCode } from './errors.js';
import { DEFAULT_RATE_LIMITS, RateLimiter } from './rate-limit.js';
import type { RateLimits } from './rate-limit.js';
import type { Issued, Steward } from './steward.js';

type Env = { Bindings: { incoming?: { socket?: { remoteAddress?: string } } } };

/** Options of {@link createStewardApp}. */
export interface StewardAppOptions {
  readonly rateLimits?: RateLimits;
}

function refusal(c: Context, err: StewardError): Response {
  return c.json({ error: { code: err.code, message: err.message } }, err.status);
}

/** A host-layer body error (size, time, JSON) as the steward's. */
function asStewardError(err: unknown): unknown {
  if (err instanceof HostError && err.code in StewardErrorStatus) return new StewardError(err.code as StewardErrorCode, err.message);
  if (err instanceof HostError && err.code === 'ERR_REQUEST_TIMEOUT') return new StewardError('ERR_BAD_REQUEST', err.message);
  return err;
}

function remoteOf(c: Context<Env>): string {
  return c.env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** DER `SEQUENCE OF Certificate`, CA first (a PkiPath, as Enarx's steward answers). */
function pkiPath(certs: readonly Uint8Array[]): Uint8Array {
  const body = Buffer.concat(certs);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, ...len]), body]));
}

function chainResponse(c: Context, issued: Issued): Response {
  const accept = c.req.header('accept') ?? '';
  if (accept.includes(PEM_CHAIN)) {
    return c.body(encodePem('CERTIFICATE', issued.certificate) + encodePem('CERTIFICATE', issued.ca), 200, { 'Content-Type': PEM_CHAIN });
  }
  const der = pkiPath([issued.ca, issued.certificate]);
  return c.body(der.buffer as ArrayBuffer, 200, { 'Content-Type': PKIX_PKIPATH });
}

/** The hono application of a steward. */
export function createStewardApp(steward: Steward, opts: StewardAppOptions = {}): Hono<Env> {
  const app = new Hono<Env>();
  const limiter = new RateLimiter(opts.rateLimits ?? DEFAULT_RATE_LIMITS);
  app.onError(async (err, c) => {
    await settleBody(c);
    const e = asStewardError(err);
    if (e instanceof StewardError) return refusal(c, e);
    return refusal(c, new StewardError('ERR_INTERNAL', `internal error [${codeOf(err) ?? 'no code'}]`));
  });
  app.notFound((c) => refusal(c, new StewardError('ERR_NOT_FOUND', 'no such resource')));
  app.use('*', async (c, next) => {
    if (!limiter.take(remoteOf(c))) {
      c.header('Retry-After', '1');
      throw new StewardError('ERR_RATE_LIMITED', 'too many requests from this address; retry later');
    }
    await next();
  });

  app.get('/', (c) => c.json({ ok: true }));
  app.get(STEWARD_PATHS.ca, (c) => c.body(steward.ca.certPem, 200, { 'Content-Type': 'application/x-pem-file' }));
  app.get(STEWARD_PATHS.jwks, (c) => c.json(steward.jwks(), 200, { 'Content-Type': 'application/jwk-set+json' }));
  app.post(STEWARD_PATHS.csr, async (c) => {
    if (mediaType(c) !== PKCS10) throw new StewardError('ERR_UNSUPPORTED_MEDIA_TYPE', `expected ${PKCS10} (a DER CSR)`);
    const der = await readBytes(c, MAX_CSR_BYTES, 'CSRs').catch((err: unknown) => {
      throw asStewardError(err);
    });
    return chainResponse(c, await steward.certify(der, remoteOf(c)));
  });
  app.post(STEWARD_PATHS.attest, async (c) => {
    if (mediaType(c) !== 'application/json') throw new StewardError('ERR_UNSUPPORTED_MEDIA_TYPE', 'expected application/json');
    const body = await readBytes(c, MAX_ATTEST_BODY, 'attestation requests').catch((err: unknown) => {
      throw asStewardError(err);
    });
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      throw new StewardError('ERR_BAD_REQUEST', 'the body is not valid JSON');
    }
    const req = validate(checkAttestRequest, json);
    if (!req.ok) throw new StewardError('ERR_BAD_REQUEST', req.message);
    const token = await steward.attest(req.value, remoteOf(c));
    return c.body(token, 200, { 'Content-Type': JWT });
  });
  return app;
}

/** A listening steward. */
export interface StewardServer {
  /** `http://ADDR:PORT` or `https://…`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Options of {@link serveSteward}. */
export interface ServeStewardOptions extends StewardAppOptions {
  readonly hostname: string;
  readonly port: number;
  /** PEM certificate chain and key of the steward's own TLS. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** Serves a steward. @throws StewardError ERR_BAD_REQUEST for plain HTTP off loopback; the listen error */
export function serveSteward(steward: Steward, opts: ServeStewardOptions): Promise<StewardServer> {
  if (opts.tls === undefined && !isLoopbackHost(opts.hostname)) {
    throw new StewardError('ERR_BAD_REQUEST', `plain HTTP only on a loopback address; give --tls-cert and --tls-key to listen on ${opts.hostname}`);
  }
  const app = createStewardApp(steward, opts);
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: app.fetch,
      hostname: opts.hostname,
      port: opts.port,
      overrideGlobalObjects: false,
      ...(opts.tls ? { createServer: createHttpsServer, serverOptions: { cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    }) as Server;
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const host = a.address.includes(':') ? `[${a.address}]` : a.address;
      resolve({
        url: `${opts.tls ? 'https' : 'http'}://${host}:${a.port}`,
        port: a.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
