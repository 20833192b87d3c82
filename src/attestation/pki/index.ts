/**
 * The attestation PKI layer shared by the SEV-SNP and Intel DCAP verifiers.
 *
 * Parsing (all inputs are untrusted bytes; every failure is an AttestationError):
 * - `parseCertificates(input: Uint8Array | string): Certificate[]` — DER bytes (one cert) or PEM
 *   text/bytes with any number of CERTIFICATE blocks, in order. `parseCertificate(der)` for one.
 *   ERR_FORMAT when malformed; ERR_CHAIN when the signature algorithm is unsupported.
 * - `Certificate` (immutable): `sha256` (fingerprint, hex), `subject`/`issuer` (readable),
 *   `subjectName`/`issuerName` (DER hex, what names are matched on), `serialNumber` (minimal hex),
 *   `notBefore`/`notAfter` (ISO) and `notBeforeMs`/`notAfterMs`, `publicKey` (KeyObject),
 *   `basicConstraints`, `keyUsage`, `extensions` ({oid, critical}[]), `extensionValue(oid)`
 *   (copy of the extnValue contents), `commonName`, `selfIssued`, `isSignedBy(key)`, `toDer()`, `toPem()`.
 * - `parseCrls(input)` / `parseCrl(der)` → `Crl` (immutable): `issuer`, `issuerName`,
 *   `thisUpdateMs`, `nextUpdateMs`, `revoked` (serial hex → ms), `isRevoked(serial)`,
 *   `isSignedBy(key)`. ERR_COLLATERAL when malformed or with unsupported critical extensions.
 *
 * Validation:
 * - `verifyChain(chain, { now, anchors, crls?, handledCriticalExtensions?, cache? })` — chain is
 *   leaf first; it must end at an anchor (SHA-256 match) or at a cert an anchor issued (the anchor
 *   is then appended). Checks names, signatures (RSA-PSS, RSA PKCS#1 v1.5, ECDSA with SHA-2),
 *   issuers' basicConstraints cA / pathLen / keyUsage keyCertSign, unknown critical extensions,
 *   validity at `now`, and CRLs (issuer signature, cRLSign, thisUpdate/nextUpdate, serials).
 *   Returns `{ certificates, anchor }`. Throws ERR_CHAIN, ERR_EXPIRED, ERR_REVOKED, ERR_COLLATERAL.
 * - `buildChain(leaf, pool, { anchors, cache? })` — finds issuers (name match + signature) from
 *   `pool` and the anchors up to an anchor; only builds, so pass the result to `verifyChain`.
 * - `SignatureCache` — share one across calls to skip repeated signature checks (warm path).
 * - `chainEntry(cert)` — the Appraisal `ChainEntry` summary.
 *
 * Helpers: `sha256Hex(bytes)`, `toHex(bytes)`, `decodePem(text)`, `derObjects(input, labels)`,
 * `encodePem(label, der)`, `verifySignature(alg, key, data, sig)`, and the small DER reader
 * (`readTlv`, `expectTlv`, `children`, `contentOf`, `decodeOid`, `unsignedInteger`, `DerTag`)
 * for vendor extensions.
 */
export {
  Certificate,
  KEY_USAGE_NAMES,
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  parseCertificate,
  parseCertificates,
} from './certificate.js';
export type { BasicConstraints, ExtensionInfo, KeyUsage } from './certificate.js';
export { Crl, parseCrl, parseCrls } from './crl.js';
export { MAX_CHAIN_LENGTH, SignatureCache, buildChain, chainEntry, isIssuedBy, verifyChain } from './chain.js';
export type { ChainOptions, VerifiedChain } from './chain.js';
export { resolveSignatureAlgorithm, signatureAlgorithmFromDer, verifySignature } from './algorithms.js';
export type { SignatureAlgorithm } from './algorithms.js';
export { serialHex, sha256Hex, toHex } from './fingerprint.js';
export { decodePem, derObjects, encodePem, looksLikePem } from './pem.js';
export type { PemBlock, PkiInput } from './pem.js';
export { DerTag, children, contentOf, decodeOid, encodingOf, expectTlv, readTlv, unsignedInteger } from './der.js';
export type { Tlv } from './der.js';
