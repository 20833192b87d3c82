/**
 * A keep's steward client, in process: the certificate it gets is for its own key and names its
 * package; it is renewed before it ends; a refusal, an unreachable steward, plain HTTP off
 * loopback and a steward that answers a certificate for another key are each told apart.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Backend } from '../../src/backend/index.js';
import { checkStewardUrl, renewAt, requestStewardIdentity, stewardIdentity } from '../../src/keep/steward-identity.js';
import type { StewardRequest } from '../../src/keep/steward-identity.js';
import { serveSteward } from '../../src/steward/http.js';
import type { StewardServer } from '../../src/steward/http.js';
import { parsePolicy } from '../../src/steward/policy.js';
import { Steward } from '../../src/steward/steward.js';
import { MEASUREMENT, PACKAGE_DIGEST, REFERENCE, simPlatform, tempDir } from '../steward/support.js';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPackage } from '../../src/client/package-builder.js';
import { issueCert, testCa } from '../support/test-ca.js';
import { REPO_ROOT } from '../support/vectors.js';

const T = { timeout: 30_000 };
let sim: Backend;
let steward: Steward;
let server: StewardServer;

before(async () => {
  sim = simPlatform();
  // Certificates of 3 s, so that renewal comes within the test.
  const policy = { ...parsePolicy(undefined, { allowSim: true, trustDomain: 'example.org' }), lifetimeMs: 3000 };
  steward = await Steward.open({ stateDir: tempDir('keep-steward-id'), policy });
  steward.state.addReferenceValues([REFERENCE]);
  server = await serveSteward(steward, { hostname: '127.0.0.1', port: 0 });
});
after(async () => {
  await server.close();
  steward.close();
});

function request(url: string, measurement = MEASUREMENT): StewardRequest {
  return { url, evidence: (rd) => sim.attest(rd, { measurement }), dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], packageDigest: PACKAGE_DIGEST };
}

test('the certificate is for the keep\'s own key and names its package', T, async () => {
  const { identity } = await requestStewardIdentity(request(server.url));
  const leaf = new X509Certificate(identity.certDer);
  const key = new X509Certificate(identity.certDer).publicKey;
  assert.ok(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(identity.keyPem)));
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.match(leaf.subjectAltName ?? '', new RegExp(`spiffe://example.org/package/sha256/${Buffer.from(PACKAGE_DIGEST).toString('hex')}`));
  assert.match(identity.certPem, /(-----BEGIN CERTIFICATE-----[\s\S]*){2}/, 'leaf and CA');
});

test('the identity is renewed before its certificate ends, and listeners hear of it', T, async () => {
  const live = await stewardIdentity(request(server.url));
  const first = live.fingerprintSha256;
  const renewed = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not renewed within 8 s')), 8000);
    live.onRenew!((next) => {
      clearTimeout(timer);
      resolve(next.fingerprintSha256);
    });
  });
  assert.notEqual(renewed, first);
  assert.equal(live.fingerprintSha256, renewed, 'the live identity reads the new certificate');
});

test('renewal time: two thirds from receipt, never in the past', () => {
  const now = new Date(1_000_000);
  assert.equal(renewAt(now, new Date(1_000_000 + 90_000)).getTime(), 1_060_000);
  assert.equal(renewAt(now, new Date(500_000)).getTime(), 1_001_000);
});

test('refused, unreachable, plain HTTP off loopback, a certificate for another key', T, async () => {
  await assert.rejects(requestStewardIdentity(request(server.url, new Uint8Array(48))), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_STEWARD_REFUSED');
    assert.match(err.message, /ERR_MEASUREMENT/);
    return true;
  });
  await assert.rejects(requestStewardIdentity(request('http://127.0.0.1:1/')), { code: 'ERR_STEWARD_UNREACHABLE' });
  assert.throws(() => checkStewardUrl('http://steward.example.com/'), { code: 'ERR_STEWARD_UNREACHABLE' });
  assert.equal(checkStewardUrl('https://steward.example.com/').protocol, 'https:');
  // A hostile steward: a valid certificate, but not for the key the keep made.
  const other = await requestStewardIdentity(request(server.url));
  const liar = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/pem-certificate-chain' }).end(other.identity.certPem));
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
  try {
    await assert.rejects(requestStewardIdentity(request(`http://127.0.0.1:${(liar.address() as AddressInfo).port}/`)), { code: 'ERR_STEWARD_UNREACHABLE' });
  } finally {
    liar.close();
  }
});

test('a steward over HTTPS with a private CA: reached with steward_trust_anchors, refused without', T, async () => {
  const dir = tempDir('steward-tls');
  const ca = testCa(dir, 'steward-ca', 'ec');
  const leaf = issueCert(dir, ca, 'steward', { alg: 'ec', cn: 'steward', use: 'server', san: ['DNS:localhost', 'IP:127.0.0.1'] });
  const tlsServer = await serveSteward(steward, { hostname: '127.0.0.1', port: 0, tls: { cert: leaf.certPem, key: leaf.keyPem } });
  try {
    const url = `https://localhost:${tlsServer.port}/`;
    const { identity } = await requestStewardIdentity({ ...request(url), trustAnchors: [ca.certPem] });
    assert.ok(identity.certDer.length > 0);
    await assert.rejects(requestStewardIdentity(request(url)), (err: Error & { code?: string }) => err.code === 'ERR_STEWARD_UNREACHABLE' && /certificate/i.test(err.message));
  } finally {
    await tlsServer.close();
  }
});

test('a package folder reads steward_trust_anchors relative to its Enarx.toml', async () => {
  const dir = tempDir('steward-anchors');
  const ca = testCa(tempDir('steward-anchor-ca'), 'anchor', 'ec');
  writeFileSync(join(dir, 'Enarx.toml'), 'steward = "https://steward.example.com"\nsteward_trust_anchors = ["ca.pem"]\n');
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  copyFileSync(join(REPO_ROOT, 'examples', 'hello', 'hello.wasm'), join(dir, 'main.wasm'));
  const pkg = await buildPackage(dir);
  assert.deepEqual(pkg.identity?.stewardTrustAnchors, [ca.certPem.trim() + '\n']);
});
