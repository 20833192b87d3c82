/**
 * The verification steps every DCAP quote goes through, TDX or SGX, in Intel QVL order:
 * PCK chain → QE report signature → QE binding of the attestation key → quote signature →
 * collateral (signatures, applicability) → QE identity → platform TCB level.
 * Policy on the result (status, debug, measurements) is the caller's next step.
 */
import { createHash } from 'node:crypto';
import { AttestationError } from '../errors.js';
import { parseCertificate, parseCrls, type Certificate, type Crl } from '../pki/index.js';
import { constantTimeEqual, isAllZero } from './bytes.js';
import type { Collateral } from './collateral.js';
import { verifyCollateral, type VerifiedCollateral } from './collateral-verify.js';
import { p256KeyFromRaw, verifyP256 } from './ecdsa.js';
import type { ResolvedOptions } from './options.js';
import { pckCertificates, verifyPckChain, type VerifiedPckChain } from './pck-chain.js';
import { TEE_TYPE_TDX, type DcapQuote } from './quote.js';
import { evaluateQeIdentity, evaluateTcb, type TcbEvaluation } from './tcb-evaluation.js';
import { resolveAnchors } from './trust.js';

/** What verification established about a quote. */
export interface DcapVerification {
  readonly quote: DcapQuote;
  readonly pckChain: VerifiedPckChain;
  /** Absent when no collateral was given (and `allowNoCollateral` allowed that). */
  readonly collateral?: VerifiedCollateral;
  readonly tcb?: TcbEvaluation;
}

/** The collateral's CRLs and the caller's (each DER, or PEM with X509 CRL blocks). */
function gatherCrls(collateral: Collateral | undefined, extra: readonly Uint8Array[]): Crl[] {
  const parsed = extra.flatMap((input) => parseCrls(input));
  return [collateral?.pckCrl, collateral?.rootCaCrl, ...parsed].filter((c): c is Crl => c !== undefined);
}

function parseSuppliedChain(ders: readonly Uint8Array[]): Certificate[] {
  return ders.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (err) {
      throw new AttestationError('ERR_CHAIN', `supplied PCK certificate ${i} does not parse`, { cause: err });
    }
  });
}

/** QE binding: REPORTDATA = SHA-256(attestation key ‖ QE authentication data) ‖ 32 zero bytes. */
function checkQeBinding(quote: DcapQuote): void {
  const { attestationKey, qeAuthData, qeReport } = quote.signatureData;
  const digest = createHash('sha256').update(attestationKey).update(qeAuthData).digest();
  const rd = qeReport.reportData;
  if (!constantTimeEqual(rd.subarray(0, 32), digest) || !isAllZero(rd.subarray(32))) {
    throw new AttestationError('ERR_QE_REPORT', 'the QE report does not bind the attestation key');
  }
}

/** Collateral must be for this TEE, this FMSPC and this PCE (QVL 4.1.2.4.6–4.1.2.4.10). */
function checkApplicability(quote: DcapQuote, chain: VerifiedPckChain, collateral: Collateral, verified: VerifiedCollateral): void {
  const tdx = quote.header.teeType === TEE_TYPE_TDX;
  const info = verified.tcbInfo;
  if (tdx ? info.id !== 'TDX' || info.version !== 3 : info.id !== 'SGX') {
    throw new AttestationError('ERR_COLLATERAL', `TCB info '${info.id}' v${info.version} does not apply to a ${tdx ? 'TDX' : 'SGX'} quote`);
  }
  if (info.fmspc !== chain.extension.fmspc) {
    throw new AttestationError('ERR_COLLATERAL', `TCB info is for FMSPC ${info.fmspc}, the PCK certificate says ${chain.extension.fmspc}`);
  }
  if (info.pceId !== chain.extension.pceId) {
    throw new AttestationError('ERR_COLLATERAL', `TCB info is for PCE-ID ${info.pceId}, the PCK certificate says ${chain.extension.pceId}`);
  }
  const crl = collateral.pckCrl;
  if (crl !== undefined) {
    if (crl.issuerName !== chain.pck.issuerName) {
      throw new AttestationError('ERR_COLLATERAL', `the PCK CRL is issued by '${crl.issuer}', the PCK by '${chain.pck.issuer}'`);
    }
  }
}

/**
 * Authenticates `quote` and, with collateral, evaluates its TCB.
 * @throws AttestationError ERR_CHAIN, ERR_EXPIRED, ERR_REVOKED, ERR_QE_REPORT,
 *   ERR_QUOTE_SIGNATURE, ERR_COLLATERAL, ERR_TCB_NO_MATCH, ERR_TCB_MISMATCH, ERR_UNSUPPORTED.
 */
export function verifyDcapQuote(quote: DcapQuote, opts: ResolvedOptions): DcapVerification {
  const collateral = opts.collateral;
  const crls = gatherCrls(collateral, opts.crls);
  const supplied = opts.pckCertChain === undefined ? collateral?.pckCertificateChain : parseSuppliedChain(opts.pckCertChain);
  const pckCerts = pckCertificates(quote.signatureData.certificationData, supplied);
  const pool: Certificate[] = [...pckCerts];
  if (collateral !== undefined) pool.push(...collateral.tcbInfoIssuerChain, ...collateral.qeIdentityIssuerChain);
  const anchors = resolveAnchors(pool, opts.trustRoots);
  const ctx = { now: opts.now, anchors, crls, ...(opts.cache ? { cache: opts.cache } : {}) };
  const pckChain = verifyPckChain(pckCerts, ctx);

  const sig = quote.signatureData;
  if (!verifyP256(pckChain.pck.publicKey, sig.qeReport.raw, sig.qeReportSignature)) {
    throw new AttestationError('ERR_QE_REPORT', 'the QE report signature does not verify with the PCK key');
  }
  checkQeBinding(quote);
  const attestationKey = p256KeyFromRaw(sig.attestationKey);
  if (attestationKey === undefined) throw new AttestationError('ERR_QUOTE_SIGNATURE', 'the attestation key is not a P-256 point');
  if (!verifyP256(attestationKey, quote.signedRegion, sig.signature)) {
    throw new AttestationError('ERR_QUOTE_SIGNATURE', 'the quote signature does not verify with the attestation key');
  }

  if (collateral === undefined) {
    if (!opts.allowNoCollateral) {
      throw new AttestationError('ERR_COLLATERAL', 'no collateral was given, so the TCB cannot be evaluated');
    }
    return Object.freeze({ quote, pckChain });
  }
  const verified = verifyCollateral(collateral, ctx);
  checkApplicability(quote, pckChain, collateral, verified);
  const tdx = quote.body.kind !== 'sgx' ? quote.body.report : undefined;
  const qe = evaluateQeIdentity(sig.qeReport, verified.qeIdentity, tdx !== undefined);
  const tcb = evaluateTcb(
    verified.tcbInfo,
    {
      sgxComponents: pckChain.extension.sgxTcbComponents,
      pceSvn: pckChain.extension.pceSvn,
      ...(tdx === undefined ? {} : { td: tdx }),
    },
    qe,
  );
  return Object.freeze({ quote, pckChain, collateral: verified, tcb });
}
