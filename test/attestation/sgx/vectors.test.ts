/**
 * Every staged SGX vector gives the verdict /work/shared/vectors/MANIFEST.md states.
 *
 * The teekit quotes are judged against TCB infos (valid from 2025-09-28) and a QE identity
 * (valid until 2025-07-19) whose windows do not overlap, so their statuses are computed from
 * the pieces, each signature checked at a time inside its own window.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePcsCollateral, parseSgxQuote, verifySgxQuote } from '../../../src/attestation/dcap/index.js';
import { verifySignedItem } from '../../../src/attestation/dcap/collateral-verify.js';
import { pckCertificates, verifyPckChain } from '../../../src/attestation/dcap/pck-chain.js';
import { evaluateQeIdentity, evaluateTcb } from '../../../src/attestation/dcap/tcb-evaluation.js';
import { parseCertificate } from '../../../src/attestation/pki/index.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';
import {
  ANY_STATUS,
  bundleVector,
  dcapQvlNow,
  pcsBody,
  pemToDer,
  quoteVector,
  rejectsWith,
  sgxQeIdentity2025,
  tcbSigningChain2025,
} from '../dcap/helpers.js';

const skip = { skip: SKIP_NO_VECTORS };

describe('SGX vectors: dcap-qvl', skip, () => {
  it('sgx_quote is ConfigurationAndSWHardeningNeeded [INTEL-SA-00289, INTEL-SA-00615]', async () => {
    const collateral = bundleVector('sgx/dcap-qvl/sgx_quote_collateral.json');
    const quote = quoteVector('sgx/dcap-qvl/sgx_quote');
    const now = dcapQvlNow(collateral);
    const a = await verifySgxQuote(quote, { collateral, now, acceptStatus: ANY_STATUS });
    assert.equal(a.tee, 'sgx');
    assert.equal(a.tcbStatus, 'ConfigurationAndSWHardeningNeeded');
    assert.deepEqual(a.advisories, ['INTEL-SA-00289', 'INTEL-SA-00615']);
    assert.equal(a.tcb['fmspc'], '00a067110000');
    assert.equal(a.tcb['qeSvn'], 10);
    assert.match(a.details['pckIssuer'] as string, /Processor CA/);
    await rejectsWith(verifySgxQuote(quote, { collateral, now }), 'ERR_TCB_OUTDATED');
  });

  it('the staged 2025 root CA CRL is accepted as an extra CRL', async () => {
    const collateral = bundleVector('sgx/dcap-qvl/sgx_quote_collateral.json');
    const crl = new Uint8Array(readVector('intel-pki/Intel_SGX_Root_CA_CRL_2025-03-20.der'));
    await verifySgxQuote(quoteVector('sgx/dcap-qvl/sgx_quote'), { collateral, now: dcapQvlNow(collateral), acceptStatus: ANY_STATUS, crls: [crl] });
  });
});

describe('SGX vectors: teekit platform statuses', skip, () => {
  const root = () => parseCertificate(new Uint8Array(readVector('intel-pki/Intel_SGX_Root_CA.der')));
  const tcbTime = new Date('2025-10-01T00:00:00Z');
  const qeTime = new Date('2025-07-01T00:00:00Z');

  /** Status and advisories from the pieces, each signature checked inside its own window. */
  function evaluate(quoteRel: string, tcbInfoBody: string | Uint8Array) {
    const anchors = [root()];
    const quote = parseSgxQuote(quoteVector(quoteRel));
    const chain = verifyPckChain(pckCertificates(quote.signatureData.certificationData, undefined), { now: new Date('2025-09-01'), anchors, crls: [] });
    const collateral = parsePcsCollateral({ tcbInfo: tcbInfoBody, qeIdentity: sgxQeIdentity2025(), tcbInfoIssuerChain: tcbSigningChain2025() });
    verifySignedItem(collateral.tcbInfo, collateral.tcbInfoIssuerChain, 'TCB info', { now: tcbTime, anchors, crls: [] });
    verifySignedItem(collateral.qeIdentity, collateral.qeIdentityIssuerChain, 'QE identity', { now: qeTime, anchors, crls: [] });
    assert.equal(collateral.tcbInfo.value.fmspc, chain.extension.fmspc);
    const qe = evaluateQeIdentity(quote.signatureData.qeReport, collateral.qeIdentity.value, false);
    return evaluateTcb(collateral.tcbInfo.value, { sgxComponents: chain.extension.sgxTcbComponents, pceSvn: chain.extension.pceSvn }, qe);
  }

  /** The compact re-serialisation that Intel actually signed, for the two pretty-printed files. */
  function compact(rel: string): string {
    const doc = JSON.parse(readVector(rel).toString('utf8')) as { tcbInfo: unknown; signature: string };
    return pcsBody('tcbInfo', JSON.stringify(doc.tcbInfo), doc.signature);
  }

  it('sgx-tlsn-quote9 and sgx-tlsn-quotedev are SWHardeningNeeded [SA-00334, SA-00615]', () => {
    for (const rel of ['sgx/teekit/sgx-tlsn-quote9.dat', 'sgx/teekit/sgx-tlsn-quotedev.dat']) {
      const r = evaluate(rel, readVector('sgx/teekit-tcbinfos/tcbInfo-sgx-00906ed50000.json'));
      assert.equal(r.status, 'SWHardeningNeeded');
      assert.deepEqual(r.advisoryIds, ['INTEL-SA-00334', 'INTEL-SA-00615']);
    }
  });

  it('pretty-printed TCB infos do not verify over the bytes received (the trap)', () => {
    for (const [quote, fmspc] of [['sgx-chinenyeokafor.dat', '90c06f000000'], ['sgx-occlum.dat', '30606a000000']] as const) {
      assert.throws(
        () => evaluate(`sgx/teekit/${quote}`, readVector(`sgx/teekit-tcbinfos/tcbInfo-sgx-${fmspc}.json`)),
        (e: { code?: string }) => e.code === 'ERR_COLLATERAL',
      );
    }
  });

  it('sgx-chinenyeokafor is UpToDate (over the compact bytes Intel signed)', () => {
    assert.equal(evaluate('sgx/teekit/sgx-chinenyeokafor.dat', compact('sgx/teekit-tcbinfos/tcbInfo-sgx-90c06f000000.json')).status, 'UpToDate');
  });

  it('sgx-occlum is OutOfDate with 10 advisories', () => {
    const r = evaluate('sgx/teekit/sgx-occlum.dat', compact('sgx/teekit-tcbinfos/tcbInfo-sgx-30606a000000.json'));
    assert.equal(r.status, 'OutOfDate');
    assert.equal(r.advisoryIds.length, 10);
  });

  for (const rel of ['sgx-chinenyeokafor.dat', 'sgx-occlum.dat', 'sgx-tlsn-quote9.dat', 'sgx-tlsn-quotedev.dat']) {
    it(`${rel}: quote, QE and chain verify at 2025-09-01`, async () => {
      const a = await verifySgxQuote(quoteVector(`sgx/teekit/${rel}`), { now: new Date('2025-09-01'), allowNoCollateral: true, allowDebug: true });
      assert.equal(a.details['tcbEvaluated'], false);
    });
  }

  it('sgx-occlum carries isvprodid 4000 and isvsvn 5000', async () => {
    const a = await verifySgxQuote(quoteVector('sgx/teekit/sgx-occlum.dat'), { now: new Date('2025-09-01'), allowNoCollateral: true, allowDebug: true });
    assert.equal(a.tcb['isvProdId'], 4000);
    assert.equal(a.tcb['isvSvn'], 5000);
  });
});

describe('SGX vectors: trustee and the Intel QVL sample', skip, () => {
  it('occlum_quote (debug enclave): signature and chain valid', async () => {
    const quote = quoteVector('sgx/trustee/occlum_quote.dat');
    const a = await verifySgxQuote(quote, { now: new Date('2025-09-01'), allowNoCollateral: true, allowDebug: true });
    assert.equal(a.tcb['fmspc'], '00606a000000');
    assert.equal(a.debug, true);
    await rejectsWith(verifySgxQuote(quote, { now: new Date('2025-09-01'), allowNoCollateral: true }), 'ERR_DEBUG');
  });

  const Q = 'sgx/intel-qvl-sample/';
  const pckChain = () => [...pemToDer(readVector(Q + 'pckCert.pem')), ...pemToDer(readVector(Q + 'pckSignChain.pem'))];
  const now = new Date('2025-06-01');

  it('cert data type 1 without a supplied PCK chain is refused', async () => {
    await rejectsWith(verifySgxQuote(quoteVector(Q + 'quote.dat'), { now, allowNoCollateral: true }), 'ERR_CHAIN');
  });

  it('is rejected under the production root pin, even with its chain supplied', async () => {
    await rejectsWith(verifySgxQuote(quoteVector(Q + 'quote.dat'), { now, allowNoCollateral: true, pckCertChain: pckChain() }), 'ERR_CHAIN');
  });

  it('with its test root, chain, CRLs (one PEM, one DER) and collateral it verifies (UpToDate)', async () => {
    const root = pemToDer(readVector(Q + 'trustedRootCaCert.pem'))[0]!;
    const collateral = parsePcsCollateral({
      tcbInfo: readVector(Q + 'tcbInfo.json'),
      qeIdentity: readVector(Q + 'qeIdentity.json'),
      tcbInfoIssuerChain: readVector(Q + 'tcbSignChain.pem'),
    });
    const crls = [new Uint8Array(readVector(Q + 'intermediateCaCrl.pem')), new Uint8Array(readVector(Q + 'rootCaCrl.der'))];
    const a = await verifySgxQuote(quoteVector(Q + 'quote.dat'), { now, trustRoots: [root], pckCertChain: pckChain(), collateral, crls });
    assert.equal(a.tcbStatus, 'UpToDate');
    assert.equal(a.details['certificationDataType'], 1);
  });
});
