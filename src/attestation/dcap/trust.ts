/**
 * Trust anchors for DCAP: the Intel SGX Root CA, pinned by the SHA-256 of its DER.
 *
 * The root itself travels with the evidence (the quote's PCK chain and every PCS issuer chain
 * end with it), so pinning its fingerprint is enough: a certificate with that fingerprint is the
 * root, byte for byte. Intel's QVL test roots (used by its sample data) have other fingerprints
 * and are refused unless the caller passes them as `trustRoots`.
 */
import { AttestationError } from '../errors.js';
import { parseCertificate, type Certificate } from '../pki/index.js';

/** SHA-256 of the production Intel SGX Root CA certificate (DER), valid 2018-05-21 to 2049-12-31. */
export const INTEL_SGX_ROOT_CA_SHA256 = '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3';

/** Parses caller-supplied trust roots (DER). @throws TypeError when one is not a certificate. */
export function parseTrustRoots(trustRoots: readonly Uint8Array[]): Certificate[] {
  return trustRoots.map((der, i) => {
    if (!(der instanceof Uint8Array)) throw new TypeError(`trustRoots[${i}] must be DER bytes`);
    try {
      return parseCertificate(der);
    } catch (err) {
      throw new TypeError(`trustRoots[${i}] is not a DER certificate`, { cause: err });
    }
  });
}

/**
 * The anchors to validate against: the caller's roots when given, else those of `supplied`
 * whose fingerprint is the pinned Intel root.
 * @throws AttestationError ERR_CHAIN when there is none.
 */
export function resolveAnchors(supplied: readonly Certificate[], trustRoots: readonly Certificate[] | undefined): Certificate[] {
  if (trustRoots !== undefined) return [...trustRoots];
  const pinned = supplied.filter((c) => c.sha256 === INTEL_SGX_ROOT_CA_SHA256);
  if (pinned.length === 0) throw new AttestationError('ERR_CHAIN', 'the chain does not end at the Intel SGX Root CA');
  return pinned.slice(0, 1);
}
