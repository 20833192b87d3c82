/**
 * The PCK certificate chain of a quote: where it comes from (certification data type 5 in the
 * quote, or the caller for types 1–4), and its validation to the trust anchor.
 *
 * Source: Intel SGX ECDSA Quote Library API, "Certification Data" (type 5: "Concatenated PCK Cert
 * Chain", PEM, leaf first); Intel QVL `QuoteVerifier.cpp` 4.1.2.4.4–4.1.2.4.7 (the leaf CN says
 * "SGX PCK Certificate"; the PCK CRL is the one of the PCK's issuer).
 */
import { AttestationError } from '../errors.js';
import {
  buildChain,
  looksLikePem,
  parseCertificate,
  parseCertificates,
  readTlv,
  verifyChain,
  type Certificate,
  type Crl,
  type SignatureCache,
  type VerifiedChain,
} from '../pki/index.js';
import { isP256Key } from './ecdsa.js';
import { OID_SGX_EXTENSIONS, parsePckExtension, type PckExtension } from './pck-extension.js';
import { CertificationDataType, type CertificationData } from './quote.js';

/** The common-name phrase that marks a PCK leaf (QVL 4.1.2.4.4). */
const PCK_CN = 'SGX PCK Certificate';

/** A validated PCK chain and the SGX extension of its leaf. */
export interface VerifiedPckChain extends VerifiedChain {
  readonly pck: Certificate;
  readonly extension: PckExtension;
}

function chainError(message: string, cause?: unknown): never {
  throw new AttestationError('ERR_CHAIN', message, cause === undefined ? undefined : { cause });
}

/** Certificates from PEM text (NUL-terminated, as QEs write it) or from concatenated DER. */
function certificatesFromBlob(blob: Uint8Array, what: string): Certificate[] {
  let end = blob.length;
  while (end > 0 && blob[end - 1] === 0) end--;
  const bytes = blob.subarray(0, end);
  try {
    if (looksLikePem(bytes)) return parseCertificates(bytes);
    // Intel's QVL sample data carries DER certificates back to back under type 5.
    const out: Certificate[] = [];
    for (let pos = 0; pos < bytes.length; ) {
      const tlv = readTlv(bytes, pos);
      out.push(parseCertificate(bytes.subarray(pos, tlv.end)));
      pos = tlv.end;
    }
    return out;
  } catch (err) {
    return chainError(`${what} does not hold well-formed certificates`, err);
  }
}

/**
 * The PCK chain (leaf first) for a quote's certification data. Types 1–3 (PPID only) need the
 * whole chain from the caller; type 4 carries the leaf, the caller supplies the CAs.
 * @throws AttestationError ERR_CHAIN when no chain is available or it does not parse;
 *   ERR_UNSUPPORTED for certification data type 7 (platform manifest).
 */
export function pckCertificates(certification: CertificationData, supplied: readonly Certificate[] | undefined): Certificate[] {
  const fromCaller = (): Certificate[] => [...(supplied ?? [])];
  switch (certification.type) {
    case CertificationDataType.PCK_CHAIN: {
      const certs = certificatesFromBlob(certification.data, 'certification data (type 5)');
      if (certs.length === 0) chainError('certification data (type 5) holds no certificate');
      return certs;
    }
    case CertificationDataType.PCK_LEAF:
      return [...certificatesFromBlob(certification.data, 'certification data (type 4)'), ...fromCaller()];
    case CertificationDataType.PPID_CLEARTEXT:
    case CertificationDataType.PPID_RSA2048_ENCRYPTED:
    case CertificationDataType.PPID_RSA3072_ENCRYPTED: {
      const certs = fromCaller();
      if (certs.length === 0) {
        chainError(`certification data type ${certification.type} carries no PCK certificate; supply the PCK chain`);
      }
      return certs;
    }
    default:
      throw new AttestationError('ERR_UNSUPPORTED', `certification data type ${certification.type} is not supported`);
  }
}

/** Inputs of {@link verifyPckChain}. */
export interface PckChainContext {
  readonly now: Date;
  readonly anchors: readonly Certificate[];
  readonly crls: readonly Crl[];
  readonly cache?: SignatureCache;
}

/**
 * Validates the PCK chain (the PCK leaf and its CAs, in any order) to an anchor, with CRLs,
 * and decodes the leaf's SGX extension.
 * @throws AttestationError ERR_CHAIN, ERR_EXPIRED, ERR_REVOKED, ERR_COLLATERAL (bad CRL).
 */
export function verifyPckChain(certs: readonly Certificate[], ctx: PckChainContext): VerifiedPckChain {
  // The leaf is the one PCK certificate, wherever it sits: QEs write it first, Intel's QVL
  // sample data last.
  const leaves = certs.filter((c) => c.commonName.includes(PCK_CN));
  if (leaves.length !== 1) chainError(`the PCK chain must hold exactly one '${PCK_CN}' certificate, it holds ${leaves.length}`);
  const leaf = leaves[0]!;
  const pool = certs.filter((c) => c !== leaf);
  if (!isP256Key(leaf.publicKey)) chainError('the PCK key is not an ECDSA P-256 key');
  const path = buildChain(leaf, pool, { anchors: ctx.anchors, ...(ctx.cache ? { cache: ctx.cache } : {}) });
  const verified = verifyChain(path, {
    now: ctx.now,
    anchors: ctx.anchors,
    crls: ctx.crls,
    handledCriticalExtensions: [OID_SGX_EXTENSIONS],
    ...(ctx.cache ? { cache: ctx.cache } : {}),
  });
  const ext = leaf.extensionValue(OID_SGX_EXTENSIONS);
  if (ext === undefined) chainError('the PCK certificate lacks the SGX extension');
  return Object.freeze({ ...verified, pck: leaf, extension: parsePckExtension(ext) });
}
