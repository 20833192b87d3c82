/**
 * A real OCI registry for tests: CNCF distribution (Debian's `docker-registry` package, 2.8)
 * serving a temporary directory on a free loopback port, optionally behind htpasswd Basic auth,
 * HTTPS (a test CA made with openssl), or token auth with a small token server of our own that
 * signs JWTs as the distribution token specification (`docs/spec/auth/jwt.md`) describes.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { importPKCS8, SignJWT } from 'jose';
import { issueCert, testCa } from './test-ca.js';
import { freePort } from './keep-net.js';

export { freePort };

const BINARY = 'docker-registry';

/** Why registry tests are skipped, or false when `docker-registry` is on the PATH. */
export const SKIP: string | false = (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, BINARY)))
  ? false
  : 'docker-registry (CNCF distribution) is not installed: apt-get install docker-registry';

/** Token auth in front of the registry. */
export interface TokenAuthOptions {
  /** Users the token server accepts with Basic credentials (they get the actions they ask for). */
  readonly users?: Readonly<Record<string, string>>;
  /** Identity (refresh) tokens the token server accepts in an OAuth2 POST, by user. */
  readonly identityTokens?: Readonly<Record<string, string>>;
  /** Key of the signing certificate: ES256 (P-256) or RS256 (RSA 2048); default ES256. */
  readonly alg?: 'ES256' | 'RS256';
  /** Lifetime of a token in seconds (default 300). */
  readonly expiresIn?: number;
}

/** How the test registry is protected. */
export interface RegistryOptions {
  readonly htpasswd?: { readonly user: string; readonly password: string };
  readonly tls?: true;
  readonly token?: TokenAuthOptions;
}

/** One request the token server answered. */
export interface TokenRequest {
  readonly method: string;
  readonly scopes: readonly string[];
  readonly user: string;
}

/** A running registry. */
export interface TestRegistry {
  /** `http://127.0.0.1:PORT` or `https://…`. */
  readonly url: string;
  /** `127.0.0.1:PORT`. */
  readonly registry: string;
  readonly port: number;
  /** The test CA's PEM, with `tls`. */
  readonly caPem?: string;
  readonly dir: string;
  /** Requests to the token server, with `token`. */
  readonly tokenRequests: TokenRequest[];
  stop(): Promise<void>;
}


/** Starts `docker-registry serve` on a free loopback port; resolves once `GET /v2/` answers. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'enarx-registry-'));
  const port = await freePort();
  const auth: string[] = [];
  let caPem: string | undefined;
  let tls: string[] = [];
  const tokenRequests: TokenRequest[] = [];
  let tokenServer: Server | undefined;
  if (opts.htpasswd !== undefined) {
    const r = spawnSync('htpasswd', ['-Bbn', opts.htpasswd.user, opts.htpasswd.password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd: ${r.stderr}`);
    writeFileSync(join(dir, 'htpasswd'), r.stdout);
    auth.push('auth:', '  htpasswd:', '    realm: enarx-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  if (opts.token !== undefined) {
    const t = await startTokenServer(dir, opts.token, tokenRequests);
    tokenServer = t.server;
    auth.push('auth:', '  token:', `    realm: ${t.realm}`, `    service: ${SERVICE}`, `    issuer: ${ISSUER}`, `    rootcertbundle: ${t.certPath}`);
  }
  if (opts.tls === true) {
    const ca = testCa(dir, 'registry-ca', 'ec');
    const cert = issueCert(dir, ca, 'registry', { alg: 'ec', cn: 'localhost', use: 'server', san: ['DNS:localhost', 'IP:127.0.0.1'] });
    caPem = ca.certPem;
    tls = ['  tls:', `    certificate: ${cert.certPath}`, `    key: ${cert.keyPath}`];
  }
  writeFileSync(join(dir, 'config.yml'), [
    'version: 0.1',
    'log:', '  level: error', '  accesslog:', '    disabled: true',
    'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true',
    '  maintenance:', '    uploadpurging:', '      enabled: false',
    'http:', `  addr: 127.0.0.1:${port}`, `  secret: ${randomBytes(16).toString('hex')}`, ...tls,
    ...auth, '',
  ].join('\n'));
  const child = spawn(BINARY, ['serve', join(dir, 'config.yml')], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { if (stderr.length < 8192) stderr += c.toString('utf8'); });
  const scheme = opts.tls === true ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await killChild(child);
    tokenServer?.closeAllConnections();
    await new Promise<void>((resolve) => (tokenServer === undefined ? resolve() : tokenServer.close(() => resolve())));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForV2(url, caPem, child);
  } catch (err) {
    await stop();
    throw new Error(`${BINARY} did not start: ${(err as Error).message}\n${stderr}`);
  }
  return { url, registry: `127.0.0.1:${port}`, port, ...(caPem !== undefined ? { caPem } : {}), dir, tokenRequests, stop };
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitForV2(url: string, caPem: string | undefined, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const status = await probe(`${url}/v2/`, caPem);
    if (status !== undefined) return;
    if (Date.now() > deadline) throw new Error('GET /v2/ did not answer within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function probe(url: string, caPem: string | undefined): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { ...(caPem !== undefined ? { ca: caPem } : {}), agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.setTimeout(1000, () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

const SERVICE = 'enarx-test-registry';
const ISSUER = 'enarx-test-token-issuer';

/** libtrust's key ID (the `kid` distribution looks up): SHA-256 of the SPKI, 240 bits, base32 in groups of 4. */
function libtrustKeyId(certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: 'spki', format: 'der' });
  const bytes = createHash('sha256').update(spki).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return out.match(/.{4}/g)!.join(':');
}

async function startTokenServer(dir: string, o: TokenAuthOptions, log: TokenRequest[]): Promise<{ server: Server; realm: string; certPath: string }> {
  const alg = o.alg ?? 'ES256';
  const signer = testCa(dir, 'token-signer', alg === 'ES256' ? 'ec' : 'rsa');
  const key = await importPKCS8(signer.keyPem, alg);
  const kid = libtrustKeyId(signer.certPem);
  const server = createHttpServer((req, res) => {
    void answerToken(req, o, log).then(
      async (grant) => {
        if (grant === undefined) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          return;
        }
        const now = Math.floor(Date.now() / 1000);
        const token = await new SignJWT({ access: grant.access })
          .setProtectedHeader({ typ: 'JWT', alg, kid })
          .setIssuer(ISSUER).setSubject(grant.user).setAudience(SERVICE)
          .setIssuedAt(now).setNotBefore(now - 5).setExpirationTime(now + (o.expiresIn ?? 300)).setJti(randomUUID())
          .sign(key);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: o.expiresIn ?? 300, issued_at: new Date().toISOString() }));
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return { server, realm: `http://127.0.0.1:${port}/token`, certPath: signer.certPath };
}

/** Who asks (Basic, or an identity token in an OAuth2 POST) and what they get: all they ask for, when known. */
async function answerToken(req: IncomingMessage, o: TokenAuthOptions, log: TokenRequest[]): Promise<{ user: string; access: object[] } | undefined> {
  let body = '';
  for await (const c of req as AsyncIterable<Buffer>) body += c.toString('utf8');
  const url = new URL(req.url ?? '/', 'http://token.invalid');
  const params = req.method === 'POST' ? new URLSearchParams(body) : url.searchParams;
  let user = '';
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (basic !== null) {
    const [u, ...p] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
    if (o.users?.[u!] !== p.join(':')) return undefined;
    user = u!;
  }
  if (req.method === 'POST') {
    const found = Object.entries(o.identityTokens ?? {}).find(([, t]) => t === params.get('refresh_token'));
    if (params.get('grant_type') !== 'refresh_token' || found === undefined) return undefined;
    user = found[0];
  }
  const scopes = params.getAll('scope');
  log.push({ method: req.method ?? '', scopes, user });
  const access = user === '' ? [] : scopes.map((s) => {
    const [type, name, actions] = s.split(':');
    return { type, name, actions: (actions ?? '').split(',') };
  });
  return { user, access };
}
