/**
 * Verification of DCAP collateral: each signed JSON value against its TCB Signing certificate
 * (chained to the trust anchor), over the exact bytes received, and its validity window at `now`.
 *
 * Source: Intel QVL `TCBInfoVerifier` / `EnclaveIdentityVerifier` and `TCBSigningChain`
 * (the signer is "Intel SGX TCB Signing", issued by the root; the root CA CRL applies to it).
 */
import { AttestationError } from '../errors.js';
import { buildChain, verifyChain, type Certificate, type Crl, type SignatureCache } from '../pki/index.js';
import type { Collateral, Signed } from './collateral.js';
import { verifyP256 } from './ecdsa.js';
import type { QeIdentity } from './qe-identity.js';
import type { TcbInfo } from './tcb-info.js';

/** The common name of the certificate that signs TCB info and QE identities. */
export const TCB_SIGNING_CN = 'Intel SGX TCB Signing';

/** Collateral whose signatures, chains and validity windows have been checked. */
export interface VerifiedCollateral {
  readonly tcbInfo: TcbInfo;
  readonly qeIdentity: QeIdentity;
  /** The TCB info signing chain, leaf first. */
  readonly tcbSigningChain: readonly Certificate[];
}

/** Inputs of {@link verifyCollateral}. */
export interface CollateralContext {
  readonly now: Date;
  readonly anchors: readonly Certificate[];
  readonly crls: readonly Crl[];
  readonly cache?: SignatureCache;
}

/**
 * Verifies one signed collateral item: its issuer chain to an anchor (the signer is the chain's
 * "Intel SGX TCB Signing" certificate, wherever it sits: Intel's QVL sample lists the root first),
 * the signature over the exact bytes, and the issueDate/nextUpdate window at `now`.
 * Returns the signing chain, signer first.
 * @throws AttestationError ERR_COLLATERAL, ERR_CHAIN, ERR_EXPIRED, ERR_REVOKED
 */
export function verifySignedItem(
  signed: Signed<{ readonly issueDate: Date; readonly nextUpdate: Date }>,
  certs: readonly Certificate[],
  what: string,
  ctx: CollateralContext,
): Certificate[] {
  const signer = certs.find((c) => c.commonName === TCB_SIGNING_CN);
  if (signer === undefined) throw new AttestationError('ERR_COLLATERAL', `${what} issuer chain has no '${TCB_SIGNING_CN}' certificate`);
  const pool = certs.filter((c) => c !== signer);
  const cache = ctx.cache ? { cache: ctx.cache } : {};
  const path = buildChain(signer, pool, { anchors: ctx.anchors, ...cache });
  const verified = verifyChain(path, { now: ctx.now, anchors: ctx.anchors, crls: ctx.crls, ...cache });
  if (!verifyP256(signer.publicKey, signed.bytes, signed.signature)) {
    throw new AttestationError('ERR_COLLATERAL', `the signature of the ${what} does not verify over the bytes received`);
  }
  const now = ctx.now.getTime();
  if (now < signed.value.issueDate.getTime()) {
    throw new AttestationError('ERR_EXPIRED', `the ${what} is not valid before ${signed.value.issueDate.toISOString()}`);
  }
  if (now > signed.value.nextUpdate.getTime()) {
    throw new AttestationError('ERR_EXPIRED', `the ${what} expired at ${signed.value.nextUpdate.toISOString()}`);
  }
  return [...verified.certificates];
}

/**
 * Verifies the TCB info and the QE identity of `collateral`.
 * @throws AttestationError ERR_COLLATERAL (bad signature or signer), ERR_CHAIN, ERR_EXPIRED
 *   (a certificate, a CRL, or the collateral itself outside its window), ERR_REVOKED.
 */
export function verifyCollateral(collateral: Collateral, ctx: CollateralContext): VerifiedCollateral {
  const tcbSigningChain = verifySignedItem(collateral.tcbInfo, collateral.tcbInfoIssuerChain, 'TCB info', ctx);
  verifySignedItem(collateral.qeIdentity, collateral.qeIdentityIssuerChain, 'QE identity', ctx);
  return Object.freeze({
    tcbInfo: collateral.tcbInfo.value,
    qeIdentity: collateral.qeIdentity.value,
    tcbSigningChain: Object.freeze(tcbSigningChain),
  });
}
