/**
 * Which TLS identity a keep presents on its TLS sockets: the one place that chooses, in the order
 * of what a peer can check:
 *
 *   1. a certificate a steward issued, when Enarx.toml names `steward = URL` (steward-identity.ts):
 *      the keep's evidence goes to the steward in its CSR; a refusal is final, the keep serves
 *      nothing rather than something its client did not ask for;
 *   2. an attested self-signed certificate (RA-TLS, tls-identity.ts), when the keep's platform
 *      gives evidence;
 *   3. a plain self-signed certificate, when it has none (`nil`, or the host gave none).
 *
 * Whatever is chosen, the key is made in the keep and never leaves it.
 */
import { codeOf } from '../errors.js';
import { RuntimeError, RuntimeErrorCode } from '../runtime/errors.js';
import { keepTrace } from '../trace.js';
import { EvidenceError, KeepEvidenceErrorCode } from './evidence.js';
import type { RequestEvidence } from './evidence.js';
import type { Evidence } from '../protocol/evidence.js';
import { createAttestedIdentity, createSelfSignedIdentity } from './tls-identity.js';
import type { TlsIdentity } from './tls-identity.js';
import type { CheckedProvenance } from './provenance.js';

/** What a keep has to get an identity with. */
export interface TlsIdentitySources {
  /** Asks the keep's platform, through the host, for evidence (keep/evidence.ts). */
  readonly requestEvidence?: RequestEvidence;
  /** The DNS names the certificate carries (Enarx.toml `dns_names`), besides `localhost`. */
  readonly dnsNames?: readonly string[];
  /**
   * The steward to ask (Enarx.toml `steward`), the digest of the package the keep runs, and the
   * package's provenance as the keep checks it (keep/provenance.ts), when it came from a registry.
   */
  readonly steward?: {
    readonly url: string;
    readonly packageDigest: Uint8Array;
    readonly trustAnchors?: readonly string[];
    readonly provenance?: () => Promise<CheckedProvenance | undefined>;
  };
}

/**
 * The keep's TLS identity (see the file header). Falls back to a plain self-signed certificate
 * only when there is no evidence to be had (an EvidenceError: the host's refusal or silence);
 * any other failure is the keep's own and is thrown.
 */
export async function keepTlsIdentity(sources: TlsIdentitySources): Promise<TlsIdentity> {
  const { requestEvidence } = sources;
  const dnsNames = sources.dnsNames ?? [];
  keepTrace('tls identity');
  if (sources.steward !== undefined) {
    if (requestEvidence === undefined) throw new RuntimeError(RuntimeErrorCode.STEWARD_REFUSED, 'a steward certifies attested keeps only, and this keep has no evidence');
    const { stewardIdentity } = await import('./steward-identity.js');
    const names = { dnsNames: [...new Set(['localhost', ...dnsNames])], ipAddresses: ['127.0.0.1', '::1'] };
    const checked = await sources.steward.provenance?.();
    const { ociClaimUri, signerClaimUri } = await import('../protocol/steward.js');
    const claims = checked === undefined ? [] : [ociClaimUri(checked.oci), ...(checked.signer ? [signerClaimUri(checked.signer)] : [])];
    const anchors = sources.steward.trustAnchors ? { trustAnchors: sources.steward.trustAnchors } : {};
    return stewardIdentity({ url: sources.steward.url, packageDigest: sources.steward.packageDigest, claims, evidence: requestEvidence, ...anchors, ...names }, keepTrace);
  }
  if (requestEvidence !== undefined) {
    try {
      const identity = await createAttestedIdentity({ dnsNames, evidence: (reportData) => carriedEvidence(requestEvidence, reportData) });
      keepTrace('tls identity: attested');
      return identity;
    } catch (err) {
      // By its code, as errors are read across bundles.
      const code = codeOf(err);
      if (!(Object.values(KeepEvidenceErrorCode) as (string | undefined)[]).includes(code)) throw err;
      keepTrace(`tls identity: no evidence (${code})`);
    }
  }
  const identity = await createSelfSignedIdentity({ dnsNames });
  keepTrace('tls identity: self-signed');
  return identity;
}

/** Evidence over `reportData` that a certificate can carry. @throws EvidenceError when there is none */
async function carriedEvidence(requestEvidence: RequestEvidence, reportData: Uint8Array): Promise<Evidence> {
  keepTrace('tls identity: key made, evidence asked for');
  // The encoder's code loads while the host and its platform work.
  const bundleCode = import('../attestation/csr/attestation-bundle.js');
  bundleCode.catch(() => {});
  const evidence = await requestEvidence(reportData);
  keepTrace('tls identity: evidence received');
  // Nothing binds a `none` report: carrying it would only look like evidence.
  if (evidence.format === 'none') throw new EvidenceError(KeepEvidenceErrorCode.UNAVAILABLE, "the platform's evidence is empty");
  // The host's word: evidence that has no bundle form (a backend its roots contradict) is none.
  try {
    (await bundleCode).encodeAttestationBundle(evidence);
  } catch (err) {
    throw new EvidenceError(KeepEvidenceErrorCode.FAILED, `the host's evidence cannot be carried: ${(err as Error).message}`, { cause: err });
  }
  return evidence;
}
