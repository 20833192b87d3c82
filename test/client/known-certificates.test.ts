import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { keepReportData } from '../../src/attestation/binding.js';
import { AttestationError } from '../../src/attestation/errors.js';
import { Certificate } from '../../src/attestation/pki/index.js';
import { createBackend } from '../../src/backend/index.js';
import type { Backend } from '../../src/backend/index.js';
import { KnownCertificates } from '../../src/client/known-certificates.js';
import { verifyKeep } from '../../src/client/verify-keep.js';
import { DEFAULT_SUITE } from '../../src/crypto/suites.js';
import type { ReferenceValue } from '../../src/attestation/reference-values.js';

let stateDir: string;
let sim: Backend;
const measurement = new Uint8Array(createHash('sha384').update('a runtime').digest());
const reference: ReferenceValue = { measurement: Buffer.from(measurement).toString('hex'), runtime: 'enarx-ts', release: 'test', backend: 'sim' };

before(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'enarx-known-certs-'));
  sim = createBackend('sim', { stateDir });
});
after(() => rmSync(stateDir, { recursive: true, force: true }));

async function claim() {
  const nonce = randomBytes(32);
  const publicKey = randomBytes(32);
  const evidence = await sim.attest(keepReportData(nonce, DEFAULT_SUITE.kemId, publicKey), { measurement });
  return { nonce, publicKey, suite: DEFAULT_SUITE, evidence };
}

test("the sim platform says in advance which certificates its evidence carries", async () => {
  const c = await claim();
  const ahead = await sim.certificates!();
  assert.deepEqual(ahead.certs.map((d) => Buffer.from(d).toString('hex')), c.evidence.certs.map((d) => Buffer.from(d).toString('hex')));
  assert.deepEqual(ahead.trustRoots, c.evidence.trustRoots);
});

test('learned certificates resolve by exact bytes, and their chain signatures are recorded', async () => {
  const known = new KnownCertificates();
  const { certs, trustRoots } = await sim.certificates!();
  await known.learn([...certs, ...(trustRoots ?? [])]);
  assert.equal(known.size, 3);
  for (const der of certs) {
    const cert = known.resolve(der);
    assert.ok(cert instanceof Certificate);
    assert.deepEqual(Buffer.from(cert.toDer()), Buffer.from(der));
  }
  const [vcek, ask, ark] = certs.map((d) => known.resolve(d) as Certificate);
  assert.ok(known.signatures.has(vcek!.sha256, ask!.sha256));
  assert.ok(known.signatures.has(ask!.sha256, ark!.sha256));
  assert.ok(known.signatures.has(ark!.sha256, ark!.sha256));
  assert.ok(!known.signatures.has(vcek!.sha256, ark!.sha256));
  // One changed byte is another certificate: not resolved.
  const other = new Uint8Array(certs[0]!);
  other[other.length - 1]! ^= 1;
  assert.equal(known.resolve(other), other);
});

test('learning garbage records nothing and does not throw', async () => {
  const known = new KnownCertificates();
  await known.learn([randomBytes(40), new Uint8Array(0)]);
  assert.equal(known.size, 0);
});

test('a client with known certificates decides exactly as one without', async () => {
  const known = new KnownCertificates();
  const { certs, trustRoots } = await sim.certificates!();
  await known.learn([...certs, ...(trustRoots ?? [])]);
  const c = await claim();
  const base = { sim: { roots: c.evidence.trustRoots ?? [] }, referenceValues: [reference] };
  const plain = await verifyKeep(c, base);
  const warm = await verifyKeep(c, base, known);
  assert.deepEqual(warm.appraisal, plain.appraisal);
  // Refusals stay refusals: a tampered report, and a root the client does not trust.
  const report = new Uint8Array(c.evidence.report);
  report[0x90]! ^= 1;
  await assert.rejects(verifyKeep({ ...c, evidence: { ...c.evidence, report } }, base, known), (e: unknown) => e instanceof AttestationError && e.code === 'ERR_SNP_SIGNATURE');
  await assert.rejects(verifyKeep(c, { ...base, sim: { roots: [] } }, known), (e: unknown) => e instanceof AttestationError && e.code === 'ERR_CHAIN');
});
