/**
 * Every staged TDX vector gives the verdict /work/shared/vectors/MANIFEST.md states, at the time
 * the MANIFEST names (or, where it names none, inside the window of the collateral used).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePcsCollateral, verifyTdxQuote } from '../../../src/attestation/dcap/index.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';
import {
  ANY_STATUS,
  bundleVector,
  dcapQvlNow,
  pemToDer,
  pcsCollateral,
  quoteVector,
  rejectsWith,
  tcbSigningChain2025,
  tdQeIdentity2026,
} from '../dcap/helpers.js';

const skip = { skip: SKIP_NO_VECTORS };
const GTG = 'tdx/go-tdx-guest/';
/** Inside both the teekit TCB infos (2025-09-29..10-29) and the trustee TD_QE identity (10-28..11-27). */
const TEEKIT_TCB_NOW = new Date('2025-10-28T12:00:00Z');

describe('TDX vectors: dcap-qvl (full collateral)', skip, () => {
  it('tdx_quote with its collateral is UpToDate without advisories', async () => {
    const collateral = bundleVector('tdx/dcap-qvl/tdx_quote_collateral.json');
    const a = await verifyTdxQuote(quoteVector('tdx/dcap-qvl/tdx_quote'), { collateral, now: dcapQvlNow(collateral) });
    assert.equal(a.tee, 'tdx');
    assert.equal(a.tcbStatus, 'UpToDate');
    assert.deepEqual(a.advisories, []);
    assert.equal(a.details['tcbEvaluated'], true);
    assert.equal(a.tcb['fmspc'], 'b0c06f000000');
    assert.equal(a.chain.length, 3);
    assert.equal(a.chain[2]!.sha256, '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3');
  });

  it('tdx_quote_outdated (v5, PCK component 8 = 3) matches no TCB level', async () => {
    const collateral = bundleVector('tdx/dcap-qvl/tdx_quote_outdated_collateral.json');
    await rejectsWith(
      verifyTdxQuote(quoteVector('tdx/dcap-qvl/tdx_quote_outdated'), { collateral, now: dcapQvlNow(collateral), acceptStatus: ANY_STATUS }),
      'ERR_TCB_NO_MATCH',
    );
  });

  it('near_quote with its collateral is UpToDate', async () => {
    const collateral = bundleVector('tdx/dcap-qvl/near_quote_collateral.json');
    const a = await verifyTdxQuote(quoteVector('tdx/dcap-qvl/near_quote_hex.txt'), { collateral, now: dcapQvlNow(collateral) });
    assert.equal(a.tcbStatus, 'UpToDate');
    assert.equal(a.tcb['fmspc'], '20a06f000000');
  });

  for (const rel of ['tdx/dcap-qvl/tdx-quote.hex', 'tdx/dcap-qvl/quote-from-tappd.hex']) {
    it(`${rel}: quote, QE and chain verify`, async () => {
      const collateral = bundleVector('tdx/dcap-qvl/tdx_quote_collateral.json');
      const a = await verifyTdxQuote(quoteVector(rel), { now: dcapQvlNow(collateral), allowNoCollateral: true, allowDebug: true });
      assert.equal(a.tcb['fmspc'], 'b0c06f000000');
      assert.equal(a.details['tcbEvaluated'], false);
    });
  }

  it('the expired CRL makes the same verification fail a day later', async () => {
    const collateral = bundleVector('tdx/dcap-qvl/tdx_quote_collateral.json');
    const later = new Date(dcapQvlNow(collateral).getTime() + 86_400_000);
    await rejectsWith(verifyTdxQuote(quoteVector('tdx/dcap-qvl/tdx_quote'), { collateral, now: later }), 'ERR_EXPIRED');
  });
});

describe('TDX vectors: go-tdx-guest', skip, () => {
  const gtgCollateral = () =>
    parsePcsCollateral({
      tcbInfo: readVector(GTG + 'sample_tcbInfo_response'),
      qeIdentity: readVector(GTG + 'sample_qeIdentity_response'),
      tcbInfoIssuerChain: readVector(GTG + 'tcbSigning_issuer_chain.pem'),
      pckCrl: readVector(GTG + 'pckcrl'),
      pckCrlIssuerChain: readVector(GTG + 'pckCrl_issuer_chain.pem'),
      rootCaCrl: readVector(GTG + 'rootcrl.der'),
    });
  const at2023 = new Date('2023-07-01T00:00:00Z');

  it('SPR E4 quote v4 (with 39 trailing bytes) verifies without collateral', async () => {
    const a = await verifyTdxQuote(quoteVector(GTG + 'tdx_prod_quote_SPR_E4.dat'), { now: at2023, allowNoCollateral: true });
    assert.equal(a.tcb['fmspc'], '50806f000000');
    assert.equal(a.details['tdAttributes'], '0000004000000000');
    assert.equal(a.details['pks'], true);
    assert.equal(a.debug, false);
    assert.equal(a.details['tcbEvaluated'], false);
    assert.equal(a.tcbStatus, 'OutOfDate', 'an unevaluated TCB never reads as UpToDate');
  });

  it('without collateral and without allowNoCollateral it is refused', async () => {
    await rejectsWith(verifyTdxQuote(quoteVector(GTG + 'tdx_prod_quote_SPR_E4.dat'), { now: at2023 }), 'ERR_COLLATERAL');
  });

  it('SPR E4 with its PCS collateral and CRLs: no matching TCB level', async () => {
    await rejectsWith(
      verifyTdxQuote(quoteVector(GTG + 'tdx_prod_quote_SPR_E4.dat'), { now: at2023, collateral: gtgCollateral(), acceptStatus: ANY_STATUS }),
      'ERR_TCB_NO_MATCH',
    );
  });

  it('the same collateral has expired by 2053', async () => {
    await rejectsWith(
      verifyTdxQuote(quoteVector(GTG + 'tdx_prod_quote_SPR_E4.dat'), { now: new Date('2053-01-01'), collateral: gtgCollateral() }),
      'ERR_EXPIRED',
    );
  });

  it('quote v5 sample (TD 1.5) verifies without collateral', async () => {
    const a = await verifyTdxQuote(quoteVector(GTG + 'quote_v5_sample.dat'), { now: new Date('2026-02-03'), allowNoCollateral: true });
    assert.equal(a.details['bodyType'], 'TD1.5');
    assert.equal(a.details['septVeDisable'], true);
    assert.equal(a.measurements['mrServiceTd'], '0'.repeat(96));
    assert.equal(a.tcb['teeTcbSvn2'] !== undefined, true);
  });

  it('quote v5 sample with sample_tcbinfo_response_v5 and a TD_QE identity is UpToDate', async () => {
    const collateral = pcsCollateral(GTG + 'sample_tcbinfo_response_v5', tdQeIdentity2026());
    const a = await verifyTdxQuote(quoteVector(GTG + 'quote_v5_sample.dat'), { now: new Date('2026-02-20T00:00:00Z'), collateral });
    assert.equal(a.tcbStatus, 'UpToDate');
    assert.equal(a.details['tdxModuleId'], 'TDX_01');
  });

  it('the 2018 TCB Signing certificate has expired for the 2026 TCB info', async () => {
    const collateral = parsePcsCollateral({
      tcbInfo: readVector(GTG + 'sample_tcbinfo_response_v5'),
      qeIdentity: tdQeIdentity2026(),
      tcbInfoIssuerChain: readVector(GTG + 'tcbSigning_issuer_chain.pem'),
    });
    await rejectsWith(verifyTdxQuote(quoteVector(GTG + 'quote_v5_sample.dat'), { now: new Date('2026-02-20'), collateral }), 'ERR_EXPIRED');
  });

  it('cos-113 (zero-padded to 8000 bytes) verifies and its report data is the staged nonce', async () => {
    const nonce = new Uint8Array(readVector(GTG + 'ccel/nonce.dat'));
    const a = await verifyTdxQuote(quoteVector(GTG + 'ccel/cos-113-tdx-quote.dat'), {
      now: new Date('2025-09-01'),
      allowNoCollateral: true,
      reportData: nonce,
    });
    assert.equal(a.tcb['fmspc'], '00806f050000');
    await rejectsWith(
      verifyTdxQuote(quoteVector(GTG + 'ccel/cos-113-tdx-quote.dat'), {
        now: new Date('2025-09-01'),
        allowNoCollateral: true,
        reportData: new Uint8Array(64).fill(1),
      }),
      'ERR_REPORT_DATA',
    );
  });
});

describe('TDX vectors: trustee', skip, () => {
  it('tdx_quote_4 (debug TD) is OutOfDate against the 2025-09 TCB info', async () => {
    const collateral = pcsCollateral('tdx/teekit-tcbinfos/tcbInfo-tdx-50806f000000.json', readVector('tdx/trustee/enclaveIdentity.json'));
    const quote = quoteVector('tdx/trustee/tdx_quote_4.dat');
    const a = await verifyTdxQuote(quote, { now: TEEKIT_TCB_NOW, collateral, acceptStatus: ANY_STATUS, allowDebug: true });
    assert.equal(a.tcbStatus, 'OutOfDate');
    assert.deepEqual(a.advisories, ['INTEL-SA-00837', 'INTEL-SA-00960', 'INTEL-SA-00982', 'INTEL-SA-00986']);
    assert.equal(a.debug, true);
    assert.ok(a.reportData.startsWith('7c71fe2c'));
    await rejectsWith(verifyTdxQuote(quote, { now: TEEKIT_TCB_NOW, collateral, acceptStatus: ANY_STATUS }), 'ERR_DEBUG');
    await rejectsWith(verifyTdxQuote(quote, { now: TEEKIT_TCB_NOW, collateral, allowDebug: true }), 'ERR_TCB_OUTDATED');
  });

  it('tdx_quote_5 (v5) matches no TCB level', async () => {
    const collateral = pcsCollateral('tdx/teekit-tcbinfos/tcbInfo-tdx-90c06f000000.json', readVector('tdx/trustee/enclaveIdentity.json'));
    await rejectsWith(
      verifyTdxQuote(quoteVector('tdx/trustee/tdx_quote_5.dat'), { now: TEEKIT_TCB_NOW, collateral, acceptStatus: ANY_STATUS, allowDebug: true }),
      'ERR_TCB_NO_MATCH',
    );
  });

  it('tdx_quote_6 (TDX_03 module) with tcbInfo.json and enclaveIdentity.json is OutOfDate', async () => {
    const collateral = pcsCollateral('tdx/trustee/tcbInfo.json', readVector('tdx/trustee/enclaveIdentity.json'));
    const a = await verifyTdxQuote(quoteVector('tdx/trustee/tdx_quote_6.dat'), {
      now: new Date('2025-11-01'),
      collateral,
      acceptStatus: ANY_STATUS,
      allowDebug: true,
    });
    assert.equal(a.tcbStatus, 'OutOfDate');
    assert.equal(a.details['platformTcbStatus'], 'OutOfDate');
    assert.equal(a.details['qeTcbStatus'], 'UpToDate');
    assert.equal(a.details['tdxModuleId'], 'TDX_03');
  });

  it('az-tdx-vtpm-td-quote is OutOfDate (Intel tee_tcb_svn rule)', async () => {
    const collateral = pcsCollateral('tdx/teekit-tcbinfos/tcbInfo-tdx-00806f050000.json', readVector('tdx/trustee/enclaveIdentity.json'));
    const a = await verifyTdxQuote(quoteVector('tdx/trustee/az-tdx-vtpm-td-quote.bin'), {
      now: TEEKIT_TCB_NOW,
      collateral,
      acceptStatus: ANY_STATUS,
      allowDebug: true,
    });
    assert.equal(a.tcbStatus, 'OutOfDate');
  });

  it('parse_tdx_claims_expected.json agrees with the fields of tdx_quote_4', async () => {
    const expected = JSON.parse(readVector('tdx/trustee/parse_tdx_claims_expected.json').toString('utf8')) as Record<string, unknown>;
    const a = await verifyTdxQuote(quoteVector('tdx/trustee/tdx_quote_4.dat'), { now: TEEKIT_TCB_NOW, allowNoCollateral: true, allowDebug: true });
    const flat = JSON.stringify(expected).toLowerCase();
    for (const value of [a.measurement, a.measurements['rtmr0'], a.measurements['rtmr3'], a.measurements['mrSeam'], a.reportData]) {
      assert.ok(flat.includes(value!), `expected claims to contain ${value}`);
    }
  });
});

describe('TDX vectors: teekit (Intel rule) and oak', skip, () => {
  const cases: [string, string, string][] = [
    ['tdx/teekit/tdx-v4-azure', '00806f050000', 'UpToDate'],
    ['tdx/teekit/tdx-v4-edgeless.dat', '00806f050000', 'OutOfDate'],
    ['tdx/teekit/tdx-v4-gcp.json', '00806f050000', 'UpToDate'],
    ['tdx/teekit/tdx-v4-gcp-no-nonce.json', '00806f050000', 'UpToDate'],
    ['tdx/teekit/tdx-v4-moemahhouk.dat', '90c06f000000', 'ERR_TCB_NO_MATCH'],
    ['tdx/teekit/tdx-v4-zkdcap.dat', '00806f050000', 'OutOfDate'],
    ['tdx/oak/tdx_oc_quote.bin', '00806f050000', 'UpToDate'],
  ];
  for (const [rel, fmspc, verdict] of cases) {
    it(`${rel}: ${verdict}`, async () => {
      const collateral = pcsCollateral(`tdx/teekit-tcbinfos/tcbInfo-tdx-${fmspc}.json`, readVector('tdx/trustee/enclaveIdentity.json'));
      const run = verifyTdxQuote(quoteVector(rel), { now: TEEKIT_TCB_NOW, collateral, acceptStatus: ANY_STATUS, allowDebug: true });
      if (verdict.startsWith('ERR_')) return rejectsWith(run, verdict);
      const a = await run;
      assert.equal(a.tcbStatus, verdict);
      assert.equal(a.tcb['fmspc'], fmspc);
    });
    it(`${rel}: quote, QE and chain verify at teekit's BASE_TIME`, async () => {
      await verifyTdxQuote(quoteVector(rel), { now: new Date('2025-09-01'), allowNoCollateral: true, allowDebug: true });
    });
  }
});

describe('TDX vectors: Intel QVL sample (test root)', skip, () => {
  const Q = 'tdx/intel-qvl-sample/';
  it('is rejected under the production root pin', async () => {
    await rejectsWith(verifyTdxQuote(quoteVector(Q + 'quote.dat'), { now: new Date('2025-06-01'), allowNoCollateral: true }), 'ERR_CHAIN');
  });

  it('with its test root, signatures and the DER chain verify, but the QE identity does not match', async () => {
    const root = pemToDer(readVector(Q + 'trustedRootCaCert.pem'))[0]!;
    const now = new Date('2025-06-01');
    const a = await verifyTdxQuote(quoteVector(Q + 'quote.dat'), { now, trustRoots: [root], allowNoCollateral: true });
    assert.equal(a.details['certificationDataType'], 5);
    const collateral = parsePcsCollateral({
      tcbInfo: readVector(Q + 'tcbInfo.json'),
      qeIdentity: readVector(Q + 'qeIdentity.json'),
      tcbInfoIssuerChain: readVector(Q + 'tcbSignChain.pem'),
    });
    await rejectsWith(verifyTdxQuote(quoteVector(Q + 'quote.dat'), { now, trustRoots: [root], collateral, acceptStatus: ANY_STATUS }), 'ERR_QE_REPORT');
  });

  it('the production-pinned collateral path refuses its TCB signing chain', async () => {
    const collateral = parsePcsCollateral({
      tcbInfo: readVector(Q + 'tcbInfo.json'),
      qeIdentity: readVector(Q + 'qeIdentity.json'),
      tcbInfoIssuerChain: tcbSigningChain2025(),
    });
    await rejectsWith(verifyTdxQuote(quoteVector(Q + 'quote.dat'), { now: new Date('2025-06-01'), collateral }), 'ERR_CHAIN');
  });
});
