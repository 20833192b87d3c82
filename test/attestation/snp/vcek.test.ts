import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { amdKeyInfo, AmdOid } from '../../../src/attestation/snp/vcek.js';
import { parseCertificate } from '../../../src/attestation/pki/certificate.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';
import { ia5, int, octets, rawInt } from '../support/der-writer.js';
import { buildCertificate, type ExtensionSpec } from '../support/x509-builder.js';

const key = generateKeyPairSync('ec', { namedCurve: 'P-384' });
function vcekWith(extensions: ExtensionSpec[]): ReturnType<typeof parseCertificate> {
  return parseCertificate(
    buildCertificate({
      subject: [['CN', 'SEV-VCEK']],
      issuer: [['CN', 'SEV-Milan']],
      serial: 0,
      notBefore: new Date('2025-01-01Z'),
      notAfter: new Date('2030-01-01Z'),
      publicKey: key.publicKey,
      signingKey: key.privateKey,
      alg: 'ecdsa-sha384',
      extensions,
    }),
  );
}
const hw = Uint8Array.from({ length: 64 }, (_, i) => i);

test('hwID raw or wrapped in an OCTET STRING; multi-byte SPL integers', () => {
  const base = [
    { oid: AmdOid.PRODUCT_NAME, value: ia5('Milan-B0') },
    { oid: AmdOid.BL_SPL, value: int(3) },
    { oid: AmdOid.UCODE_SPL, value: rawInt(Uint8Array.of(0x00, 0xd9)) },
  ];
  const raw = amdKeyInfo(vcekWith([...base, { oid: AmdOid.HW_ID, value: hw }]));
  const wrapped = amdKeyInfo(vcekWith([...base, { oid: AmdOid.HW_ID, value: octets(hw) }]));
  assert.equal(raw.hwId, Buffer.from(hw).toString('hex'));
  assert.equal(wrapped.hwId, raw.hwId);
  assert.equal(raw.spl.microcode, 217);
  assert.equal(raw.spl.bootloader, 3);
  assert.equal(raw.product, 'Milan');
  assert.equal(raw.kind, 'VCEK');
  const turin = amdKeyInfo(vcekWith([{ oid: AmdOid.HW_ID, value: octets(hw.subarray(0, 8)) }]));
  assert.equal(turin.hwId, '0001020304050607');
});

test('malformed AMD extensions are ERR_FORMAT', () => {
  assert.throws(() => amdKeyInfo(vcekWith([{ oid: AmdOid.HW_ID, value: hw.subarray(0, 30) }])), { code: 'ERR_FORMAT' });
  assert.throws(() => amdKeyInfo(vcekWith([{ oid: AmdOid.BL_SPL, value: ia5('3') }])), { code: 'ERR_FORMAT' });
  assert.throws(() => amdKeyInfo(vcekWith([{ oid: AmdOid.BL_SPL, value: rawInt(Uint8Array.of(0x80)) }])), { code: 'ERR_FORMAT' });
  assert.throws(() => amdKeyInfo(vcekWith([{ oid: AmdOid.PRODUCT_NAME, value: int(1) }])), { code: 'ERR_FORMAT' });
});

test('real VCEKs and VLEK decode as the manifest says', { skip: SKIP_NO_VECTORS }, () => {
  const turin = amdKeyInfo(parseCertificate(readVector('sev-snp/virtee-sev/vcek_turin.der')));
  assert.equal(turin.structVersion, 1);
  assert.equal(turin.product, 'Turin');
  assert.equal(turin.spl.fmc, 0);
  assert.equal(turin.spl.microcode, 9);
  assert.equal(turin.hwId, '1e550a8ee5cf9f4d');
  const vlek = amdKeyInfo(parseCertificate(readVector('sev-snp/trustee/test-vlek.der')));
  assert.equal(vlek.kind, 'VLEK');
  assert.equal(vlek.productName, 'Milan');
  assert.equal(vlek.spl.microcode, 217);
  assert.equal(vlek.hwId, undefined);
  const legacy = amdKeyInfo(parseCertificate(readVector('sev-snp/trustee/test-vcek-invalid-legacy.der')));
  const fresh = amdKeyInfo(parseCertificate(readVector('sev-snp/trustee/test-vcek-invalid-new.der')));
  assert.equal(legacy.hwId, Buffer.from(hw).toString('hex'));
  assert.equal(fresh.hwId, legacy.hwId);
  const gsg = amdKeyInfo(parseCertificate(readVector('sev-snp/go-sev-guest/vcek.testcer')));
  assert.deepEqual(gsg.spl, { bootloader: 2, tee: 0, snp: 5, microcode: 68 });
  assert.equal(gsg.productName, 'Milan-B0');
});
