/**
 * The built-in AMD certificates, parsed on first use (never at import) and checked against
 * their pinned fingerprints.
 */
import { parseCertificates, type Certificate } from '../pki/certificate.js';
import { SNP_PRODUCTS, type SnpProduct } from './product.js';
import { AMD_CERTS_PEM, ARK_FINGERPRINTS, INTERMEDIATE_FINGERPRINTS } from './roots.js';

/** The parsed built-in certificates of one product. */
export interface AmdProductCerts {
  readonly ark: Certificate;
  readonly ask: Certificate;
  readonly asvk: Certificate;
}

let cached: Readonly<Record<SnpProduct, AmdProductCerts>> | undefined;

function pinned(pem: string, sha256: string, what: string): Certificate {
  const [cert] = parseCertificates(pem);
  // A mismatch means the source was edited: a build defect, not bad evidence.
  if (cert === undefined || cert.sha256 !== sha256) throw new Error(`built-in ${what} does not match its pinned fingerprint`);
  return cert;
}

/** The built-in AMD ARK, ASK and ASVK of every product (parsed and pin-checked once). */
export function amdBuiltInCerts(): Readonly<Record<SnpProduct, AmdProductCerts>> {
  if (cached === undefined) {
    const out = {} as Record<SnpProduct, AmdProductCerts>;
    for (const p of SNP_PRODUCTS) {
      out[p] = Object.freeze({
        ark: pinned(AMD_CERTS_PEM[p].ark, ARK_FINGERPRINTS[p], `ARK-${p}`),
        ask: pinned(AMD_CERTS_PEM[p].ask, INTERMEDIATE_FINGERPRINTS[p].ask, `SEV-${p}`),
        asvk: pinned(AMD_CERTS_PEM[p].asvk, INTERMEDIATE_FINGERPRINTS[p].asvk, `SEV-VLEK-${p}`),
      });
    }
    cached = Object.freeze(out);
  }
  return cached;
}
