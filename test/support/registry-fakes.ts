/**
 * Misbehaving paths and servers for the registry client's tests: a TCP proxy that cuts one
 * connection once after N bytes, an HTTP proxy that rewrites answers (a tampered byte, more bytes
 * than the descriptor's size), a server that streams forever, one that redirects elsewhere, one
 * that never answers, and a minimal upload server that keeps the bytes of a broken PATCH (what a
 * resumable registry does, and distribution 2.8 does not).
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server as HttpServer } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';

/** A server on 127.0.0.1. */
export interface Listening {
  readonly port: number;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  readonly url: string;
  close(): Promise<void>;
}

async function listen(server: HttpServer | NetServer, sockets: Set<Socket>): Promise<Listening> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const close = (): Promise<void> => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return { port, host: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, close };
}

async function collect(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** A TCP proxy that has cut a connection, and the request lines and ranges it saw. */
export interface CutProxy extends Listening {
  /** Connections cut so far (at most one). */
  cuts(): number;
  /** Request lines and `Range`/`Content-Range` headers sent through, in order. */
  readonly seen: string[];
}

/**
 * A TCP proxy to `targetPort` that, once, drops the connection carrying byte `afterBytes` (counted
 * over all connections) in one direction: `up` (client to registry) or `down`.
 */
export async function cutProxy(targetPort: number, opts: { readonly direction: 'up' | 'down'; readonly afterBytes: number }): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  let total = 0;
  let cuts = 0;
  const server = createNetServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    const kill = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('error', kill).on('close', kill);
    const pass = (from: Socket, to: Socket, dir: 'up' | 'down'): void => {
      from.on('data', (chunk: Buffer) => {
        if (dir === 'up') for (const m of chunk.toString('latin1').matchAll(/^(?:(?:GET|HEAD|POST|PUT|PATCH|DELETE) \S+|(?:content-)?range: [^\r\n]+)/gim)) seen.push(m[0]);
        if (cuts === 0 && dir === opts.direction) {
          if (total + chunk.length >= opts.afterBytes) {
            cuts++;
            to.write(chunk.subarray(0, opts.afterBytes - total), () => setTimeout(kill, 20));
            from.pause();
            return;
          }
          total += chunk.length;
        }
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
    };
    pass(client, upstream, 'up');
    pass(upstream, client, 'down');
  });
  return { ...(await listen(server, sockets)), cuts: () => cuts, seen };
}

/** An answer as the rewriting proxy sees it. */
export interface ProxiedAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Send without Content-Length (chunked), so only the body's end tells its size. */
  readonly chunked?: boolean;
}

/** An HTTP proxy to `targetPort` whose answers `edit` may rewrite (return undefined to pass one through). */
export async function rewritingProxy(targetPort: number, edit: (req: { method: string; path: string }, res: ProxiedAnswer) => ProxiedAnswer | undefined): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    void collect(req).then((body) => {
      const up = httpRequest({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (ur) => {
        void collect(ur).then((data) => {
          const headers = { ...ur.headers };
          for (const h of ['connection', 'keep-alive', 'transfer-encoding']) delete headers[h];
          const got: ProxiedAnswer = { status: ur.statusCode ?? 502, headers, body: data };
          const out = edit({ method: req.method ?? '', path: req.url ?? '' }, got);
          if (out === undefined) return void res.writeHead(got.status, headers).end(data);
          const h = { ...out.headers };
          delete h['content-length'];
          if (out.chunked !== true) h['content-length'] = String(out.body.length);
          res.writeHead(out.status, h).end(out.body);
        });
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  return listen(server, sockets);
}

/** A server whose every GET is a 200 with an endless body (zeros, no Content-Length). */
export async function endlessServer(): Promise<Listening & { sent(): number }> {
  const sockets = new Set<Socket>();
  let sent = 0;
  const block = Buffer.alloc(64 * 1024);
  const server = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = (): void => {
      while (!res.destroyed && res.write(block)) sent += block.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  return { ...(await listen(server, sockets)), sent: () => sent };
}

/** A server that redirects every request to `target` + its path, with `status` (default 307). */
export async function redirectServer(target: string, status = 307): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => res.writeHead(status, { location: `${target}${req.url ?? '/'}`, 'content-length': '0' }).end());
  return listen(server, sockets);
}

/** A server that accepts connections and never answers. */
export async function silentServer(): Promise<Listening> {
  const sockets = new Set<Socket>();
  return listen(createNetServer(() => undefined), sockets);
}

/** The minimal upload server's state, for assertions. */
export interface UploadServer extends Listening {
  readonly blobs: Map<string, Buffer>;
  /** `Content-Range` of each PATCH that arrived, and status GETs as `status`. */
  readonly log: string[];
}

/**
 * Enough of distribution-spec "Pushing blobs" for chunked uploads that survive a broken PATCH:
 * bytes are kept as they arrive, a status GET tells how many, and a PATCH must start there (416
 * otherwise, or for the first PATCH with `refuseFirstPatch`). No auth, no manifests.
 */
export async function uploadServer(opts: { readonly refuseFirstPatch?: boolean } = {}): Promise<UploadServer> {
  let refuse = opts.refuseFirstPatch === true;
  const sockets = new Set<Socket>();
  const uploads = new Map<string, Buffer[]>();
  const blobs = new Map<string, Buffer>();
  const log: string[] = [];
  let next = 0;
  const size = (id: string): number => (uploads.get(id) ?? []).reduce((n, b) => n + b.length, 0);
  const range = (id: string): string => `0-${Math.max(0, size(id) - 1)}`;
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/(\d*)$/.exec(url.pathname);
    if (blob !== null && (req.method === 'HEAD' || req.method === 'GET')) {
      const b = blobs.get(blob[2]!);
      if (b === undefined) return void res.writeHead(404, { 'content-length': '0' }).end();
      return void res.writeHead(200, { 'content-length': String(b.length), 'docker-content-digest': blob[2]! }).end(req.method === 'GET' ? b : undefined);
    }
    if (upload === null) return void res.writeHead(404, { 'content-length': '0' }).end();
    const id = upload[2]!;
    const loc = `/v2/${upload[1]}/blobs/uploads/${id}`;
    if (req.method === 'POST') {
      const fresh = String(next++);
      uploads.set(fresh, []);
      return void res.writeHead(202, { location: `/v2/${upload[1]}/blobs/uploads/${fresh}`, range: '0-0', 'content-length': '0' }).end();
    }
    const parts = uploads.get(id);
    if (parts === undefined) return void res.writeHead(404, { 'content-length': '0' }).end();
    if (req.method === 'GET') {
      log.push('status');
      return void res.writeHead(204, { location: loc, range: range(id) }).end();
    }
    if (req.method === 'PATCH') {
      const cr = req.headers['content-range'] ?? '';
      log.push(cr);
      if (refuse || Number(cr.split('-')[0]) !== size(id)) {
        refuse = false;
        return void res.writeHead(416, { location: loc, range: range(id), 'content-length': '0' }).end();
      }
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => res.writeHead(202, { location: loc, range: range(id), 'content-length': '0' }).end());
      return;
    }
    if (req.method === 'PUT') {
      void collect(req).then((last) => {
        const all = Buffer.concat([...parts, last]);
        const digest = `sha256:${createHash('sha256').update(all).digest('hex')}`;
        if (digest !== url.searchParams.get('digest')) return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"code":"DIGEST_INVALID"}]}');
        blobs.set(digest, all);
        uploads.delete(id);
        res.writeHead(201, { location: `/v2/${upload[1]}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': '0' }).end();
      });
      return;
    }
    res.writeHead(405, { 'content-length': '0' }).end();
  });
  return { ...(await listen(server, sockets)), blobs, log };
}
