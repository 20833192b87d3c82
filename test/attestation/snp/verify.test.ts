/**
 * verifySnp against the self-made vectors (test/vectors/snp): chain, CRLs, signature, TCB binding
 * and every policy option. Runs on a fresh clone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifySnp, verifySnpSync, type SnpVerifyOptions } from '../../../src/attestation/snp/verify.js';
import { AttestationError } from '../../../src/attestation/errors.js';
import { SELF_MANIFEST, SELF_NOW, readSelf, selfOptions, signedVariant } from '../support/snp-vectors.js';

function code(report: Uint8Array, opts: SnpVerifyOptions): string {
  try {
    verifySnpSync(report, opts);
  } catch (err) {
    assert.ok(err instanceof AttestationError, `expected AttestationError, got ${String(err)}`);
    return err.code;
  }
  return 'accepted';
}

test('self-made Milan and Turin reports verify, with the expected fields', async () => {
  for (const p of ['milan', 'turin'] as const) {
    const m = SELF_MANIFEST[p];
    for (const name of m.reports.filter((r) => !r.includes('debug') && !r.includes('vlek'))) {
      const a = await verifySnp(readSelf(name), selfOptions(p));
      assert.equal(a.product, m.product, name);
      assert.equal(a.measurement, m.measurement);
      assert.equal(a.reportData, m.reportData);
      assert.equal(a.tcb['reportedTcb'], m.reportedTcb);
      for (const [k, v] of Object.entries(m.tcb)) assert.equal(a.tcb[k], v, `${name} ${k}`);
      assert.equal(a.chain.length, 3);
      assert.equal(a.details['signingKey'], 'VCEK');
    }
    const vlek = await verifySnp(readSelf(`${p}-report-vlek.bin`), selfOptions(p, 'vlek', { vmpl: 1 }));
    assert.equal(vlek.details['signingKey'], 'VLEK');
    assert.equal(vlek.details['cspId'], 'cn=test.enarx.invalid');
  }
});

test('the v2 report takes its product from the VCEK productName, or from the caller', () => {
  const v2 = readSelf('milan-report-v2.bin');
  assert.equal(code(v2, selfOptions('milan')), 'accepted');
  assert.equal(code(v2, selfOptions('milan', 'vcek', { product: 'Milan' })), 'accepted');
  assert.equal(code(v2, selfOptions('milan', 'vcek', { product: 'Genoa' })), 'ERR_TCB_MISMATCH');
});

test('a self-made root is trusted only when passed as a trust root', () => {
  const r = readSelf('milan-report-v5.bin');
  const { trustRoots: _, ...noRoot } = selfOptions('milan');
  assert.equal(code(r, noRoot), 'ERR_CHAIN');
  // Passing the ARK in the chain is not trusting it.
  assert.equal(code(r, { ...noRoot, certs: [readSelf('milan-vcek.der'), readSelf('milan-ask.pem'), readSelf('milan-ark.pem')] }), 'ERR_CHAIN');
  // The full chain, with its root trusted, verifies.
  assert.equal(code(r, selfOptions('milan', 'vcek', { certs: [readSelf('milan-vcek.der'), readSelf('milan-ask.pem'), readSelf('milan-ark.pem')] })), 'accepted');
  // Without the ASK the built-in AMD ASKs are tried and do not sign it.
  assert.equal(code(r, selfOptions('milan', 'vcek', { certs: [readSelf('milan-vcek.der')] })), 'ERR_CHAIN');
  // Only the leaf is no chain at all when nothing is supplied.
  assert.equal(code(r, selfOptions('milan', 'vcek', { certs: [] })), 'ERR_CHAIN');
  // Turin's root does not vouch for the Milan chain.
  assert.equal(code(r, selfOptions('milan', 'vcek', { trustRoots: [readSelf('turin-ark.pem')] })), 'ERR_CHAIN');
});

test('validity periods are judged at `now`', () => {
  const r = readSelf('milan-report-v5.bin');
  assert.equal(code(r, selfOptions('milan', 'vcek', { now: new Date('2025-05-01Z') })), 'ERR_EXPIRED');
  assert.equal(code(r, selfOptions('milan', 'vcek', { now: new Date('2033-01-01Z') })), 'ERR_EXPIRED');
});

test('CRLs: the ARK-signed CRL revoking the ASK rejects; an empty one accepts; a stale one is refused', () => {
  const r = readSelf('milan-report-v5.bin');
  assert.equal(code(r, selfOptions('milan', 'vcek', { crls: [readSelf('milan-crl-empty.der')] })), 'accepted');
  assert.equal(code(r, selfOptions('milan', 'vcek', { crls: [readSelf('milan-crl-ask-revoked.der')] })), 'ERR_REVOKED');
  assert.equal(code(r, selfOptions('milan', 'vcek', { crls: [readSelf('milan-crl-empty.der')], now: new Date('2027-01-01Z') })), 'ERR_EXPIRED');
  // Turin's CRL has another issuer: it does not apply to the Milan chain.
  assert.equal(code(r, selfOptions('milan', 'vcek', { crls: [readSelf('turin-crl-ask-revoked.der')] })), 'accepted');
  assert.equal(code(r, selfOptions('milan', 'vcek', { crls: [new Uint8Array([1, 2, 3])] })), 'ERR_COLLATERAL');
});

test('the report must be signed by the key it names, and that key must certify its TCB', () => {
  // VCEK-signed report, but the flags say VLEK.
  assert.equal(code(signedVariant('milan', { signingKey: 'VLEK' }), selfOptions('milan')), 'ERR_TCB_MISMATCH');
  // Signed by the VCEK's key with a different REPORTED_TCB.
  assert.equal(code(signedVariant('milan', { reportedTcb: 0xd918000000000005n }), selfOptions('milan')), 'ERR_TCB_MISMATCH');
  // Turin: FMC is part of the binding.
  const turinTcb = BigInt('0x' + SELF_MANIFEST.turin.reportedTcb);
  assert.equal(code(signedVariant('turin', { reportedTcb: turinTcb + 1n }), selfOptions('turin')), 'ERR_TCB_MISMATCH');
  // Another chip id.
  const chip = new Uint8Array(64).fill(7);
  assert.equal(code(signedVariant('milan', { chipId: chip }), selfOptions('milan')), 'ERR_TCB_MISMATCH');
  // Turin uses 8 bytes; anything after them must be zero.
  const turinChip = Uint8Array.of(...Buffer.from(SELF_MANIFEST.turin.hwId, 'hex'), 1, ...new Uint8Array(55));
  assert.equal(code(signedVariant('turin', { chipId: turinChip }), selfOptions('turin')), 'ERR_TCB_MISMATCH');
  // A masked chip id is not compared.
  assert.equal(code(signedVariant('milan', { chipId: new Uint8Array(64) }), selfOptions('milan')), 'accepted');
  // CPUID saying Genoa while the VCEK is for Milan.
  assert.equal(code(signedVariant('milan', { cpuid: { family: 0x19, model: 0x11, stepping: 1 } }), selfOptions('milan')), 'ERR_TCB_MISMATCH');
  // Unsigned reports are refused.
  assert.equal(code(signedVariant('milan', { signingKey: 'none' }), selfOptions('milan')), 'ERR_SNP_SIGNATURE');
});

test('policy: debug, migration agent, SMT, VMPL', () => {
  const o = selfOptions('milan');
  assert.equal(code(readSelf('milan-report-debug.bin'), o), 'ERR_DEBUG');
  assert.equal(code(readSelf('milan-report-debug.bin'), { ...o, allowDebug: true }), 'accepted');
  const ma = signedVariant('milan', { policy: 0x070000 });
  assert.equal(code(ma, o), 'ERR_POLICY');
  assert.equal(code(ma, { ...o, allowMigrationAgent: true }), 'accepted');
  const maId = signedVariant('milan', { reportIdMa: new Uint8Array(32).fill(1) });
  assert.equal(code(maId, o), 'ERR_POLICY');
  const smt = signedVariant('milan', { platformInfo: 0x1n });
  assert.equal(code(smt, o), 'accepted');
  assert.equal(code(smt, { ...o, allowSmt: false }), 'ERR_POLICY');
  assert.equal(code(signedVariant('milan', { platformInfo: 0x0n }), { ...o, allowSmt: false }), 'accepted');
  assert.equal(code(signedVariant('milan', { vmpl: 2 }), { ...o, vmpl: 0 }), 'ERR_POLICY');
  assert.equal(code(signedVariant('milan', { vmpl: 2 }), { ...o, vmpl: 2 }), 'accepted');
});

test('policy: minimum TCB per component', () => {
  const o = selfOptions('milan');
  const r = readSelf('milan-report-v5.bin');
  assert.equal(code(r, { ...o, minTcb: { bootloader: 4, snp: 24, microcode: 217 } }), 'accepted');
  assert.equal(code(r, { ...o, minTcb: { snp: 25 } }), 'ERR_TCB_OUTDATED');
  assert.equal(code(r, { ...o, minTcb: { microcode: 218 } }), 'ERR_TCB_OUTDATED');
  // fmc does not exist on Milan, so a minimum for it does not apply.
  assert.equal(code(r, { ...o, minTcb: { fmc: 9 } }), 'accepted');
  const t = readSelf('turin-report-v5.bin');
  assert.equal(code(t, selfOptions('turin', 'vcek', { minTcb: { fmc: 2 } })), 'ERR_TCB_OUTDATED');
  assert.equal(code(t, selfOptions('turin', 'vcek', { minTcb: { fmc: 1 } })), 'accepted');
});

test('policy: measurement allowlist and report data', () => {
  const o = selfOptions('milan');
  const r = readSelf('milan-report-v5.bin');
  const m = SELF_MANIFEST.milan;
  assert.equal(code(r, { ...o, measurements: ['00'.repeat(48), m.measurement.toUpperCase()] }), 'accepted');
  assert.equal(code(r, { ...o, measurements: ['00'.repeat(48)] }), 'ERR_MEASUREMENT');
  assert.equal(code(r, { ...o, measurements: [] }), 'ERR_MEASUREMENT');
  assert.equal(code(r, { ...o, reportData: m.reportData }), 'accepted');
  assert.equal(code(r, { ...o, reportData: new Uint8Array(Buffer.from(m.reportData, 'hex')) }), 'accepted');
  const wrong = m.reportData.slice(0, 127) + (m.reportData.endsWith('0') ? '1' : '0');
  assert.equal(code(r, { ...o, reportData: wrong }), 'ERR_REPORT_DATA');
  // A shorter expectation means "these bytes, then zeros".
  const short = signedVariant('milan', { reportData: Uint8Array.of(1, 2, 3) });
  assert.equal(code(short, { ...o, reportData: '010203' }), 'accepted');
  assert.equal(code(short, { ...o, reportData: '0102' }), 'ERR_REPORT_DATA');
});

test('malformed options are the caller mistake: TypeError', () => {
  const r = readSelf('milan-report-v5.bin');
  const o = selfOptions('milan');
  assert.throws(() => verifySnpSync(r, { ...o, measurements: ['xyz'] }), TypeError);
  assert.throws(() => verifySnpSync(r, { ...o, reportData: 'abc' }), TypeError);
  assert.throws(() => verifySnpSync(r, { ...o, reportData: new Uint8Array(65) }), TypeError);
  assert.throws(() => verifySnpSync(r, { ...o, vmpl: 4 }), TypeError);
  assert.throws(() => verifySnpSync(r, { ...o, minTcb: { snp: 300 } }), TypeError);
  assert.throws(() => verifySnpSync(r, { ...o, now: new Date('nope') }), TypeError);
});

test('the appraisal is immutable and JSON-serialisable', async () => {
  const a = await verifySnp(readSelf('turin-report-v5.bin'), selfOptions('turin'));
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.tcb) && Object.isFrozen(a.details) && Object.isFrozen(a.chain));
  const j = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
  assert.equal(j['tee'], 'sev-snp');
  assert.equal(j['tcbStatus'], 'UpToDate');
  assert.equal((j['details'] as Record<string, unknown>)['launchMitVector'], '0000000000000003');
  assert.equal(SELF_NOW.toISOString(), '2026-01-01T00:00:00.000Z');
});
