/**
 * The negative TDX vectors (/work/shared/vectors/negative/tdx/) and the Intel PKI files: each
 * gives the verdict the MANIFEST states, as a stable error code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INTEL_SGX_ROOT_CA_SHA256, parseTdxQuote, verifyTdxQuote } from '../../../src/attestation/dcap/index.js';
import { parseCertificate, parseCertificates, parseCrl, verifyChain } from '../../../src/attestation/pki/index.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';
import { rejectsWith } from '../dcap/helpers.js';

const skip = { skip: SKIP_NO_VECTORS };
const N = 'negative/tdx/go-tdx-guest_';

describe('negative TDX vectors', skip, () => {
  const spr: [string, string][] = [
    ['SPR_E4_version_byte_0x00_set3.dat', 'ERR_FORMAT'],
    ['SPR_E4_sigdata_size_0x278_set10.dat', 'ERR_FORMAT'],
    ['SPR_E4_certchain_0x1343_set32.dat', 'ERR_CHAIN'],
    ['SPR_E4_rootcert_0x1329_set32.dat', 'ERR_CHAIN'],
    ['SPR_E4_intermediate_0xF5F_set32.dat', 'ERR_CHAIN'],
    ['SPR_E4_pckleaf_0xB77_set32.dat', 'ERR_CHAIN'],
    ['SPR_E4_header_0x1E_set32.dat', 'ERR_QUOTE_SIGNATURE'],
    ['SPR_E4_tdbody_0x3C_set32.dat', 'ERR_QUOTE_SIGNATURE'],
  ];
  for (const [file, code] of spr) {
    it(`${file}: ${code}`, async () => {
      await rejectsWith(
        verifyTdxQuote(new Uint8Array(readVector(N + file)), { now: new Date('2023-07-01'), allowNoCollateral: true }),
        code,
      );
    });
  }

  const v5: [string, string][] = [
    ['quote_v5_att_key_type_set1.dat', 'ERR_FORMAT'],
    ['quote_v5_tee_type_set0.dat', 'ERR_FORMAT'],
    ['quote_v5_qe_report_sig_flip.dat', 'ERR_QE_REPORT'],
    ['quote_v5_qe_report_isvsvn_flip.dat', 'ERR_QE_REPORT'],
    // The flipped key is not on P-256; the QE binding (checked first, as in QVL) already fails.
    ['quote_v5_attestation_key_flip.dat', 'ERR_QE_REPORT'],
    ['quote_v5_quote_sig_r_flip.dat', 'ERR_QUOTE_SIGNATURE'],
    ['quote_v5_report_data_flip.dat', 'ERR_QUOTE_SIGNATURE'],
    ['quote_v5_truncated_4000.dat', 'ERR_FORMAT'],
  ];
  for (const [file, code] of v5) {
    it(`${file}: ${code}`, async () => {
      await rejectsWith(
        verifyTdxQuote(new Uint8Array(readVector(N + file)), { now: new Date('2026-02-03'), allowNoCollateral: true }),
        code,
      );
    });
  }

  it('the structural negatives fail in the parser already', () => {
    for (const file of ['SPR_E4_version_byte_0x00_set3.dat', 'SPR_E4_sigdata_size_0x278_set10.dat', 'quote_v5_truncated_4000.dat']) {
      assert.throws(() => parseTdxQuote(new Uint8Array(readVector(N + file))), (e: { code?: string }) => e.code === 'ERR_FORMAT');
    }
  });
});

describe('Intel PKI files', skip, () => {
  const root = () => parseCertificate(new Uint8Array(readVector('intel-pki/Intel_SGX_Root_CA.der')));

  it('the production root has the pinned fingerprint, and its PEM is the same certificate', () => {
    assert.equal(root().sha256, INTEL_SGX_ROOT_CA_SHA256);
    assert.equal(parseCertificates(readVector('intel-pki/Intel_SGX_Root_CA.pem'))[0]!.sha256, INTEL_SGX_ROOT_CA_SHA256);
  });

  it('Platform CA, Processor CA and the 2025 TCB Signing certificate chain to it today', () => {
    for (const f of ['Intel_SGX_PCK_Platform_CA.pem', 'Intel_SGX_PCK_Processor_CA.pem', 'Intel_SGX_TCB_Signing_2025-05-06.pem']) {
      const [cert] = parseCertificates(readVector(`intel-pki/${f}`));
      verifyChain([cert!], { now: new Date('2026-01-01'), anchors: [root()] });
    }
  });

  it('the 2018 TCB Signing certificate has the same key but expired on 2025-05-21', () => {
    const [old] = parseCertificates(readVector('intel-pki/Intel_SGX_TCB_Signing_2018-05-21.pem'));
    const [renewed] = parseCertificates(readVector('intel-pki/Intel_SGX_TCB_Signing_2025-05-06.pem'));
    const spki = (c: typeof old) => c!.publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
    assert.equal(spki(old), spki(renewed));
    verifyChain([old!], { now: new Date('2025-01-01'), anchors: [root()] });
    assert.throws(() => verifyChain([old!], { now: new Date('2025-06-01'), anchors: [root()] }), (e: { code?: string }) => e.code === 'ERR_EXPIRED');
  });

  it('the 2025 root CA CRL is signed by the root and lists nothing', () => {
    const crl = parseCrl(new Uint8Array(readVector('intel-pki/Intel_SGX_Root_CA_CRL_2025-03-20.der')));
    assert.equal(crl.isSignedBy(root().publicKey), true);
    assert.equal(crl.revoked.size, 0);
  });
});
