/**
 * Every SEV-SNP vector of ../shared/vectors gives the verdict its MANIFEST states.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { verifySnp, type SnpVerifyOptions } from '../../../src/attestation/snp/verify.js';
import { parseSnpReport } from '../../../src/attestation/snp/report.js';
import { parseCertTable } from '../../../src/attestation/snp/certtable.js';
import { amdKeyInfo, matchKeyToReport } from '../../../src/attestation/snp/vcek.js';
import { decodeTcbVersion } from '../../../src/attestation/snp/tcb.js';
import { parseCertificate } from '../../../src/attestation/pki/certificate.js';
import { AttestationError } from '../../../src/attestation/errors.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';

const skip = SKIP_NO_VECTORS;
/** A time at which every staged AMD certificate except the 2024 VLEK is valid. */
const NOW = new Date('2026-01-01T00:00:00Z');
const VLEK_NOW = new Date('2025-06-01T00:00:00Z');

async function codeOf(report: string, certs: string[], opts: SnpVerifyOptions = {}): Promise<string> {
  try {
    await verifySnp(readVector(report), { certs: certs.map(readVector), now: NOW, ...opts });
  } catch (err) {
    assert.ok(err instanceof AttestationError, `expected AttestationError, got ${String(err)}`);
    return err.code;
  }
  return 'accepted';
}

const VALID: readonly [string, string[], string, SnpVerifyOptions?][] = [
  ['sev-snp/go-sev-guest/attestation.bin', ['sev-snp/go-sev-guest/vcek.testcer'], 'Milan', { allowDebug: true }],
  ['sev-snp/virtee-sev/report_milan.bin', ['sev-snp/virtee-sev/vcek_milan.der'], 'Milan'],
  ['sev-snp/trustee/test-report.bin', ['sev-snp/trustee/test-vcek.der'], 'Milan'],
  ['sev-snp/trustee/test-vlek-report.bin', ['sev-snp/trustee/test-vlek.der'], 'Milan', { now: VLEK_NOW }],
  ['sev-snp/trustee-azure/az-milan-snp-report.bin', ['sev-snp/trustee-azure/az-milan-vcek-chain.pem'], 'Milan'],
  ['sev-snp/trustee-azure/az-genoa-snp-report.bin', ['sev-snp/trustee-azure/az-genoa-vcek.pem'], 'Genoa'],
  ['sev-snp/teekit-gcp/sev-gcp.bin', ['sev-snp/teekit-gcp/sev-gcp-vcek.pem'], 'Milan'],
  ['sev-snp/teekit-gcp/sev-gcp.bin', ['sev-snp/teekit-gcp/sev-gcp-x25519-vcek.pem'], 'Milan'],
  ['sev-snp/teekit-gcp/sev-gcp-reportdata.bin', ['sev-snp/teekit-gcp/sev-gcp-vcek.pem'], 'Milan'],
  ['sev-snp/teekit-gcp/sev-gcp-x25519-bound.bin', ['sev-snp/teekit-gcp/sev-gcp-x25519-vcek.pem'], 'Milan'],
  ['sev-snp/oak/turin_oc_report.bin', ['sev-snp/oak/turin_oc_vcek.der'], 'Turin'],
  ['sev-snp/oak/genoa_oc_report.bin', ['sev-snp/oak/genoa_oc_vcek.der'], 'Genoa'],
  ['sev-snp/oak/milan_oc_release_report.bin', ['sev-snp/oak/milan_oc_release_vcek.der'], 'Milan'],
];

test('valid vectors verify with only the VCEK/VLEK (built-in AMD roots)', { skip }, async () => {
  for (const [report, certs, product, opts] of VALID) {
    const a = await verifySnp(readVector(report), { certs: certs.map(readVector), now: NOW, ...opts });
    assert.equal(a.tee, 'sev-snp', report);
    assert.equal(a.product, product, report);
    assert.equal(a.tcbStatus, 'UpToDate');
    assert.deepEqual(a.advisories, []);
    assert.equal(a.chain.length, 3, report);
    assert.equal(a.chain[2]!.subject.endsWith(`CN=ARK-${product}`), true, report);
    assert.ok(Object.isFrozen(a));
  }
});

test('decoded fields match the manifest', { skip }, async () => {
  const gsg = await verifySnp(readVector('sev-snp/go-sev-guest/attestation.bin'), {
    certs: [readVector('sev-snp/go-sev-guest/vcek.testcer')],
    now: new Date('2022-09-24T01:00:00Z'),
    allowDebug: true,
  });
  assert.equal(gsg.debug, true);
  assert.equal(gsg.reportData, '0102030405' + '00'.repeat(59));
  assert.ok(gsg.measurement.startsWith('b07af962') && gsg.measurement.endsWith('872b01'));
  assert.deepEqual([gsg.tcb['bootloader'], gsg.tcb['tee'], gsg.tcb['snp'], gsg.tcb['microcode']], [2, 0, 5, 68]);
  assert.equal(gsg.tcb['firmware'], '1.49.3');
  assert.equal(gsg.details['version'], 2);
  assert.ok(String(gsg.details['chipId']).startsWith('3ac3fe21'));

  const turin = await verifySnp(readVector('sev-snp/oak/turin_oc_report.bin'), { certs: [readVector('sev-snp/oak/turin_oc_vcek.der')], now: NOW });
  assert.deepEqual(
    [turin.tcb['fmc'], turin.tcb['bootloader'], turin.tcb['tee'], turin.tcb['snp'], turin.tcb['microcode']],
    [0, 1, 0, 2, 71],
  );
  assert.equal(turin.tcb['reportedTcb'], '4700000002000100');
  assert.equal(turin.details['chipId'], '3b42092f69c656d3' + '00'.repeat(56));

  const trustee = await verifySnp(readVector('sev-snp/trustee/test-report.bin'), { certs: [readVector('sev-snp/trustee/test-vcek.der')], now: NOW });
  assert.equal(trustee.tcb['currentTcb'], 'ce08000000000003');
  assert.equal(trustee.tcb['reportedTcb'], '7308000000000003');
  assert.equal(trustee.tcb['guestSvn'], 4);

  const vlek = await verifySnp(readVector('sev-snp/trustee/test-vlek-report.bin'), { certs: [readVector('sev-snp/trustee/test-vlek.der')], now: VLEK_NOW, vmpl: 1 });
  assert.equal(vlek.details['signingKey'], 'VLEK');
  assert.equal(String(vlek.details['cspId']).toLowerCase(), 'cn=cc-us-east-2.amazonaws.com');
  assert.equal(vlek.tcb['microcode'], 217);

  const gcp = await verifySnp(readVector('sev-snp/teekit-gcp/sev-gcp.bin'), { certs: [readVector('sev-snp/teekit-gcp/sev-gcp-vcek.pem')], now: NOW });
  assert.equal(gcp.details['launchMitVector'], '000000000000000b');
  assert.equal(gcp.tcb['firmware'], '1.55.35');
});

test('report data binding: sev-gcp-x25519-bound carries SHA-512(nonce ‖ x25519 key)', { skip }, async () => {
  const txt = readVector('sev-snp/teekit-gcp/sev-gcp-x25519-bound.txt').toString('utf8');
  const field = (name: string): Buffer => Buffer.from(new RegExp(`${name}\\s*[=:]\\s*([0-9a-fA-F]+)`).exec(txt)![1]!, 'hex');
  const expected = createHash('sha512').update(Buffer.concat([field('NONCE'), field('X25519_KEY')])).digest();
  const opts = { certs: [readVector('sev-snp/teekit-gcp/sev-gcp-vcek.pem')], now: NOW };
  const a = await verifySnp(readVector('sev-snp/teekit-gcp/sev-gcp-x25519-bound.bin'), { ...opts, reportData: expected });
  assert.equal(a.reportData, expected.toString('hex'));
  const wrong = Buffer.from(expected);
  wrong[63]! ^= 1;
  await assert.rejects(verifySnp(readVector('sev-snp/teekit-gcp/sev-gcp-x25519-bound.bin'), { ...opts, reportData: wrong }), { code: 'ERR_REPORT_DATA' });
});

test('go-sev-guest attestation.bin is refused for DEBUG by default', { skip }, async () => {
  assert.equal(await codeOf('sev-snp/go-sev-guest/attestation.bin', ['sev-snp/go-sev-guest/vcek.testcer']), 'ERR_DEBUG');
});

test('the 2024 VLEK is expired today', { skip }, async () => {
  assert.equal(await codeOf('sev-snp/trustee/test-vlek-report.bin', ['sev-snp/trustee/test-vlek.der']), 'ERR_EXPIRED');
});

test('negative vectors: tampered reports fail the signature', { skip }, async () => {
  assert.equal(await codeOf('negative/sev-snp/virtee_report_milan_byte21_xor80.bin', ['sev-snp/virtee-sev/vcek_milan.der']), 'ERR_SNP_SIGNATURE');
  assert.equal(await codeOf('negative/sev-snp/trustee_test-report_byte42_plus1.bin', ['sev-snp/trustee/test-vcek.der']), 'ERR_SNP_SIGNATURE');
  assert.equal(await codeOf('negative/sev-snp/trustee_test-report_byte384_plus1.bin', ['sev-snp/trustee/test-vcek.der']), 'ERR_SNP_SIGNATURE');
  assert.equal(
    await codeOf('negative/sev-snp/trustee_test-vlek-report_byte42_plus1.bin', ['sev-snp/trustee/test-vlek.der'], { now: VLEK_NOW }),
    'ERR_SNP_SIGNATURE',
  );
});

test('negative vectors: REPORTED_TCB +1 no longer matches the VCEK SPLs', { skip }, () => {
  const report = parseSnpReport(readVector('negative/sev-snp/trustee_test-report_byte384_plus1.bin'));
  const info = amdKeyInfo(parseCertificate(readVector('sev-snp/trustee/test-vcek.der')));
  const tcb = decodeTcbVersion(report.reportedTcb, 'Milan');
  assert.throws(() => matchKeyToReport(info, report, 'Milan', tcb), { code: 'ERR_TCB_MISMATCH' });
});

test('negative vectors: tampered VCEKs fail the chain', { skip }, async () => {
  assert.equal(await codeOf('sev-snp/trustee/test-report.bin', ['negative/sev-snp/trustee_test-vcek_byte42_plus1.der']), 'ERR_CHAIN');
  assert.equal(await codeOf('sev-snp/virtee-sev/report_milan.bin', ['negative/sev-snp/virtee_vcek_milan_byte40_xorff.der']), 'ERR_CHAIN');
  assert.equal(await codeOf('sev-snp/trustee/test-report.bin', ['sev-snp/trustee/test-vcek-invalid-legacy.der']), 'ERR_CHAIN');
  assert.equal(await codeOf('sev-snp/trustee/test-report.bin', ['sev-snp/trustee/test-vcek-invalid-new.der']), 'ERR_CHAIN');
});

test('pairing negatives', { skip }, async () => {
  // Another chip's VCEK.
  assert.equal(await codeOf('sev-snp/trustee/test-report.bin', ['sev-snp/virtee-sev/vcek_milan.der']), 'ERR_SNP_SIGNATURE');
  // A Milan VCEK with the Genoa or Turin ASK/ARK.
  for (const other of ['genoa', 'turin_vcek']) {
    assert.equal(
      await codeOf('sev-snp/virtee-sev/report_milan.bin', ['sev-snp/virtee-sev/vcek_milan.der', `sev-snp/amd-kds-chains/go-sev-guest__ask_ark_${other}.pem`]),
      'ERR_CHAIN',
    );
  }
  // A VLEK with the VCEK ASK (SEV-Milan) instead of SEV-VLEK-Milan.
  assert.equal(
    await codeOf('sev-snp/trustee/test-vlek-report.bin', ['sev-snp/trustee/test-vlek.der', 'sev-snp/amd-kds-chains/go-sev-guest__ask_ark_milan.pem'], { now: VLEK_NOW }),
    'ERR_CHAIN',
  );
  // ...and it verifies with the right one.
  assert.equal(
    await codeOf('sev-snp/trustee/test-vlek-report.bin', ['sev-snp/trustee/test-vlek.der', 'sev-snp/amd-kds-chains/go-sev-guest__ask_ark_milan_vlek.pem'], { now: VLEK_NOW }),
    'accepted',
  );
  // A bundle in any order: the signer is the end-entity certificate, wherever it sits.
  assert.equal(
    await codeOf('sev-snp/trustee/test-vlek-report.bin', ['sev-snp/amd-kds-chains/trustee__milan_ask_ark_asvk.pem', 'sev-snp/trustee/test-vlek.der'], { now: VLEK_NOW }),
    'accepted',
  );
  // A VCEK report verified against the VLEK of the same platform (kind mismatch: signature fails).
  assert.equal(await codeOf('sev-snp/trustee/test-report.bin', ['sev-snp/trustee/test-vlek.der'], { now: VLEK_NOW }), 'ERR_SNP_SIGNATURE');
  // The wrong product named by the caller (GSG's product mismatch).
  assert.equal(await codeOf('sev-snp/oak/genoa_oc_report.bin', ['sev-snp/oak/genoa_oc_vcek.der'], { product: 'Milan' }), 'ERR_POLICY');
  // Without AMD's roots nothing real verifies.
  assert.equal(await codeOf('sev-snp/virtee-sev/report_milan.bin', ['sev-snp/virtee-sev/vcek_milan.der'], { ignoreBuiltInRoots: true }), 'ERR_CHAIN');
});

test('veraison configfs-tsm evidence: outblob verifies with the VCEK from the auxblob cert table', { skip }, async () => {
  const table = parseCertTable(readVector('sev-snp/veraison-tsm/auxblob.bin'));
  assert.ok(table.vcek && table.ask && table.ark);
  assert.equal(table.ark.sha256, '4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1');
  assert.equal(table.vlek, undefined);
  const a = await verifySnp(readVector('sev-snp/veraison-tsm/outblob.bin'), { certs: [table.vcek, table.ask, table.ark], now: NOW });
  assert.equal(a.product, 'Genoa');
  assert.equal(Buffer.from(a.reportData, 'hex').toString('latin1'), 'MIDBNH28iioisjPyxxxxxxxxxxxxxxxx'.repeat(2));
});
