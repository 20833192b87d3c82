/**
 * End-to-end DCAP verification on the self-made vectors of test/vectors/dcap/ (a test root, its
 * PCK chain and TCB Signing key; see that folder's README). These run on a fresh clone.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  parseCollateral,
  parseDcapQuote,
  parsePcsCollateral,
  verifySgxQuote,
  verifyTdxQuote,
  type DcapVerifyOptions,
} from '../../../src/attestation/dcap/index.js';
import { ANY_STATUS, ownVector, pemToDer, rejectsWith } from './helpers.js';

const NOW = new Date('2025-06-01T00:00:00Z');
const root = () => ownVector('root.der');
const bundle = (name: string) => parseCollateral(ownVector(name));
const opts = (collateral: string, extra: DcapVerifyOptions = {}): DcapVerifyOptions => ({
  now: NOW,
  trustRoots: [root()],
  collateral: bundle(collateral),
  ...extra,
});
const REPORT_DATA = createHash('sha512').update('enarx-ts dcap test vector').digest();

describe('self-made TDX vectors', () => {
  it('v4 with matching collateral: UpToDate, with the full appraisal', async () => {
    const a = await verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral.json'));
    assert.equal(a.tee, 'tdx');
    assert.equal(a.product, 'TDX');
    assert.equal(a.tcbStatus, 'UpToDate');
    assert.deepEqual(a.advisories, []);
    assert.equal(a.measurement, '7d'.repeat(48));
    assert.deepEqual(Object.keys(a.measurements).sort(), [
      'mrConfigId', 'mrOwner', 'mrOwnerConfig', 'mrSeam', 'mrSignerSeam', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3',
    ]);
    assert.equal(a.measurements['rtmr2'], 'a2'.repeat(48));
    assert.equal(a.reportData, REPORT_DATA.toString('hex'));
    assert.equal(a.tcb['fmspc'], '00e7a2c00000');
    assert.equal(a.tcb['pceSvn'], 13);
    assert.equal(a.tcb['teeTcbSvn'], '05000200000000000000000000000000');
    assert.equal(a.debug, false);
    assert.equal(a.details['septVeDisable'], true);
    assert.equal(a.details['tcbEvaluated'], true);
    assert.equal(a.chain.length, 3);
    assert.equal(a.chain[2]!.sha256, createHash('sha256').update(root()).digest('hex'));
    assert.ok(Object.isFrozen(a));
  });

  it('is refused without the test root (production pin)', async () => {
    await rejectsWith(verifyTdxQuote(ownVector('tdx-v4.dat'), { now: NOW, collateral: bundle('tdx-collateral.json') }), 'ERR_CHAIN');
  });

  it('v5 (TD 1.5, module TDX_01): UpToDate; an outdated module makes it OutOfDate', async () => {
    const a = await verifyTdxQuote(ownVector('tdx-v5.dat'), opts('tdx-collateral.json'));
    assert.equal(a.tcbStatus, 'UpToDate');
    assert.equal(a.details['bodyType'], 'TD1.5');
    assert.equal(a.details['tdxModuleId'], 'TDX_01');
    assert.equal(a.measurements['mrServiceTd'], '00'.repeat(48));
    const b = await verifyTdxQuote(ownVector('tdx-v5.dat'), opts('tdx-collateral-module-outofdate.json', { acceptStatus: ANY_STATUS }));
    assert.equal(b.tcbStatus, 'OutOfDate');
    assert.deepEqual(b.advisories, ['INTEL-SA-90002']);
    assert.equal(b.details['platformTcbStatus'], 'UpToDate');
    assert.equal(b.details['tdxModuleTcbStatus'], 'OutOfDate');
    assert.equal(b.details['tdRelaunchAdvised'], true, 'TEE_TCB_SVN2 names the up-to-date module (ISVSVN 5)');
    assert.equal(a.details['tdRelaunchAdvised'], false);
    // A TD 1.0 module (tee_tcb_svn[1] = 0) is judged by tdxModule only.
    assert.equal((await verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral-module-outofdate.json'))).tcbStatus, 'UpToDate');
  });

  it('an outdated platform: OutOfDate with advisories, refused by the default policy', async () => {
    const a = await verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral-outofdate.json', { acceptStatus: ['OutOfDate'] }));
    assert.equal(a.tcbStatus, 'OutOfDate');
    assert.deepEqual(a.advisories, ['INTEL-SA-90001']);
    await assert.rejects(verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral-outofdate.json')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_TCB_OUTDATED');
      assert.match(e.message, /OutOfDate/);
      assert.match(e.message, /INTEL-SA-90001/);
      return true;
    });
  });

  it('no matching level: ERR_TCB_NO_MATCH; a Revoked level: ERR_REVOKED whatever the policy', async () => {
    await rejectsWith(verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral-nomatch.json', { acceptStatus: ANY_STATUS })), 'ERR_TCB_NO_MATCH');
    await rejectsWith(verifyTdxQuote(ownVector('tdx-v5.dat'), opts('tdx-collateral-nomatch.json', { acceptStatus: ANY_STATUS })), 'ERR_TCB_NO_MATCH');
    await rejectsWith(
      verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral-revoked.json', { acceptStatus: [...ANY_STATUS, 'Revoked'] })),
      'ERR_REVOKED',
    );
  });

  it('collateral for another FMSPC or another TEE does not apply', async () => {
    await rejectsWith(verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral-wrong-fmspc.json')), 'ERR_COLLATERAL');
    await rejectsWith(verifyTdxQuote(ownVector('tdx-v4.dat'), opts('sgx-collateral.json', { acceptStatus: ANY_STATUS })), 'ERR_COLLATERAL');
    await rejectsWith(verifySgxQuote(ownVector('sgx-v3.dat'), opts('tdx-collateral.json', { acceptStatus: ANY_STATUS })), 'ERR_COLLATERAL');
  });

  it('collateral outside its window is ERR_EXPIRED', async () => {
    for (const now of [new Date('2024-06-01'), new Date('2026-02-01')]) {
      await rejectsWith(verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral.json', { now })), 'ERR_EXPIRED');
    }
  });

  it('a changed byte in the signed TCB info or QE identity, or in a signature, is ERR_COLLATERAL', async () => {
    const doc = JSON.parse(Buffer.from(ownVector('tdx-collateral.json')).toString('utf8')) as Record<string, string>;
    const tamper: Record<string, string>[] = [
      { ...doc, tcb_info: doc['tcb_info']!.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":18') },
      { ...doc, qe_identity: doc['qe_identity']!.replace('"isvprodid":2', '"isvprodid":3') },
      { ...doc, tcb_info_signature: doc['tcb_info_signature']!.replace(/^./, (c) => (c === '0' ? '1' : '0')) },
      { ...doc, qe_identity_signature: doc['qe_identity_signature']!.replace(/.$/, (c) => (c === '0' ? '1' : '0')) },
    ];
    for (const t of tamper) {
      await rejectsWith(verifyTdxQuote(ownVector('tdx-v4.dat'), { now: NOW, trustRoots: [root()], collateral: parseCollateral(t) }), 'ERR_COLLATERAL');
    }
  });

  it('PCS responses (pretty-printed signed values) verify over the exact bytes; CRLs revoke the PCK', async () => {
    const pcs = (extra: Partial<Parameters<typeof parsePcsCollateral>[0]> = {}) =>
      parsePcsCollateral({
        tcbInfo: ownVector('tdx-tcbinfo-pcs.json'),
        qeIdentity: ownVector('tdx-qe-identity-pcs.json'),
        tcbInfoIssuerChain: ownVector('tcb-signing-chain.pem'),
        pckCrl: ownVector('pck-crl.der'),
        rootCaCrl: ownVector('root-crl.der'),
        ...extra,
      });
    const a = await verifyTdxQuote(ownVector('tdx-v4.dat'), { now: NOW, trustRoots: [root()], collateral: pcs() });
    assert.equal(a.tcbStatus, 'UpToDate');
    await rejectsWith(
      verifyTdxQuote(ownVector('tdx-v4.dat'), { now: NOW, trustRoots: [root()], collateral: pcs({ pckCrl: ownVector('pck-crl-revoking.der') }) }),
      'ERR_REVOKED',
    );
    await rejectsWith(
      verifyTdxQuote(ownVector('tdx-v4.dat'), { now: NOW, trustRoots: [root()], collateral: pcs(), crls: [ownVector('pck-crl-revoking.der')] }),
      'ERR_REVOKED',
    );
    // The PCK CRL of collateral must be the CRL of the PCK's issuer.
    await rejectsWith(
      verifyTdxQuote(ownVector('tdx-v4.dat'), { now: NOW, trustRoots: [root()], collateral: pcs({ pckCrl: ownVector('root-crl.der') }) }),
      'ERR_COLLATERAL',
    );
  });

  it('policy: debug, measurement allow-list, report data', async () => {
    await rejectsWith(verifyTdxQuote(ownVector('tdx-v4-debug.dat'), opts('tdx-collateral.json')), 'ERR_DEBUG');
    const dbg = await verifyTdxQuote(ownVector('tdx-v4-debug.dat'), opts('tdx-collateral.json', { allowDebug: true }));
    assert.equal(dbg.debug, true);
    await verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral.json', { measurements: ['00'.repeat(48), '7D'.repeat(48)] }));
    await rejectsWith(verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral.json', { measurements: ['00'.repeat(48)] })), 'ERR_MEASUREMENT');
    await verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral.json', { reportData: REPORT_DATA.toString('hex') }));
    await verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral.json', { reportData: new Uint8Array(REPORT_DATA) }));
    const wrong = new Uint8Array(REPORT_DATA);
    wrong[63] = wrong[63]! ^ 1;
    await rejectsWith(verifyTdxQuote(ownVector('tdx-v4.dat'), opts('tdx-collateral.json', { reportData: wrong })), 'ERR_REPORT_DATA');
  });

  it('without collateral: ERR_COLLATERAL unless allowNoCollateral, which marks the TCB unevaluated', async () => {
    await rejectsWith(verifyTdxQuote(ownVector('tdx-v4.dat'), { now: NOW, trustRoots: [root()] }), 'ERR_COLLATERAL');
    const a = await verifyTdxQuote(ownVector('tdx-v4.dat'), { now: NOW, trustRoots: [root()], allowNoCollateral: true });
    assert.equal(a.details['tcbEvaluated'], false);
    assert.equal(a.tcbStatus, 'OutOfDate');
  });

  it('certification data types: 4 (leaf) and 1 (PPID) take the CAs or the chain from the caller; 7 is unsupported', async () => {
    const withType = (type: number): Uint8Array => {
      const q = ownVector('tdx-v4.dat');
      const data = parseDcapQuote(q).signatureData.certificationData.data;
      const at = q.length - data.length - 6; // type u16, size u32, data: the last field of the quote
      q[at] = type;
      return q;
    };
    const chain = pemToDer(ownVector('pck-chain.pem'));
    const base = { now: NOW, trustRoots: [root()], allowNoCollateral: true };
    const leafOnly = await verifyTdxQuote(withType(4), { ...base, pckCertChain: chain.slice(1) });
    assert.equal(leafOnly.details['certificationDataType'], 4);
    await verifyTdxQuote(withType(1), { ...base, pckCertChain: chain });
    await rejectsWith(verifyTdxQuote(withType(1), base), 'ERR_CHAIN');
    await rejectsWith(verifyTdxQuote(withType(7), base), 'ERR_UNSUPPORTED');
    // The chain may also travel in the collateral bundle (dcap-qvl `pck_certificate_chain`).
    const doc = JSON.parse(Buffer.from(ownVector('tdx-collateral.json')).toString('utf8')) as Record<string, string>;
    const collateral = parseCollateral({ ...doc, pck_certificate_chain: Buffer.from(ownVector('pck-chain.pem')).toString('utf8') });
    assert.equal((await verifyTdxQuote(withType(1), { now: NOW, trustRoots: [root()], collateral })).tcbStatus, 'UpToDate');
  });

  it('caller mistakes are TypeErrors', async () => {
    const bad: DcapVerifyOptions[] = [
      { reportData: new Uint8Array(32) },
      { reportData: 'zz' },
      { acceptStatus: ['Fine' as never] },
      { measurements: ['not hex'] },
      { now: new Date(Number.NaN) },
      { trustRoots: [new Uint8Array([1, 2, 3])] },
    ];
    for (const o of bad) await assert.rejects(verifyTdxQuote(ownVector('tdx-v4.dat'), o), TypeError);
  });
});

describe('self-made SGX vector', () => {
  it('v3 with matching collateral: SWHardeningNeeded, with the enclave fields', async () => {
    const a = await verifySgxQuote(ownVector('sgx-v3.dat'), opts('sgx-collateral.json', { acceptStatus: ['SWHardeningNeeded'] }));
    assert.equal(a.tee, 'sgx');
    assert.equal(a.tcbStatus, 'SWHardeningNeeded');
    assert.deepEqual(a.advisories, ['INTEL-SA-90005']);
    assert.equal(a.measurement, 'e1'.repeat(32));
    assert.equal(a.measurements['mrSigner'], 'e2'.repeat(32));
    assert.equal(a.tcb['isvProdId'], 7);
    assert.equal(a.tcb['isvSvn'], 3);
    assert.equal(a.debug, false);
    await rejectsWith(verifySgxQuote(ownVector('sgx-v3.dat'), opts('sgx-collateral.json')), 'ERR_TCB_OUTDATED');
  });

  it('a TDX quote is not an SGX quote, and the other way round', async () => {
    await rejectsWith(verifySgxQuote(ownVector('tdx-v4.dat'), opts('sgx-collateral.json')), 'ERR_FORMAT');
    await rejectsWith(verifyTdxQuote(ownVector('sgx-v3.dat'), opts('tdx-collateral.json')), 'ERR_FORMAT');
  });
});
