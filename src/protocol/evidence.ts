/**
 * Evidence, as a host relays it from its platform to a client: nothing in it is trusted until
 * the client has verified it (client/verify-keep.ts). JSON form: bytes as padded base64.
 *
 *   { "backend": name, "format": "none" | "sev-snp" | "tdx", "report": b64, "certs": [b64],
 *     "trustRoots"?: [b64] }
 */
import { checkBackendName, EVIDENCE_FORMATS } from './names.js';
import type { BackendName, EvidenceFormat } from './names.js';
import { array, base64Bytes, oneOf, optional, strictObject } from './validate.js';
import type { Check } from './validate.js';

/** Evidence of one keep, from its platform. */
export interface Evidence {
  /** Which kind of platform produced it, so that a client can refuse `sim` and `nil` unless told. */
  readonly backend: BackendName;
  /** `sev-snp` (an ATTESTATION_REPORT), `tdx` (a DCAP quote), `none`. */
  readonly format: EvidenceFormat;
  /** The raw report or quote (empty for `nil`). */
  readonly report: Uint8Array;
  /**
   * DER certificates a verifier needs beyond its own roots: for `sev-snp` the VCEK or VLEK
   * first, then its ASK/ASVK and ARK when known; for `tdx` a PCK chain when the platform
   * supplied one outside the quote.
   */
  readonly certs: readonly Uint8Array[];
  /**
   * DER roots that only this platform vouches for: the `sim` ARK. A verifier must opt in to
   * trust them; real platforms leave this absent (their roots are AMD's and Intel's).
   */
  readonly trustRoots?: readonly Uint8Array[];
}

/** Largest report or quote, and largest certificate, on the wire. */
const MAX_REPORT_BYTES = 64 * 1024;
const MAX_CERT_BYTES = 64 * 1024;
/** Most certificates (and roots) evidence carries. */
const MAX_CERTS = 16;

/** The JSON form of evidence. */
export function encodeEvidence(e: Evidence): Record<string, unknown> {
  const out: Record<string, unknown> = { backend: e.backend, format: e.format, report: b64(e.report), certs: e.certs.map(b64) };
  if (e.trustRoots !== undefined) out['trustRoots'] = e.trustRoots.map(b64);
  return out;
}

const checkEvidenceJson = strictObject({
  backend: checkBackendName,
  format: oneOf(...EVIDENCE_FORMATS),
  report: base64Bytes(MAX_REPORT_BYTES),
  certs: array(base64Bytes(MAX_CERT_BYTES), MAX_CERTS),
  trustRoots: optional(array(base64Bytes(MAX_CERT_BYTES), MAX_CERTS)),
});

/** Checks and decodes the JSON form of evidence. */
export const checkEvidence: Check<Evidence> = (v, path) => {
  const e = checkEvidenceJson(v, path);
  return e.trustRoots === undefined ? { backend: e.backend, format: e.format, report: e.report, certs: e.certs } : { ...e, trustRoots: e.trustRoots };
};

/** Bytes as padded base64. */
export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
