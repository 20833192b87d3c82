/**
 * End to end: connect sockets. A keep runs test/workloads/c/net_client.c, which sends its stdin
 * on each pre-opened connected descriptor, shuts down writing and prints the reply; the servers
 * are node:net and node:tls servers in the test, with certificates from test CAs made with the
 * `openssl` command line. Failures to resolve, connect or verify must end the keep before the
 * workload starts, with exit status 1 and the error's code on stderr.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as tcpServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as tlsServer } from 'node:tls';
import type { PeerCertificate, TLSSocket, TlsOptions } from 'node:tls';
import { enarxToml, freePort, startKeep } from '../support/keep-net.js';
import type { KeepExit } from '../support/keep-net.js';
import { issueCert, testCa } from '../support/test-ca.js';
import type { TestCert } from '../support/test-ca.js';

/** Bound on one keep run: start, connect, exchange, exit. */
const RUN_MS = 15_000;
const T = { timeout: 30_000 };

/** What one connection brought a test server. */
interface Received {
  readonly data: string;
  /** TLS: the SNI the client sent (false when none), its protocol and its certificate. */
  readonly servername?: string | false | null;
  readonly protocol?: string | null;
  readonly peer?: PeerCertificate;
}

/** A server in the test: each connection's bytes until the client's end, then `reply(data)` and end. */
interface TestServer {
  readonly host: string;
  readonly port: number;
  readonly received: Received[];
  /** In order: `<name>:data` at a connection's first bytes, `<name>:end` at its end. */
  readonly events: string[];
  close(): void;
}

/**
 * Starts a TCP server (or a TLS one with `tls`) on `host` that answers each connection's bytes,
 * once the client has shut down its sending side, with `reply(data)`.
 */
async function serve(name: string, reply: (data: string) => string, opts: { host?: string; tls?: TlsOptions; events?: string[] } = {}): Promise<TestServer> {
  const host = opts.host ?? '127.0.0.1';
  const received: Received[] = [];
  const events = opts.events ?? [];
  const handle = (socket: Socket, tls?: TLSSocket): void => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (d: string) => {
      if (data === '') events.push(`${name}:data`);
      data += d;
    });
    socket.on('end', () => {
      events.push(`${name}:end`);
      received.push(tls === undefined ? { data } : { data, servername: tls.servername, protocol: tls.getProtocol(), peer: tls.getPeerCertificate() });
      socket.end(reply(data));
    });
  };
  const server: Server =
    opts.tls === undefined
      ? tcpServer({ allowHalfOpen: true }, (s) => handle(s))
      : tlsServer({ ...opts.tls, allowHalfOpen: true }, (s) => handle(s, s));
  server.on('tlsClientError', () => {});
  await within(new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve)), 5_000, `listening on ${host}`);
  return { host, port: (server.address() as AddressInfo).port, received, events, close: () => server.close() };
}

/** Resolves `promise`, or rejects after `ms` naming `what`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One `connect` entry of Enarx.toml. */
function connectEntry(prot: 'tcp' | 'tls', host: string, port: number, ...options: string[]): string {
  return ['kind = "connect"', `prot = "${prot}"`, `host = "${host}"`, `port = ${port}`, ...options].join('\n');
}

/** Runs net_client.wasm in a keep with `entries` until it exits (killed after RUN_MS). */
async function runClient(entries: readonly string[], opts: { stdin: string; files?: Record<string, string>; args?: readonly string[] }): Promise<KeepExit> {
  const keep = await startKeep({ module: 'net_client.wasm', toml: enarxToml(...entries), stdin: opts.stdin, files: opts.files ?? {}, args: opts.args ?? [] });
  try {
    return await within(keep.exited, RUN_MS, 'the keep running net_client');
  } finally {
    await keep.stop();
  }
}

/** The keep refused before the workload ran: exit 1, `code` on stderr, no output. */
function assertRefused(r: KeepExit, code: string): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`\\b${code}\\b`));
  assert.doesNotMatch(r.stderr, /net_client:/, 'the workload did not run');
}

const reply = (tag: string) => (data: string): string => `${tag} got ${data.length} bytes\n${data.split('').reverse().join('')}`;

/** Some stdin: text lines and every byte value as UTF-8, larger than one socket buffer. */
const STDIN = Array.from({ length: 4_000 }, (_, i) => `line ${i} ${String.fromCharCode(i % 0x2ff)}\n`).join('');

describe('a plain TCP connect socket', () => {
  test("the server gets the workload's stdin; the workload's stdout is the server's reply", T, async () => {
    const server = await serve('tcp', reply('tcp'));
    try {
      const r = await runClient([connectEntry('tcp', '127.0.0.1', server.port)], { stdin: STDIN });
      assert.deepEqual(r, { code: 0, stdout: reply('tcp')(STDIN), stderr: '' });
      assert.deepEqual(server.received, [{ data: STDIN }]);
    } finally {
      server.close();
    }
  });
});

/** Whether this machine has IPv6 loopback (CI containers may not). */
async function hasIpv6(): Promise<boolean> {
  const s = tcpServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

describe('IPv6', () => {
  test('a connect socket to ::1, and a name that resolves to it (localhost6 or ip6-localhost)', T, async (t) => {
    if (!(await hasIpv6())) return t.skip('no IPv6 loopback on this machine');
    const server = await serve('v6', reply('v6'), { host: '::1' });
    try {
      const r = await runClient([connectEntry('tcp', '::1', server.port, 'name = "v6"')], { stdin: 'over IPv6\n' });
      assert.deepEqual(r, { code: 0, stdout: reply('v6')('over IPv6\n'), stderr: '' });
      const v6name = (await Promise.all(['localhost6', 'ip6-localhost'].map((n) => lookup(n, { family: 6 }).then(() => n, () => undefined)))).find((n) => n !== undefined);
      if (v6name === undefined) return;
      const byName = await runClient([connectEntry('tcp', v6name, server.port)], { stdin: 'by name\n' });
      assert.deepEqual(byName, { code: 0, stdout: reply('v6')('by name\n'), stderr: '' });
    } finally {
      server.close();
    }
  });
});

describe('a TLS connect socket', () => {
  const work = mkdtempSync(join(tmpdir(), 'enarx-connect-test-'));
  let caEc: TestCert;
  let caRsa: TestCert;
  let caOther: TestCert;
  let serverEc: TestCert;
  let serverRsa: TestCert;
  /** Where `localhost` resolves, as the keep resolves it: the test servers listen there. */
  let localhost = '';
  before(async () => {
    caEc = testCa(work, 'ca-ec', 'ec');
    caRsa = testCa(work, 'ca-rsa', 'rsa');
    caOther = testCa(work, 'ca-other', 'ec');
    serverEc = issueCert(work, caEc, 'server-ec', { alg: 'ec', cn: 'localhost', use: 'server', san: ['DNS:localhost'] });
    // The web's usual chain: an RSA leaf signed by an RSA CA with PKCS #1 v1.5.
    serverRsa = issueCert(work, caRsa, 'server-rsa', { alg: 'rsa', cn: 'localhost', use: 'server', san: ['DNS:localhost'] });
    localhost = (await lookup('localhost', { verbatim: true })).address;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('host = "localhost", trust_anchors = [ca.pem]: verified (ECDSA and RSA chains), SNI localhost, TLS 1.3', T, async () => {
    for (const [ca, cert] of [[caEc, serverEc], [caRsa, serverRsa]] as const) {
      const server = await serve('tls', reply('tls'), { host: localhost, tls: { key: cert.keyPem, cert: cert.certPem } });
      try {
        const r = await runClient([connectEntry('tls', 'localhost', server.port, 'trust_anchors = ["ca.pem"]')], { stdin: STDIN, files: { 'ca.pem': ca.certPem } });
        assert.deepEqual(r, { code: 0, stdout: reply('tls')(STDIN), stderr: '' }, cert.certPath);
        assert.equal(server.received.length, 1);
        assert.equal(server.received[0]?.data, STDIN);
        assert.equal(server.received[0]?.servername, 'localhost');
        assert.equal(server.received[0]?.protocol, 'TLSv1.3');
        assert.deepEqual(server.received[0]?.peer, {}, 'no client certificate unless client_cert = true');
      } finally {
        server.close();
      }
    }
  });

  test('a server the anchors do not vouch for: exit 1, ERR_TLS_HANDSHAKE, nothing sent', T, async () => {
    const server = await serve('tls', reply('tls'), { host: localhost, tls: { key: serverEc.keyPem, cert: serverEc.certPem } });
    try {
      // Another CA as the anchor; the engine's root store (no trust_anchors); the right anchor
      // but a name the certificate does not hold (the address instead of localhost).
      assertRefused(await runClient([connectEntry('tls', 'localhost', server.port, 'trust_anchors = ["other.pem"]')], { stdin: STDIN, files: { 'other.pem': caOther.certPem } }), 'ERR_TLS_HANDSHAKE');
      assertRefused(await runClient([connectEntry('tls', 'localhost', server.port)], { stdin: STDIN }), 'ERR_TLS_HANDSHAKE');
      assertRefused(await runClient([connectEntry('tls', localhost, server.port, 'trust_anchors = ["ca.pem"]')], { stdin: STDIN, files: { 'ca.pem': caEc.certPem } }), 'ERR_TLS_HANDSHAKE');
      assert.deepEqual(server.received, []);
    } finally {
      server.close();
    }
  });

  test("client_cert = true: a server that asks for client certificates gets the keep's self-signed one", T, async () => {
    const server = await serve('tls', reply('tls'), { host: localhost, tls: { key: serverEc.keyPem, cert: serverEc.certPem, requestCert: true, rejectUnauthorized: false } });
    try {
      const r = await runClient([connectEntry('tls', 'localhost', server.port, 'trust_anchors = ["ca.pem"]', 'client_cert = true')], { stdin: STDIN, files: { 'ca.pem': caEc.certPem } });
      assert.deepEqual(r, { code: 0, stdout: reply('tls')(STDIN), stderr: '' });
      const peer = server.received[0]?.peer;
      assert.equal(peer?.subject?.CN, 'enarx-ts keep');
      assert.equal(peer?.issuer?.CN, 'enarx-ts keep', 'self-signed');
      assert.match(peer?.subjectaltname ?? '', /DNS:localhost/);
    } finally {
      server.close();
    }
  });
});

describe('connect failures', () => {
  test('a host name that does not resolve: exit 1, ERR_HOST_NOT_FOUND', T, async () => {
    assertRefused(await runClient([connectEntry('tcp', 'nonexistent.invalid', 443)], { stdin: 'x' }), 'ERR_HOST_NOT_FOUND');
  });

  test('a port nobody listens on: exit 1, ERR_CONNECT', T, async () => {
    const port = await freePort();
    assertRefused(await runClient([connectEntry('tcp', '127.0.0.1', port)], { stdin: 'x' }), 'ERR_CONNECT');
    assertRefused(await runClient([connectEntry('tls', '127.0.0.1', port)], { stdin: 'x' }), 'ERR_CONNECT');
  });
});

describe('two connect sockets', () => {
  test('fd 3 (tcp) and fd 4 (tls) to two servers, used in order', T, async () => {
    const work = mkdtempSync(join(tmpdir(), 'enarx-connect-test-'));
    const events: string[] = [];
    const ca = testCa(work, 'ca', 'ec');
    const cert = issueCert(work, ca, 'server', { alg: 'ec', cn: 'localhost', use: 'server', san: ['DNS:localhost'] });
    const a = await serve('a', reply('first'), { events });
    const b = await serve('b', reply('second'), { events, host: (await lookup('localhost', { verbatim: true })).address, tls: { key: cert.keyPem, cert: cert.certPem } });
    try {
      const entries = [connectEntry('tcp', '127.0.0.1', a.port), connectEntry('tls', 'localhost', b.port, 'trust_anchors = ["ca.pem"]')];
      const r = await runClient(entries, { stdin: STDIN, files: { 'ca.pem': ca.certPem }, args: ['3', '4'] });
      assert.deepEqual(r, { code: 0, stdout: reply('first')(STDIN) + reply('second')(STDIN), stderr: '' });
      assert.deepEqual(a.received.map((x) => x.data), [STDIN]);
      assert.deepEqual(b.received.map((x) => x.data), [STDIN]);
      assert.deepEqual(events, ['a:data', 'a:end', 'b:data', 'b:end']);
      // The other order, by the arguments.
      events.length = 0;
      const swapped = await runClient(entries, { stdin: 'ab', files: { 'ca.pem': ca.certPem }, args: ['4', '3'] });
      assert.deepEqual(swapped, { code: 0, stdout: reply('second')('ab') + reply('first')('ab'), stderr: '' });
      assert.deepEqual(events, ['b:data', 'b:end', 'a:data', 'a:end']);
    } finally {
      a.close();
      b.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
