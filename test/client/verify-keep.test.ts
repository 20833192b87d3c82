import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { keepReportData } from '../../src/attestation/binding.js';
import { AttestationError } from '../../src/attestation/errors.js';
import { createBackend } from '../../src/backend/index.js';
import type { Backend } from '../../src/backend/index.js';
import type { Evidence } from '../../src/protocol/evidence.js';
import { verifyKeep } from '../../src/client/verify-keep.js';
import type { KeepTrustPolicy } from '../../src/client/verify-keep.js';
import { DEFAULT_SUITE } from '../../src/crypto/suites.js';
import type { ReferenceValue } from '../../src/attestation/reference-values.js';
import { SKIP_NO_VECTORS, readVector } from '../support/vectors.js';

let stateDir: string;
let sim: Backend;
const measurement = new Uint8Array(createHash('sha384').update('a runtime').digest());
const reference: ReferenceValue = { measurement: Buffer.from(measurement).toString('hex'), runtime: 'enarx-ts', release: 'test', backend: 'sim' };

before(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'enarx-verify-keep-'));
  sim = createBackend('sim', { stateDir });
});
after(() => rmSync(stateDir, { recursive: true, force: true }));

async function keepClaim(opts: { launched?: Uint8Array } = {}) {
  const nonce = randomBytes(32);
  const publicKey = randomBytes(32);
  const evidence = await sim.attest(keepReportData(nonce, DEFAULT_SUITE.kemId, publicKey), { measurement: opts.launched ?? measurement });
  return { nonce, publicKey, suite: DEFAULT_SUITE, evidence };
}

function policy(evidence: Evidence, extra: Partial<KeepTrustPolicy> = {}): KeepTrustPolicy {
  return { sim: { roots: evidence.trustRoots ?? [] }, referenceValues: [reference], ...extra };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AttestationError, String(e));
    return e.code;
  }
  return 'accepted';
}

test('a sim keep with a listed measurement, this nonce and this key is accepted as tee sim', async () => {
  const claim = await keepClaim();
  const accepted = await verifyKeep(claim, policy(claim.evidence));
  assert.equal(accepted.appraisal?.tee, 'sim');
  assert.equal(accepted.reference?.release, 'test');
  assert.equal(accepted.appraisal?.measurement, reference.measurement);
});

test('sim evidence is refused unless the client opts in, and its root must be trusted', async () => {
  const claim = await keepClaim();
  const { sim: _, ...refusing } = policy(claim.evidence);
  assert.equal(await code(verifyKeep(claim, refusing)), 'ERR_POLICY');
  assert.equal(await code(verifyKeep(claim, policy(claim.evidence, { sim: { roots: [] } }))), 'ERR_CHAIN');
  // `presented`: whichever root the evidence carries (the host's word: pin one to detect a swap).
  assert.equal(await code(verifyKeep(claim, policy(claim.evidence, { sim: 'presented' }))), 'accepted');
  assert.equal(await code(verifyKeep({ ...claim, evidence: { ...claim.evidence, trustRoots: [] } }, policy(claim.evidence, { sim: 'presented' }))), 'ERR_CHAIN');
});

test('a nil keep is refused unless --insecure-nil', async () => {
  const nil = await createBackend('nil').attest(new Uint8Array(64), { measurement });
  const claim = { nonce: randomBytes(32), publicKey: randomBytes(32), suite: DEFAULT_SUITE, evidence: nil };
  assert.equal(await code(verifyKeep(claim, policy(nil))), 'ERR_POLICY');
  assert.deepEqual(await verifyKeep(claim, policy(nil, { insecureNil: true })), { appraisal: undefined, reference: undefined });
});

test('evidence replayed for another nonce or another key is refused', async () => {
  const claim = await keepClaim();
  assert.equal(await code(verifyKeep({ ...claim, nonce: randomBytes(32) }, policy(claim.evidence))), 'ERR_REPORT_DATA');
  assert.equal(await code(verifyKeep({ ...claim, publicKey: randomBytes(32) }, policy(claim.evidence))), 'ERR_REPORT_DATA');
});

test('a runtime whose measurement is not in the reference values is refused', async () => {
  const claim = await keepClaim({ launched: new Uint8Array(48).fill(7) });
  assert.equal(await code(verifyKeep(claim, policy(claim.evidence))), 'ERR_MEASUREMENT');
  const hex = '07'.repeat(48);
  assert.equal(await code(verifyKeep(claim, policy(claim.evidence, { measurements: [hex] }))), 'accepted');
  // A reference value for another backend does not count.
  assert.equal(await code(verifyKeep(claim, policy(claim.evidence, { referenceValues: [{ ...reference, measurement: hex, backend: 'snp' }] }))), 'ERR_MEASUREMENT');
});

test('a tampered report is refused', async () => {
  const claim = await keepClaim();
  const report = new Uint8Array(claim.evidence.report);
  report[0x90] = report[0x90]! ^ 1; // the measurement
  const evidence = { ...claim.evidence, report };
  assert.equal(await code(verifyKeep({ ...claim, evidence }, policy(evidence))), 'ERR_SNP_SIGNATURE');
});

test('a stale TCB is refused before anything is sent', async () => {
  const claim = await keepClaim();
  const tcb = (await verifyKeep(claim, policy(claim.evidence))).appraisal!.tcb;
  const snp = Number(tcb['snp'] ?? tcb['reported.snp'] ?? 0);
  assert.equal(await code(verifyKeep(claim, policy(claim.evidence, { minTcb: { snp: snp + 1 } }))), 'ERR_TCB_OUTDATED');
  assert.equal(await code(verifyKeep(claim, policy(claim.evidence, { minTcb: { snp } }))), 'accepted');
});

test('a keep in debug mode is refused (real SEV-SNP evidence with DEBUG=1)', { skip: SKIP_NO_VECTORS }, async () => {
  const evidence: Evidence = {
    backend: 'snp',
    format: 'sev-snp',
    report: readVector('sev-snp/go-sev-guest/attestation.bin'),
    certs: [readVector('sev-snp/go-sev-guest/vcek.testcer')],
  };
  const claim = { nonce: randomBytes(32), publicKey: randomBytes(32), suite: DEFAULT_SUITE, evidence };
  const got = await code(verifyKeep(claim, { referenceValues: [], now: new Date('2024-01-01T00:00:00Z') }));
  assert.ok(got === 'ERR_DEBUG' || got === 'ERR_REPORT_DATA', got);
  // Even when debug is allowed the nonce binding still fails: this evidence is not for this deploy.
  assert.equal(await code(verifyKeep(claim, { referenceValues: [], allowDebug: true, now: new Date('2024-01-01T00:00:00Z') })), 'ERR_REPORT_DATA');
});

test('a trusted non-root certificate (a sim ASK beside its ARK) is an intermediate: the chain ends at the ARK', async () => {
  const claim = await keepClaim();
  const [vcek, ask, ark] = claim.evidence.certs;
  const { verifyEvidence } = await import('../../src/attestation/verify.js');
  const { sha256Hex } = await import('../../src/attestation/pki/index.js');
  const appraisal = await verifyEvidence(claim.evidence.report, { certs: [vcek!], trustRoots: [ark!, ask!] });
  assert.equal(appraisal.chain.length, 3);
  assert.equal(appraisal.chain[2]!.sha256, sha256Hex(ark!));
  // The ASK alone is not a root.
  await assert.rejects(verifyEvidence(claim.evidence.report, { certs: [vcek!], trustRoots: [ask!] }), { code: 'ERR_CHAIN' });
});
