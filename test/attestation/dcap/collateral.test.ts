/**
 * Collateral loading (dcap-qvl bundles, Intel PCS responses), exact signed bytes, and the
 * signatures of every staged collateral item inside its validity window.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCollateral, parsePcsCollateral, type Collateral } from '../../../src/attestation/dcap/index.js';
import { verifyCollateral, verifySignedItem } from '../../../src/attestation/dcap/collateral-verify.js';
import { objectMemberBytes } from '../../../src/attestation/dcap/raw-json.js';
import { parseCertificate } from '../../../src/attestation/pki/index.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';
import { bundleVector, ownVector, pcsCollateral, tdQeIdentity2026 } from './helpers.js';

const collateralError = (e: { code?: string }) => e.code === 'ERR_COLLATERAL';

describe('objectMemberBytes', () => {
  it('returns each member value exactly as written, whitespace and escapes included', () => {
    const text = '{ "a" : {"x": [1, "}\\"]"], "y":null} ,"b":"s\\u0041","c":  -1.5e3 }';
    const m = objectMemberBytes(new TextEncoder().encode(text), 'doc');
    assert.equal(Buffer.from(m.get('a')!).toString(), '{"x": [1, "}\\"]"], "y":null}');
    assert.equal(Buffer.from(m.get('b')!).toString(), '"s\\u0041"');
    assert.equal(Buffer.from(m.get('c')!).toString(), '-1.5e3');
  });

  it('refuses duplicate members, non-objects, invalid JSON and invalid UTF-8', () => {
    for (const bad of ['{"a":1,"a":2}', '[1]', '{"a":}', '{"a":1', '"x"']) {
      assert.throws(() => objectMemberBytes(new TextEncoder().encode(bad), 'doc'), collateralError, bad);
    }
    assert.throws(() => objectMemberBytes(Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d), 'doc'), collateralError);
  });
});

describe('parseCollateral / parsePcsCollateral', () => {
  const doc = () => JSON.parse(Buffer.from(ownVector('tdx-collateral.json')).toString('utf8')) as Record<string, string>;

  it('accept the bundle as text, bytes or object, keeping the signed strings byte for byte', () => {
    const d = doc();
    for (const input of [JSON.stringify(d), ownVector('tdx-collateral.json'), d]) {
      const c = parseCollateral(input);
      assert.equal(Buffer.from(c.tcbInfo.bytes).toString('utf8'), d['tcb_info']);
      assert.equal(c.tcbInfo.value.id, 'TDX');
      assert.equal(c.qeIdentity.value.id, 'TD_QE');
      assert.equal(c.tcbInfoIssuerChain.length, 2);
      assert.ok(c.pckCrl !== undefined && c.rootCaCrl !== undefined);
    }
  });

  it('refuse malformed bundles with ERR_COLLATERAL', () => {
    const d = doc();
    const bad: unknown[] = [
      'not json',
      { ...d, tcb_info: undefined },
      { ...d, tcb_info_signature: 'abcd' },
      { ...d, tcb_info: '{"id":"TDX","version":4}' },
      { ...d, qe_identity: '{"id":"QE"}' },
      { ...d, tcb_info_issuer_chain: 'no pem here' },
      { ...d, pck_crl: 'zz' },
    ];
    for (const b of bad) assert.throws(() => parseCollateral(b), collateralError);
  });

  it('PCS responses keep the exact (pretty-printed) value bytes', () => {
    const c = parsePcsCollateral({
      tcbInfo: ownVector('tdx-tcbinfo-pcs.json'),
      qeIdentity: ownVector('tdx-qe-identity-pcs.json'),
      tcbInfoIssuerChain: ownVector('tcb-signing-chain.pem'),
    });
    assert.ok(Buffer.from(c.tcbInfo.bytes).toString('utf8').startsWith('{\n  "id": "TDX"'));
    assert.equal(c.qeIdentityIssuerChain.length, 2, 'the QE identity chain defaults to the TCB info chain');
    assert.throws(() => parsePcsCollateral({ tcbInfo: '{"tcbInfo":{}}', qeIdentity: '{}', tcbInfoIssuerChain: ownVector('tcb-signing-chain.pem') }), collateralError);
  });
});

describe('staged collateral signatures verify inside their windows', { skip: SKIP_NO_VECTORS }, () => {
  const anchors = () => [parseCertificate(new Uint8Array(readVector('intel-pki/Intel_SGX_Root_CA.der')))];
  const check = (c: Collateral, now: string) => verifyCollateral(c, { now: new Date(now), anchors: anchors(), crls: [] });

  it('dcap-qvl bundles', () => {
    check(bundleVector('tdx/dcap-qvl/tdx_quote_collateral.json'), '2025-07-01');
    check(bundleVector('tdx/dcap-qvl/tdx_quote_outdated_collateral.json'), '2026-03-01');
    check(bundleVector('tdx/dcap-qvl/near_quote_collateral.json'), '2025-09-15');
    check(bundleVector('sgx/dcap-qvl/sgx_quote_collateral.json'), '2025-07-01');
  });

  it('go-tdx-guest and trustee PCS responses', () => {
    const gtg = parsePcsCollateral({
      tcbInfo: readVector('tdx/go-tdx-guest/sample_tcbInfo_response'),
      qeIdentity: readVector('tdx/go-tdx-guest/sample_qeIdentity_response'),
      tcbInfoIssuerChain: readVector('tdx/go-tdx-guest/tcbSigning_issuer_chain.pem'),
    });
    check(gtg, '2023-07-01');
    check(pcsCollateral('tdx/go-tdx-guest/sample_tcbinfo_response_v5', tdQeIdentity2026()), '2026-02-20');
    check(pcsCollateral('tdx/trustee/tcbInfo.json', readVector('tdx/trustee/enclaveIdentity.json')), '2025-11-01');
  });

  it('teekit TCB infos over their raw bytes, except the two pretty-printed SGX files', () => {
    const files = [
      'tdx/teekit-tcbinfos/tcbInfo-tdx-00806f050000.json',
      'tdx/teekit-tcbinfos/tcbInfo-tdx-50806f000000.json',
      'tdx/teekit-tcbinfos/tcbInfo-tdx-90c06f000000.json',
      'tdx/teekit-tcbinfos/tcbInfo-tdx-b0c06f000000.json',
      'sgx/teekit-tcbinfos/tcbInfo-sgx-00806f050000.json',
      'sgx/teekit-tcbinfos/tcbInfo-sgx-00906ed50000.json',
      'sgx/teekit-tcbinfos/tcbInfo-sgx-50806f000000.json',
      'sgx/teekit-tcbinfos/tcbInfo-sgx-b0c06f000000.json',
    ];
    const ctx = { now: new Date('2025-10-01'), anchors: anchors(), crls: [] };
    for (const f of files) {
      const c = pcsCollateral(f, readVector('tdx/trustee/enclaveIdentity.json'));
      verifySignedItem(c.tcbInfo, c.tcbInfoIssuerChain, 'TCB info', ctx);
    }
    for (const f of ['sgx/teekit-tcbinfos/tcbInfo-sgx-30606a000000.json', 'sgx/teekit-tcbinfos/tcbInfo-sgx-90c06f000000.json']) {
      const c = pcsCollateral(f, readVector('tdx/trustee/enclaveIdentity.json'));
      assert.throws(() => verifySignedItem(c.tcbInfo, c.tcbInfoIssuerChain, 'TCB info', ctx), collateralError, f);
    }
  });

  it('a collateral chain that does not reach the pinned root is ERR_CHAIN', () => {
    const c = parsePcsCollateral({
      tcbInfo: readVector('tdx/intel-qvl-sample/tcbInfo.json'),
      qeIdentity: readVector('tdx/intel-qvl-sample/qeIdentity.json'),
      tcbInfoIssuerChain: readVector('tdx/intel-qvl-sample/tcbSignChain.pem'),
    });
    assert.throws(() => check(c, '2025-06-01'), (e: { code?: string }) => e.code === 'ERR_CHAIN');
  });
});
