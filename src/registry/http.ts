/**
 * The HTTP exchange under the registry client: one request, one response, every wait bounded.
 *
 * node:http and node:https rather than `fetch`: Node 20's `fetch` takes no CA bundle unless the
 * `undici` package is added as a dependency, and a body larger than its descriptor must be cut the
 * moment it overflows, which a socket we hold does at once. Both modules load on first use, so
 * importing the registry code costs nothing at start-up.
 *
 * Bounds: `timeoutMs` for each wait before the answer (connecting, a stalled upload, the status
 * line and headers once the request is sent), `idleMs` for a response body that stops flowing,
 * response headers of at most {@link MAX_HEADER_BYTES}, error bodies of at most
 * {@link MAX_ERROR_BODY_BYTES}. Network and TLS failures become `ERR_REGISTRY_UNREACHABLE` naming
 * the host and what was waited for; an unexpected status becomes the error its code says.
 */
import type { Agent, IncomingHttpHeaders, IncomingMessage, RequestOptions, ClientRequest } from 'node:http';
import type { Readable } from 'node:stream';
import { codeOf } from '../errors.js';
import { RegistryError, RegistryErrorCode } from './errors.js';

/** Largest header block a registry may answer with (node's default is 16 KiB). */
export const MAX_HEADER_BYTES = 32 * 1024;
/** Largest error body read for its message; the rest is dropped. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Bounds and trust of a {@link HttpTransport}. */
export interface TransportOptions {
  /** Longest wait for a connection, for an upload to progress, and for the answer's headers. */
  readonly timeoutMs: number;
  /** Longest pause inside a response body. */
  readonly idleMs: number;
  /** PEM CA bundle trusted for HTTPS, in addition to Node.js's own roots. */
  readonly ca?: string | Buffer | undefined;
}

/** One request. */
export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Bytes, or a function giving a fresh stream: a request may be sent again after a challenge. */
  readonly body?: Uint8Array | (() => Readable) | undefined;
}

/** An answer whose headers have arrived; its body is still to be read (or discarded). */
export interface HttpResponse {
  readonly method: HttpRequest['method'];
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  readonly url: URL;
}

type RequestFn = (url: URL, opts: RequestOptions) => ClientRequest;
interface Scheme { readonly request: RequestFn; readonly agent: Agent }

// Failures of the network path: worth a retry, and reported as "unreachable".
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND',
  'EAI_AGAIN', 'ECONNABORTED', 'EADDRNOTAVAIL', 'UND_ERR_SOCKET',
]);
// A certificate chain that does not lead to a trusted root, or names another host.
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

/** Sends requests to one registry (and its token realm), with keep-alive connections. */
export class HttpTransport {
  readonly #opts: TransportOptions;
  readonly #schemes = new Map<string, Promise<Scheme>>();

  constructor(opts: TransportOptions) {
    this.#opts = opts;
  }

  /**
   * Sends `req` and resolves once the answer's headers arrive (whatever the status).
   * @throws RegistryError ERR_REGISTRY_UNREACHABLE (refused, reset, timed out, TLS not trusted),
   *   ERR_REGISTRY_PROTOCOL (not HTTP, headers too large)
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const { request, agent } = await this.#scheme(req.url.protocol);
    const { timeoutMs, idleMs } = this.#opts;
    const host = req.url.host;
    return new Promise<HttpResponse>((resolve, reject) => {
      let answered = false;
      let headersTimer: NodeJS.Timeout | undefined;
      const headers = { ...req.headers };
      if (req.body instanceof Uint8Array && headers['content-length'] === undefined) headers['content-length'] = String(req.body.length);
      const cr = request(req.url, { method: req.method, headers, agent, timeout: timeoutMs, maxHeaderSize: MAX_HEADER_BYTES });
      const fail = (err: unknown): void => {
        clearTimeout(headersTimer);
        if (!answered) reject(wrapNetworkError(err, host));
      };
      cr.on('error', fail);
      cr.on('timeout', () => cr.destroy(waitError(host, `did not answer within ${timeoutMs} ms`)));
      // The socket timeout catches silence; this catches a server that trickles its headers.
      cr.on('finish', () => {
        headersTimer = setTimeout(() => cr.destroy(waitError(host, `sent no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      cr.on('response', (res) => {
        clearTimeout(headersTimer);
        answered = true;
        cr.setTimeout(idleMs);
        cr.removeAllListeners('timeout');
        cr.on('timeout', () => res.destroy(waitError(host, `stalled: no data for ${idleMs} ms`)));
        resolve({ method: req.method, status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
      });
      const body = req.body;
      if (body === undefined) cr.end();
      else if (body instanceof Uint8Array) cr.end(body);
      else {
        const src = body();
        src.on('error', (err) => cr.destroy(err));
        cr.on('close', () => src.destroy());
        src.pipe(cr);
      }
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    for (const s of this.#schemes.values()) void s.then((x) => x.agent.destroy(), () => undefined);
    this.#schemes.clear();
  }

  #scheme(protocol: string): Promise<Scheme> {
    let s = this.#schemes.get(protocol);
    if (s === undefined) {
      s = protocol === 'https:' ? this.#https() : this.#http();
      this.#schemes.set(protocol, s);
    }
    return s;
  }

  async #http(): Promise<Scheme> {
    const http = await import('node:http');
    return { request: http.request, agent: new http.Agent({ keepAlive: true, maxSockets: 16 }) };
  }

  async #https(): Promise<Scheme> {
    const [https, tls] = await Promise.all([import('node:https'), import('node:tls')]);
    const ca = this.#opts.ca;
    // A bundle adds to the system's roots (a token realm is often on a public CA).
    const agent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(ca !== undefined ? { ca: [...tls.rootCertificates, ca.toString()] } : {}) });
    return { request: https.request, agent };
  }
}

function waitError(host: string, what: string): RegistryError {
  return new RegistryError(RegistryErrorCode.UNREACHABLE, `registry ${host} ${what}`);
}

/** `err` as a RegistryError when it is a network, TLS or HTTP-parsing failure; otherwise `err`. */
export function wrapNetworkError(err: unknown, host: string): unknown {
  if (err instanceof RegistryError) return err;
  const code = codeOf(err) ?? '';
  const cause = { cause: err };
  if (TLS_TRUST_CODES.has(code)) {
    return new RegistryError(RegistryErrorCode.UNREACHABLE, `TLS with ${host}: its certificate is not trusted (${code}); give the registry's CA bundle (ca)`, cause);
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return new RegistryError(RegistryErrorCode.UNREACHABLE, `TLS handshake with ${host} failed (${code}); does it speak HTTPS?`, cause);
  }
  if (code === 'ECONNREFUSED') return new RegistryError(RegistryErrorCode.UNREACHABLE, `cannot connect to registry ${host}: connection refused`, cause);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new RegistryError(RegistryErrorCode.UNREACHABLE, `cannot resolve registry host ${host} (${code})`, cause);
  if (NETWORK_CODES.has(code)) return new RegistryError(RegistryErrorCode.UNREACHABLE, `connection to registry ${host} lost (${code})`, cause);
  if (code === 'HPE_HEADER_OVERFLOW') return new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${host} sent headers larger than ${MAX_HEADER_BYTES} bytes`, cause);
  if (code.startsWith('HPE_')) return new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${host} did not answer in HTTP (${code})`, cause);
  return err;
}

/** Whether a failure is of the network path (worth resuming), not of the content. */
export function isTransient(err: unknown): boolean {
  return (err instanceof RegistryError && err.code === RegistryErrorCode.UNREACHABLE) || NETWORK_CODES.has(codeOf(err) ?? '');
}

/** Whether `hostname` (as `URL.hostname` spells it) is the loopback interface. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The one value of a response header, or undefined. */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/** The `Content-Length` of an answer, if it gave a well-formed one. */
export function contentLength(res: HttpResponse): number | undefined {
  const v = header(res, 'content-length');
  return v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}

/**
 * Reads a whole body of at most `max` bytes: refused as soon as it declares or sends more.
 * @throws RegistryError ERR_TOO_LARGE
 */
export async function readBounded(res: HttpResponse, max: number, what: string): Promise<Uint8Array> {
  const tooLarge = (): RegistryError => {
    res.body.destroy();
    return new RegistryError(RegistryErrorCode.TOO_LARGE, `${what} from ${res.url.host} is larger than ${max} bytes`);
  };
  const declared = contentLength(res);
  if (declared !== undefined && declared > max) throw tooLarge();
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > max) throw tooLarge();
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, n)); // a copy of its own, not a view of a shared pool
}

/** The first {@link MAX_ERROR_BODY_BYTES} of an error answer, as text; the rest is dropped. */
export async function readErrorText(res: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      n += chunk.length;
      if (n >= MAX_ERROR_BODY_BYTES) break; // leaving the loop destroys the stream
    }
  } catch {
    // A broken error body still leaves the status to report.
  }
  return Buffer.concat(chunks, n).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8');
}

/** Drops a body not needed: drained when small or absent (the connection is kept), cut otherwise. */
export function discard(res: HttpResponse): void {
  const n = contentLength(res);
  if (res.method === 'HEAD' || (n !== undefined && n <= MAX_ERROR_BODY_BYTES)) res.body.resume();
  else res.body.destroy();
}

/** distribution-spec "Error Codes": `{ "errors": [{ "code", "message" }] }`, bounded and printable. */
export async function statusError(res: HttpResponse, registry: string): Promise<RegistryError> {
  const text = res.method === 'HEAD' ? '' : await readErrorText(res);
  if (res.method === 'HEAD') discard(res);
  let code = '';
  try {
    const first = (JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] }).errors?.[0];
    if (typeof first?.code === 'string') code = `${first.code}${typeof first.message === 'string' ? ` (${first.message})` : ''}`;
  } catch {
    // Not the spec's error JSON: the status alone is reported.
  }
  const detail = code === '' ? '' : `: ${code.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)}`;
  const what = `${res.method} ${res.url.pathname.slice(0, 200)}`;
  const s = res.status;
  // Go's servers answer plain HTTP on a TLS port with this 400 (a loopback registry is reached over
  // plain HTTP unless a CA bundle is given): say what to do.
  if (s === 400 && res.url.protocol === 'http:' && text.includes('HTTP request to an HTTPS server')) {
    return new RegistryError(RegistryErrorCode.UNREACHABLE, `registry ${registry} speaks HTTPS: give its CA bundle (--ca FILE) to reach it over TLS`);
  }
  if (s === 401 || s === 403) return new RegistryError(RegistryErrorCode.AUTH, `registry ${registry} refused ${what} (${s})${detail}`);
  if (s === 404) return new RegistryError(RegistryErrorCode.NOT_FOUND, `${what}: not found on ${registry}${detail}`);
  if (code.startsWith('DIGEST_INVALID')) return new RegistryError(RegistryErrorCode.DIGEST_MISMATCH, `registry ${registry} refused ${what}${detail}`);
  if (code.startsWith('SIZE_INVALID')) return new RegistryError(RegistryErrorCode.SIZE_MISMATCH, `registry ${registry} refused ${what}${detail}`);
  return new RegistryError(RegistryErrorCode.PROTOCOL, `registry ${registry} answered ${s} to ${what}${detail}`);
}
