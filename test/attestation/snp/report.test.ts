import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SNP_REPORT_SIZE, SnpOffset, parseSnpReport } from '../../../src/attestation/snp/report.js';
import { buildSnpReport } from '../../../src/attestation/snp/builder.js';
import { decodeTcbVersion, encodeTcbVersion } from '../../../src/attestation/snp/tcb.js';
import { productFromCpuid, productFromName, productFromCaName } from '../../../src/attestation/snp/product.js';
import { readSelf } from '../support/snp-vectors.js';

function mutate(base: Uint8Array, offset: number, value: number): Uint8Array {
  const b = new Uint8Array(base);
  b[offset] = value;
  return b;
}

test('parses the layout of a v5 report', () => {
  const r = parseSnpReport(readSelf('milan-report-v5.bin'));
  assert.equal(r.version, 5);
  assert.equal(r.guestSvn, 3);
  assert.equal(r.policyRaw, 0x30000);
  assert.equal(r.policy.smt, true);
  assert.equal(r.policy.debug, false);
  assert.equal(r.signingKey, 'VCEK');
  assert.deepEqual(r.cpuid, { family: 0x19, model: 0x01, stepping: 0x01 });
  assert.equal(r.cpuidProduct, 'Milan');
  assert.equal(r.reportIdMa, 'ff'.repeat(32));
  assert.equal(r.launchMitVector, 3n);
  assert.deepEqual(r.currentVersion, { major: 1, minor: 55, build: 21 });
  assert.equal(r.signatureP1363().length, 96);
  const v2 = parseSnpReport(readSelf('milan-report-v2.bin'));
  assert.equal(v2.cpuid, undefined);
  assert.equal(v2.cpuidProduct, undefined);
  assert.equal(v2.launchMitVector, undefined);
});

test('parsed reports are frozen copies', () => {
  const bytes = new Uint8Array(readSelf('milan-report-v5.bin'));
  const r = parseSnpReport(bytes);
  const measurement = r.measurement;
  bytes.fill(0xaa, SnpOffset.MEASUREMENT, SnpOffset.MEASUREMENT + 48);
  assert.equal(r.measurement, measurement);
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.policy));
  const copy = r.toBytes();
  copy[0] = 9;
  assert.equal(r.toBytes()[0], 5);
  assert.throws(() => {
    (r as unknown as { version: number }).version = 3;
  }, TypeError);
});

test('strict format checks give ERR_FORMAT', () => {
  const good = buildSnpReport({ version: 5 });
  assert.doesNotThrow(() => parseSnpReport(good));
  const bad: [string, Uint8Array][] = [
    ['short', good.subarray(0, SNP_REPORT_SIZE - 1)],
    ['long', Uint8Array.of(...good, 0)],
    ['empty', new Uint8Array(0)],
    ['version 1', mutate(good, 0, 1)],
    ['version 6', mutate(good, 0, 6)],
    ['policy bit 17 clear', mutate(good, SnpOffset.POLICY + 2, 0x01)],
    ['policy bit 26', mutate(good, SnpOffset.POLICY + 3, 0x04)],
    ['policy high dword', mutate(good, SnpOffset.POLICY + 7, 0x80)],
    ['vmpl 4', mutate(good, SnpOffset.VMPL, 4)],
    ['signature algo 2', mutate(good, SnpOffset.SIGNATURE_ALGO, 2)],
    ['signing key 2', mutate(good, SnpOffset.FLAGS, 2 << 2)],
    ['flags bit 5', mutate(good, SnpOffset.FLAGS, 0x20)],
    ['reserved 0x4C', mutate(good, 0x4c, 1)],
    ['reserved 0x18B', mutate(good, 0x18b, 1)],
    ['reserved 0x1EB', mutate(good, 0x1eb, 1)],
    ['reserved 0x1EF', mutate(good, 0x1ef, 1)],
    ['reserved 0x208', mutate(good, 0x208, 1)],
    ['reserved 0x29F', mutate(good, 0x29f, 1)],
    ['R high bytes', mutate(good, SnpOffset.SIGNATURE_R + 48, 1)],
    ['S high bytes', mutate(good, SnpOffset.SIGNATURE_S + 71, 1)],
    ['signature tail', mutate(good, 0x49f, 1)],
  ];
  for (const [what, bytes] of bad) assert.throws(() => parseSnpReport(bytes), { code: 'ERR_FORMAT' }, what);
  const v2 = buildSnpReport({ version: 2 });
  assert.throws(() => parseSnpReport(mutate(v2, SnpOffset.CPUID_FAM_ID, 0x19)), { code: 'ERR_FORMAT' }, 'CPUID in v2');
  assert.throws(() => parseSnpReport(mutate(v2, SnpOffset.LAUNCH_MIT_VECTOR, 1)), { code: 'ERR_FORMAT' }, 'MIT vector in v2');
  assert.throws(() => parseSnpReport(mutate(buildSnpReport({ version: 3 }), SnpOffset.CURRENT_MIT_VECTOR, 1)), { code: 'ERR_FORMAT' });
  // An unsigned report may carry SIGNATURE_ALGO 0.
  const unsigned = buildSnpReport({ signingKey: 'none' });
  assert.equal(parseSnpReport(mutate(unsigned, SnpOffset.SIGNATURE_ALGO, 0)).signingKey, 'none');
  assert.throws(() => parseSnpReport(mutate(good, SnpOffset.SIGNATURE_ALGO, 0)), { code: 'ERR_FORMAT' });
  assert.throws(() => parseSnpReport('x' as unknown as Uint8Array), TypeError);
});

test('TCB_VERSION layouts: Milan/Genoa vs Turin', () => {
  assert.deepEqual(decodeTcbVersion(0x7308000000000003n, 'Milan'), { bootloader: 3, tee: 0, snp: 8, microcode: 0x73 });
  assert.deepEqual(decodeTcbVersion(0x541700000000000an, 'Genoa'), { bootloader: 10, tee: 0, snp: 23, microcode: 84 });
  assert.deepEqual(decodeTcbVersion(0x4700000002000100n, 'Turin'), { fmc: 0, bootloader: 1, tee: 0, snp: 2, microcode: 71 });
  // Each layout's reserved bytes catch the other's values.
  assert.throws(() => decodeTcbVersion(0x4700000002000100n, 'Milan'), { code: 'ERR_FORMAT' });
  assert.throws(() => decodeTcbVersion(0x7308000000000003n, 'Turin'), { code: 'ERR_FORMAT' });
  for (const [tcb, product] of [
    [{ bootloader: 4, tee: 1, snp: 24, microcode: 217 }, 'Milan'],
    [{ fmc: 3, bootloader: 4, tee: 1, snp: 24, microcode: 217 }, 'Turin'],
  ] as const) {
    assert.deepEqual(decodeTcbVersion(encodeTcbVersion(tcb, product), product), tcb);
  }
});

test('products from CPUID, names and CA names', () => {
  assert.equal(productFromCpuid(0x19, 0x01), 'Milan');
  assert.equal(productFromCpuid(0x19, 0x11), 'Genoa');
  assert.equal(productFromCpuid(0x1a, 0x02), 'Turin');
  assert.equal(productFromCpuid(0x1a, 0x20), undefined);
  assert.equal(productFromCpuid(0, 0), undefined);
  assert.equal(productFromName('Milan-B0'), 'Milan');
  assert.equal(productFromName('Turin'), 'Turin');
  assert.equal(productFromName('Rome'), undefined);
  assert.equal(productFromCaName('SEV-VLEK-Genoa'), 'Genoa');
  assert.equal(productFromCaName('ARK-Turin'), 'Turin');
  assert.equal(productFromCaName('SEV-VCEK'), undefined);
});
