/**
 * The steward over HTTP on loopback: certificates for keeps that prove themselves (both CSR
 * forms), `openssl verify` against its CA, and every refusal with its code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseCertificates } from '../../src/attestation/pki/certificate.js';
import { algorithmIdentifier, signWith } from '../attestation/support/x509-builder.js';
import { bits, int, seq, time } from '../attestation/support/der-writer.js';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Backend } from '../../src/backend/index.js';
import { derObjects } from '../../src/attestation/pki/pem.js';
import type { StewardServer } from '../../src/steward/http.js';
import { parseKeepTcbInfo } from '../../src/steward/issue.js';
import { ociClaimUri, packageClaimUri, signerClaimUri } from '../../src/protocol/steward.js';
import type { Steward } from '../../src/steward/steward.js';
import { PACKAGE_DIGEST, debugEvidence, makeCsr, postCsr, simPlatform, startSteward, tempDir } from './support.js';

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const T = { timeout: 60_000 };

let sim: Backend & { readonly stateDir: string };
let steward: Steward;
let server: StewardServer;

before(async () => {
  sim = simPlatform();
  ({ steward, server } = await startSteward());
});
after(async () => {
  await server.close();
  steward.close();
});

/** The leaf and CA of a PEM chain answer. */
function chainOf(pem: string): X509Certificate[] {
  return derObjects(pem, ['CERTIFICATE']).map((d) => new X509Certificate(d));
}

describe('issuance', () => {
  test('an attested keep gets a certificate that openssl verifies against the CA', T, async () => {
    const { der } = await makeCsr(sim);
    const r = await postCsr(server.url, der, 'application/pem-certificate-chain');
    assert.equal(r.status, 200, r.body.toString());
    const [leaf, ca] = chainOf(r.body.toString());
    assert.ok(leaf && ca);
    assert.ok(leaf.verify(ca.publicKey));
    const san = leaf.subjectAltName ?? '';
    assert.match(san, /DNS:localhost/);
    assert.match(san, new RegExp(`URI:spiffe://example.org/package/sha256/${Buffer.from(PACKAGE_DIGEST).toString('hex')}`));
    assert.match(san, /IP Address:127.0.0.1/);
    const lifetime = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
    assert.ok(Math.abs(lifetime - (24 * 3600 + 300) * 1000) < 2000, `lifetime ${lifetime}`);
    const log = steward.state.auditLog(5).filter((e) => e.event === 'issued');
    assert.ok(log.length >= 1);
    if (HAVE_OPENSSL) {
      const dir = tempDir('steward-verify');
      writeFileSync(join(dir, 'ca.pem'), ca.toString());
      writeFileSync(join(dir, 'leaf.pem'), leaf.toString());
      const v = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslserver', join(dir, 'leaf.pem')], { encoding: 'utf8' });
      assert.equal(v.status, 0, v.stderr + v.stdout);
      const text = spawnSync('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-text'], { encoding: 'utf8' }).stdout;
      assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    }
  });

  test("Enarx's form (POST /, application/pkcs10) answers a DER PkiPath, CA first", T, async () => {
    const { evidence } = await makeCsr(sim);
    // Enarx's form carries only the VCEK: the steward must be told the simulator's chain.
    const chain = [...evidence.certs.slice(1), ...(evidence.trustRoots ?? [])];
    const pinned = await startSteward({ allowSim: true, simChain: chain });
    try {
      const { der } = await makeCsr(sim, { form: 'enarx' });
      const r = await postCsr(pinned.server.url, der);
      assert.equal(r.status, 200, r.body.toString());
      assert.equal(r.type, 'application/pkix-pkipath');
      assert.equal(r.body[0], 0x30);
      const ca = new X509Certificate(pinned.steward.ca.certDer);
      // The PkiPath's first element is the CA (DER inside the outer SEQUENCE).
      assert.ok(r.body.includes(Buffer.from(pinned.steward.ca.certDer)));
      assert.ok(ca.ca);
    } finally {
      await pinned.server.close();
      pinned.steward.close();
    }
  });

  test('a keep deployed from a registry: its OCI artifact and signer go in the workload layer', T, async () => {
    const oci = `sha256:${'ab'.repeat(32)}`;
    const signer = 'cd'.repeat(32);
    const uris = [packageClaimUri(PACKAGE_DIGEST), ociClaimUri(oci), signerClaimUri(signer)];
    const r = await postCsr(server.url, (await makeCsr(sim, { uris })).der, 'application/pem-certificate-chain');
    assert.equal(r.status, 200, r.body.toString());
    const [leaf] = chainOf(r.body.toString());
    const info = parseKeepTcbInfo(new Uint8Array(leaf!.raw));
    assert.deepEqual(info?.workload, { package: Buffer.from(PACKAGE_DIGEST).toString('hex'), oci, signer });
    assert.equal((leaf!.subjectAltName ?? '').match(/URI:/g)?.length, 1, 'one URI: the SPIFFE ID (an X.509-SVID has exactly one)');
    const lonely = await postCsr(server.url, (await makeCsr(sim, { uris: [packageClaimUri(PACKAGE_DIGEST), signerClaimUri(signer)] })).der);
    assert.equal(lonely.code, 'ERR_NAME_NOT_ALLOWED', 'a signer without the artifact it signed');
  });

  test("Enarx's form with a CRL that revokes the platform's ASK is refused", T, async () => {
    const { evidence } = await makeCsr(sim);
    const chain = [...evidence.certs.slice(1), ...(evidence.trustRoots ?? [])];
    const pinned = await startSteward({ allowSim: true, simChain: chain });
    try {
      const crl = revokingCrl(sim.stateDir);
      const good = await makeCsr(sim, { form: 'enarx' });
      assert.equal((await postCsr(pinned.server.url, good.der)).status, 200, 'without a CRL it is certified');
      const { der } = await makeCsr(sim, { form: 'enarx', crls: [{ url: 'https://kdsintf.amd.com/vcek/v1/Milan/crl', crl }] });
      const r = await postCsr(pinned.server.url, der);
      assert.equal(r.status, 403, r.body.toString());
      assert.equal(r.code, 'ERR_EVIDENCE');
      assert.match(r.body.toString(), /ERR_REVOKED/);
    } finally {
      await pinned.server.close();
      pinned.steward.close();
    }
  });

  test('100 concurrent CSRs are all certified, each with its own serial', T, async () => {
    const csrs = await Promise.all(Array.from({ length: 100 }, () => makeCsr(sim)));
    const answers = await Promise.all(csrs.map((c) => postCsr(server.url, c.der, 'application/pem-certificate-chain')));
    assert.deepEqual(answers.map((a) => a.status), Array(100).fill(200));
    const serials = new Set(answers.map((a) => chainOf(a.body.toString())[0]!.serialNumber));
    assert.equal(serials.size, 100);
  });
});

describe('refusals', () => {
  async function refused(der: Uint8Array, status: number, code: string, url = server.url): Promise<void> {
    const r = await postCsr(url, der);
    assert.equal(r.status, status, r.body.toString());
    assert.equal(r.code, code, r.body.toString());
  }

  test('a CSR whose signature is wrong', T, async () => {
    const { der } = await makeCsr(sim);
    const bad = new Uint8Array(der);
    bad[bad.length - 5]! ^= 0x01;
    await refused(bad, 400, 'ERR_CSR_SIGNATURE');
  });

  test('evidence for another key', T, async () => {
    const other = await makeCsr(sim);
    const { der } = await makeCsr(sim, { evidence: other.evidence });
    await refused(der, 403, 'ERR_REPORT_DATA');
  });

  test('an unknown measurement', T, async () => {
    const { der } = await makeCsr(sim, { measurement: new Uint8Array(48).fill(7) });
    await refused(der, 403, 'ERR_MEASUREMENT');
  });

  test('the simulator without --allow-sim', T, async () => {
    const strict = await startSteward({ allowSim: false });
    try {
      await refused((await makeCsr(sim)).der, 403, 'ERR_POLICY', strict.server.url);
    } finally {
      await strict.server.close();
      strict.steward.close();
    }
  });

  test('a TEE in debug mode', T, async () => {
    const { der } = await makeCsr(sim, { evidenceFor: (rd) => debugEvidence(sim, rd) });
    await refused(der, 403, 'ERR_POLICY');
    const lenient = await startSteward({ allowSim: true }, 'allow_debug = true\n');
    try {
      const again = await makeCsr(sim, { evidenceFor: (rd) => debugEvidence(sim, rd) });
      assert.equal((await postCsr(lenient.server.url, again.der)).status, 200);
    } finally {
      await lenient.server.close();
      lenient.steward.close();
    }
  });

  test('a TCB older than the policy accepts', T, async () => {
    const old = await startSteward({ allowSim: true }, '[min_tcb]\nsnp = 250\n');
    try {
      await refused((await makeCsr(sim)).der, 403, 'ERR_TCB', old.server.url);
    } finally {
      await old.server.close();
      old.steward.close();
    }
  });

  test('a name the policy does not allow', T, async () => {
    await refused((await makeCsr(sim, { dnsNames: ['bank.example.com'] })).der, 403, 'ERR_NAME_NOT_ALLOWED');
    await refused((await makeCsr(sim, { uris: ['spiffe://example.org/admin'] })).der, 403, 'ERR_NAME_NOT_ALLOWED');
  });

  test('malformed DER, a wrong content type, an oversized body', T, async () => {
    await refused(new Uint8Array([0x30, 0x82, 0x01]), 400, 'ERR_CSR_MALFORMED');
    const r = await fetch(server.url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    assert.equal(r.status, 415);
    await refused(new Uint8Array(300 * 1024), 413, 'ERR_TOO_LARGE');
  });

  test('replayed evidence', T, async () => {
    const { der } = await makeCsr(sim);
    assert.equal((await postCsr(server.url, der)).status, 200);
    await refused(der, 409, 'ERR_REPLAYED');
    const last = steward.state.auditLog(1)[0]!;
    assert.equal(last.event, 'refused');
    assert.equal(last.code, 'ERR_REPLAYED');
  });
});

test('the steward keeps its CA across a restart', T, async () => {
  const dir = tempDir('steward-restart');
  const first = await startSteward({ allowSim: true }, undefined, dir);
  const pem = await (await fetch(`${first.server.url}/ca.pem`)).text();
  await first.server.close();
  first.steward.close();
  const second = await startSteward({ allowSim: true }, undefined, dir);
  try {
    assert.equal(await (await fetch(`${second.server.url}/ca.pem`)).text(), pem);
  } finally {
    await second.server.close();
    second.steward.close();
  }
});

/** A CRL by the simulated platform's ARK that revokes its ASK (RSA-PSS-SHA384, as AMD signs them). */
function revokingCrl(simStateDir: string): Uint8Array {
  const dir = join(simStateDir, readdirSync(simStateDir).find((d) => existsSync(join(simStateDir, d, 'ark.key'))) ?? '.');
  const key = createPrivateKey(readFileSync(join(dir, 'ark.key')));
  const ark = parseCertificates(readFileSync(join(dir, 'ark.pem')))[0]!;
  const ask = parseCertificates(readFileSync(join(dir, 'ask.pem')))[0]!;
  const now = Date.now();
  const tbs = seq(
    int(1),
    algorithmIdentifier('rsa-pss-sha384'),
    Buffer.from(ark.subjectName, 'hex'),
    time(new Date(now - 3_600_000)),
    time(new Date(now + 86_400_000)),
    seq(seq(int(BigInt(`0x${ask.serialNumber}`)), time(new Date(now - 60_000)))),
  );
  return seq(tbs, algorithmIdentifier('rsa-pss-sha384'), bits(signWith('rsa-pss-sha384', key, tbs)));
}
