/**
 * Verification of a SEV-SNP attestation report: format, product, certificate chain to a pinned
 * AMD root (or a caller's root), report signature, VCEK/VLEK ↔ report TCB binding, then policy.
 */
import type { Appraisal } from '../appraisal.js';
import { AttestationError } from '../errors.js';
import { Certificate, parseCertificates } from '../pki/certificate.js';
import { buildChain, verifyChain, type SignatureCache, type VerifiedChain } from '../pki/chain.js';
import { Crl, parseCrls } from '../pki/crl.js';
import type { PkiInput } from '../pki/pem.js';
import { amdBuiltInCerts } from './anchors.js';
import { ARK_FINGERPRINTS } from './roots.js';
import { snpAppraisal } from './appraisal.js';
import { checkSnpPolicy, validateSnpPolicy, type SnpPolicy } from './policy.js';
import { SNP_PRODUCTS, isSnpProduct, productFromCaName, productHintFromChipId, type SnpProduct } from './product.js';
import { parseSnpReport, type SnpReport } from './report.js';
import { isP384Key, verifyReportSignature } from './signature.js';
import { decodeTcbVersion } from './tcb.js';
import { amdKeyInfo, matchKeyToReport, type AmdKeyInfo } from './vcek.js';

/** A certificate given as DER, PEM (possibly several), or already parsed. */
export type CertSource = PkiInput | Certificate;

/** Options of {@link verifySnp}: where the keys come from, the time, and the policy. */
export interface SnpVerifyOptions extends SnpPolicy {
  /** Verification time for validity periods and CRLs. Default: the current time. */
  readonly now?: Date;
  /**
   * The VCEK or VLEK that signed the report, optionally with its ASK/ASVK and ARK (a KDS
   * `cert_chain` PEM, an Azure VCEK bundle...). The first non-CA certificate is the signer.
   * When CA certificates are given, only they (and the trusted roots) are used to build the
   * path; otherwise the built-in AMD ASKs/ASVKs are.
   */
  readonly certs?: CertSource | readonly CertSource[];
  /** Extra trusted roots (e.g. a simulated platform's ARK), in addition to AMD's pinned ARKs. */
  readonly trustRoots?: readonly CertSource[];
  /** Trust only `trustRoots`, not AMD's built-in ARKs. Default false. */
  readonly ignoreBuiltInRoots?: boolean;
  /** CRLs (DER/PEM or parsed), e.g. AMD KDS `/crl`, which the ARK signs and which lists ASK serials. */
  readonly crls?: readonly (PkiInput | Crl)[];
  /** The product, when the caller knows it (v2 reports do not say). Must agree with the report. */
  readonly product?: SnpProduct;
  /** Signature cache shared across calls (a warm verifier skips the chain's RSA checks). */
  readonly cache?: SignatureCache;
}

function certsOf(sources: CertSource | readonly CertSource[] | undefined): Certificate[] {
  if (sources === undefined) return [];
  const list = Array.isArray(sources) ? (sources as readonly CertSource[]) : [sources as CertSource];
  return list.flatMap((s) => (s instanceof Certificate ? [s] : parseCertificates(s)));
}

function crlsOf(sources: readonly (PkiInput | Crl)[] | undefined): Crl[] {
  return (sources ?? []).flatMap((s) => (s instanceof Crl ? [s] : parseCrls(s)));
}

/**
 * Settles the product before any TCB field is decoded: CPUID (v3+), else the caller's word,
 * else the key certificate's productName, else the CA names on the path.
 */
function settleProduct(report: SnpReport, info: AmdKeyInfo, requested: SnpProduct | undefined, chain: VerifiedChain): SnpProduct {
  if (requested !== undefined && report.cpuidProduct !== undefined && requested !== report.cpuidProduct) {
    throw new AttestationError('ERR_POLICY', `expected a ${requested} report, its CPUID says ${report.cpuidProduct}`);
  }
  const fromChain = chain.certificates.slice(1).map((c) => productFromCaName(c.commonName)).find((p) => p !== undefined);
  const product = report.cpuidProduct ?? requested ?? info.product ?? fromChain;
  if (product === undefined) {
    throw new AttestationError('ERR_POLICY', 'cannot tell the product (Milan, Genoa, Turin) of this report; pass `product`');
  }
  if (info.product !== undefined && info.product !== product) {
    throw new AttestationError('ERR_TCB_MISMATCH', `the ${info.kind} is for ${info.productName}, the report is from ${product}`);
  }
  if (report.version === 2 && productHintFromChipId(report.chipIdBytes()) === 'Turin' && product !== 'Turin') {
    throw new AttestationError('ERR_TCB_MISMATCH', `CHIP_ID has the Turin shape (8 bytes) but the product is ${product}`);
  }
  return product;
}

/** The CAs on the path must be AMD's for this product and key kind (ASK for VCEK, ASVK for VLEK). */
function checkChainProduct(chain: VerifiedChain, product: SnpProduct, kind: AmdKeyInfo['kind']): void {
  const [, issuer, ...rest] = chain.certificates;
  const expectedIssuer = kind === 'VLEK' ? `SEV-VLEK-${product}` : `SEV-${product}`;
  if (issuer !== undefined && issuer !== chain.anchor && issuer.commonName !== expectedIssuer) {
    throw new AttestationError('ERR_CHAIN', `the ${kind} must be issued by ${expectedIssuer}, not '${issuer.commonName}'`);
  }
  const builtIn = SNP_PRODUCTS.find((p) => ARK_FINGERPRINTS[p] === chain.anchor.sha256);
  if (builtIn !== undefined && builtIn !== product) {
    throw new AttestationError('ERR_CHAIN', `the chain ends at ARK-${builtIn}, the report is from ${product}`);
  }
  if (rest.length > 1) throw new AttestationError('ERR_CHAIN', 'an AMD chain has at most three certificates');
}

/**
 * Verifies an SEV-SNP ATTESTATION_REPORT and applies `options` as policy.
 *
 * @returns an immutable Appraisal (`tee: 'sev-snp'`, `tcbStatus: 'UpToDate'`: SNP has no
 *   collateral-based status; TCB minimums are policy).
 * @throws AttestationError ERR_FORMAT (report or certificate bytes), ERR_CHAIN, ERR_EXPIRED,
 *   ERR_REVOKED, ERR_COLLATERAL (CRL), ERR_SNP_SIGNATURE, ERR_TCB_MISMATCH, ERR_TCB_OUTDATED,
 *   ERR_DEBUG, ERR_MEASUREMENT, ERR_REPORT_DATA, ERR_POLICY.
 * @throws TypeError when the options themselves are malformed.
 */
export async function verifySnp(report: Uint8Array, options: SnpVerifyOptions = {}): Promise<Appraisal> {
  return verifySnpSync(report, options);
}

/** The synchronous core of {@link verifySnp} (node:crypto needs no awaiting). Same contract. */
export function verifySnpSync(reportBytes: Uint8Array, options: SnpVerifyOptions = {}): Appraisal {
  validateSnpPolicy(options);
  if (options.product !== undefined && !isSnpProduct(options.product)) throw new TypeError(`product: unknown '${String(options.product)}'`);
  const now = options.now ?? new Date();
  if (!(now instanceof Date) || !Number.isFinite(now.getTime())) throw new TypeError('now: expected a valid Date');

  const report = parseSnpReport(reportBytes);
  if (report.signingKey === 'none') throw new AttestationError('ERR_SNP_SIGNATURE', 'the report is unsigned (SIGNING_KEY=7)');

  const supplied = certsOf(options.certs);
  // The signer is the first end-entity certificate, so bundles in any order work.
  const leaf = supplied.find((c) => c.basicConstraints?.ca !== true);
  if (leaf === undefined) throw new AttestationError('ERR_CHAIN', `no ${report.signingKey} certificate was supplied`);
  const others = supplied.filter((c) => c !== leaf);
  const info = amdKeyInfo(leaf);

  // Of the caller's trusted certificates, the self-issued ones are roots; any others (the ASK
  // of a simulated platform, shipped beside its ARK) are intermediates that must chain to one.
  const trusted = certsOf(options.trustRoots);
  const trustedRoots = trusted.filter((c) => c.selfIssued);
  const trustedIntermediates = trusted.filter((c) => !c.selfIssued);
  const crls = crlsOf(options.crls);
  const chainOptions = (anchors: readonly Certificate[]) => ({ now, anchors, crls, ...(options.cache ? { cache: options.cache } : {}) });
  // A chain the evidence supplies that ends at one of the caller's own roots (a simulated
  // platform's) needs no built-in AMD certificate: parsing those costs a few ms.
  let chain: VerifiedChain | undefined;
  if (others.length > 0 && trustedRoots.length > 0) {
    try {
      const own = chainOptions(trustedRoots);
      chain = verifyChain(buildChain(leaf, [...others, ...trustedIntermediates], own), own);
    } catch {
      chain = undefined; // decided below, with AMD's roots as well (and that error is the one reported)
    }
  }
  if (chain === undefined) {
    const builtIn = amdBuiltInCerts();
    const anchors = [...(options.ignoreBuiltInRoots ? [] : SNP_PRODUCTS.map((p) => builtIn[p].ark)), ...trustedRoots];
    const pool = [
      ...(others.length > 0
        ? others
        : options.ignoreBuiltInRoots
          ? []
          : SNP_PRODUCTS.flatMap((p) => [builtIn[p].ask, builtIn[p].asvk])),
      ...trustedIntermediates,
    ];
    const all = chainOptions(anchors);
    chain = verifyChain(buildChain(leaf, pool, all), all);
  }

  // Authenticate before interpreting: nothing the report says is used until its signature holds.
  if (!isP384Key(leaf.publicKey)) throw new AttestationError('ERR_SNP_SIGNATURE', `the ${info.kind} key is not an EC P-384 key`);
  if (!verifyReportSignature(report, leaf.publicKey)) {
    throw new AttestationError('ERR_SNP_SIGNATURE', `the report signature does not verify with the ${info.kind}`);
  }

  const product = settleProduct(report, info, options.product, chain);
  checkChainProduct(chain, product, info.kind);

  const reportedTcb = decodeTcbVersion(report.reportedTcb, product, 'REPORTED_TCB');
  matchKeyToReport(info, report, product, reportedTcb);
  checkSnpPolicy(report, reportedTcb, options);
  return snpAppraisal({ report, product, reportedTcb, info, chain });
}
