import 'reflect-metadata'; // before @peculiar/x509: its tsyringe checks for Reflect.getMetadata at load
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connect, createServer, type ConnectionOptions, type TLSSocket } from 'node:tls';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  X509Certificate,
} from '@peculiar/x509';
import { tlsOptions } from '../../src/crypto/tls-params.js';
import { keepEngine } from '../../src/runtime/engine.js';
import { REPO_ROOT } from '../support/vectors.js';
import { CLOCK_SKEW_MS, createSelfSignedIdentity, DEFAULT_LIFETIME_MS, type TlsIdentity } from '../../src/keep/tls-identity.js';

const identity = createSelfSignedIdentity();

/** A TLS server on loopback with `id` and the keep's options; `extra` for mutual TLS. */
async function serve(id: TlsIdentity, extra: Parameters<typeof createServer>[0] = {}): Promise<{ port: number; close: () => void; sockets: TLSSocket[] }> {
  const sockets: TLSSocket[] = [];
  const server = createServer({ ...tlsOptions(), key: id.keyPem, cert: id.certPem, ...extra }, (s) => {
    sockets.push(s);
    s.end('hello from the keep');
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, close: () => server.close(), sockets };
}

/** Connects with the keep's options; resolves with the socket once the handshake is done and the greeting read. */
function dial(port: number, opts: ConnectionOptions): Promise<{ socket: TLSSocket; data: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ ...tlsOptions(), host: '127.0.0.1', port, ...opts });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('end', () => resolve({ socket, data }));
    socket.on('error', reject);
  });
}

test('the certificate: subject, validity, key, serial and fingerprint', async () => {
  const now = new Date('2030-01-02T03:04:05.000Z');
  const id = await createSelfSignedIdentity({ now, lifetimeMs: 3_600_000 });
  const cert = new NodeX509(id.certDer);
  assert.equal(cert.subject, 'CN=enarx-ts keep');
  assert.equal(cert.issuer, 'CN=enarx-ts keep');
  assert.equal(new Date(cert.validFrom).getTime(), now.getTime() - CLOCK_SKEW_MS);
  assert.equal(new Date(cert.validTo).getTime(), now.getTime() + 3_600_000);
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
  assert.ok(cert.checkPrivateKey(createPrivateKey(id.keyPem)), 'keyPem is the certificate key');
  assert.match(id.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(new NodeX509(id.certPem).raw.toString('hex'), Buffer.from(id.certDer).toString('hex'));
  assert.equal(id.fingerprintSha256, createHash('sha256').update(id.certDer).digest('hex'));
  assert.equal(id.fingerprintSha256, cert.fingerprint256.replaceAll(':', '').toLowerCase());
  // 16 octets, positive: the first below 0x80 and not zero (else DER would shorten it).
  assert.match(cert.serialNumber, /^[0-7][0-9A-F]{31}$/);
  assert.doesNotMatch(cert.serialNumber, /^00/);
});

test('the certificate extensions, as @peculiar/x509 parses them', async () => {
  const id = await createSelfSignedIdentity({ dnsNames: ['keep.example', '*.keeps.example'], ipAddresses: ['192.0.2.7', '2001:db8::7', '::ffff:198.51.100.1'] });
  const cert = new X509Certificate(id.certDer);
  assert.deepEqual([...cert.extensions].map((e) => e.type).sort(), ['2.5.29.15', '2.5.29.17', '2.5.29.19', '2.5.29.37']);
  const bc = cert.getExtension(BasicConstraintsExtension);
  assert.ok(bc);
  assert.equal(bc.critical, true);
  assert.equal(bc.ca, false);
  assert.equal(bc.pathLength, undefined);
  const ku = cert.getExtension(KeyUsagesExtension);
  assert.ok(ku);
  assert.equal(ku.critical, true);
  assert.equal(ku.usages, KeyUsageFlags.digitalSignature);
  const eku = cert.getExtension(ExtendedKeyUsageExtension);
  assert.ok(eku);
  assert.equal(eku.critical, false);
  assert.deepEqual([...eku.usages], [ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth]);
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  assert.ok(san);
  assert.equal(san.critical, false);
  assert.deepEqual(
    san.names.toJSON().map((n) => `${n.type}:${n.value}`),
    ['dns:localhost', 'dns:keep.example', 'dns:*.keeps.example', 'ip:127.0.0.1', 'ip:::1', 'ip:192.0.2.7', 'ip:2001:db8::7', 'ip:::ffff:c633:6401'],
  );
  // Node.js reads the same names, and matches them.
  const node = new NodeX509(id.certDer);
  const hosts = [['localhost', 'localhost'], ['keep.example', 'keep.example'], ['a.keeps.example', '*.keeps.example']] as const;
  for (const [host, name] of hosts) assert.equal(node.checkHost(host), name, host);
  assert.equal(node.checkHost('other.example'), undefined);
  for (const ip of ['127.0.0.1', '::1', '192.0.2.7', '2001:db8::7', '::ffff:198.51.100.1']) assert.equal(node.checkIP(ip), ip);
  assert.equal(node.checkIP('192.0.2.8'), undefined);
  assert.equal(node.ca, false);
  assert.deepEqual(node.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
});

test('defaults: 24 hours from 5 minutes ago; every identity has a key and serial of its own', async () => {
  const before = Date.now();
  const [a, b] = await Promise.all([identity, createSelfSignedIdentity({ dnsNames: ['LOCALHOST'] })]);
  const cert = new NodeX509(a.certDer);
  // X.509 times have whole seconds.
  assert.ok(Math.abs(new Date(cert.validFrom).getTime() - (before - CLOCK_SKEW_MS)) < 120_000);
  assert.equal(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime(), DEFAULT_LIFETIME_MS + CLOCK_SKEW_MS);
  assert.notEqual(a.keyPem, b.keyPem);
  assert.notEqual(new NodeX509(b.certDer).serialNumber, cert.serialNumber);
  assert.equal(new NodeX509(b.certDer).subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1', 'a name given twice appears once');
});

test('a caller\'s malformed names, addresses and lifetimes are TypeErrors', async () => {
  for (const opts of [
    { dnsNames: ['bad name'] },
    { dnsNames: ['-x.example'] },
    { dnsNames: ['a..example'] },
    { dnsNames: [`${'a'.repeat(64)}.example`] },
    { dnsNames: ['192.0.2.1'] },
    { ipAddresses: ['256.0.0.1'] },
    { ipAddresses: ['fe80::1%eth0'] },
    { ipAddresses: ['localhost'] },
    { lifetimeMs: 0 },
    { lifetimeMs: -1 },
    { lifetimeMs: Number.NaN },
    { lifetimeMs: 1.5 },
    { now: new Date(Number.NaN) },
  ]) {
    await assert.rejects(createSelfSignedIdentity(opts), TypeError, JSON.stringify(opts));
  }
});

test('a TLS 1.3 handshake on loopback: the client trusts the certificate and checks the name localhost', async () => {
  const id = await identity;
  const server = await serve(id);
  try {
    const { socket, data } = await dial(server.port, { servername: 'localhost', ca: id.certPem });
    assert.equal(data, 'hello from the keep');
    assert.equal(socket.authorized, true);
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    assert.equal(socket.getCipher().standardName, 'TLS_AES_256_GCM_SHA384');
    assert.equal(socket.getPeerX509Certificate()?.fingerprint256.replaceAll(':', '').toLowerCase(), id.fingerprintSha256);
    // By address: the IP SAN is checked.
    assert.equal((await dial(server.port, { ca: id.certPem })).socket.authorized, true);
  } finally {
    server.close();
  }
});

test('a client that does not trust the certificate, or expects another name, is refused', async () => {
  const id = await identity;
  const other = await createSelfSignedIdentity();
  const server = await serve(id);
  try {
    await assert.rejects(dial(server.port, { servername: 'localhost' }), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    await assert.rejects(dial(server.port, { servername: 'localhost', ca: other.certPem }), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    await assert.rejects(dial(server.port, { servername: 'keep.example', ca: id.certPem }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  } finally {
    server.close();
  }
});

test('an expired certificate is refused', async () => {
  const id = await createSelfSignedIdentity({ now: new Date(Date.now() - 2 * DEFAULT_LIFETIME_MS) });
  const server = await serve(id);
  try {
    await assert.rejects(dial(server.port, { servername: 'localhost', ca: id.certPem }), { code: 'CERT_HAS_EXPIRED' });
  } finally {
    server.close();
  }
});

test('mutual TLS: the identity also serves as a client certificate (clientAuth)', async () => {
  const [serverId, clientId] = await Promise.all([identity, createSelfSignedIdentity()]);
  const server = await serve(serverId, { requestCert: true, rejectUnauthorized: true, ca: clientId.certPem });
  try {
    const { data } = await dial(server.port, { servername: 'localhost', ca: serverId.certPem, key: clientId.keyPem, cert: clientId.certPem });
    assert.equal(data, 'hello from the keep');
    const seen = server.sockets[0]!;
    assert.equal(seen.authorized, true);
    assert.equal(seen.getPeerX509Certificate()?.fingerprint256.replaceAll(':', '').toLowerCase(), clientId.fingerprintSha256);
    // Without a certificate, the server refuses.
    await assert.rejects(dial(server.port, { servername: 'localhost', ca: serverId.certPem }));
  } finally {
    server.close();
  }
});

test('bundled as the keep bundles its code, on the keep engine, an identity is made', { timeout: 60_000 }, async () => {
  // esbuild exports a bundled CommonJS package (@peculiar/x509) as `default` only, where Node.js
  // also gives named exports: a module that works from dist/ can fail in the keep's bundle.
  const esbuild = await import('esbuild');
  const { commonOptions } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'keep-bundle.mjs')).href)) as {
    commonOptions: (root: string) => Record<string, unknown>;
  };
  const dir = mkdtempSync(join(tmpdir(), 'enarx-tls-identity-'));
  try {
    const module = fileURLToPath(new URL('../../src/keep/tls-identity.js', import.meta.url));
    writeFileSync(
      join(dir, 'entry.mjs'),
      `const { createSelfSignedIdentity } = await import(${JSON.stringify(module)});
       const id = await createSelfSignedIdentity({ dnsNames: ['bundled.example'] });
       process.stdout.write(JSON.stringify({ certPem: id.certPem, fingerprint: id.fingerprintSha256 }));`,
    );
    await esbuild.build({ ...commonOptions(REPO_ROOT), splitting: true, entryPoints: { entry: join(dir, 'entry.mjs') }, outdir: join(dir, 'out'), outExtension: { '.js': '.mjs' } });
    const out = JSON.parse(execFileSync(keepEngine().path, [join(dir, 'out', 'entry.mjs')], { encoding: 'utf8', env: {} })) as { certPem: string; fingerprint: string };
    const cert = new NodeX509(out.certPem);
    assert.equal(cert.fingerprint256.replaceAll(':', '').toLowerCase(), out.fingerprint);
    assert.equal(cert.checkHost('bundled.example'), 'bundled.example');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
