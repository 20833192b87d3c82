/**
 * The steward's refusals: one stable code per reason, each with the HTTP status it is answered
 * with. The body of every refusal is `{"error":{"code":"ERR_…","message":"…"}}`, the form the
 * host agent's API uses too, so one client reads both.
 */
import { CodedError } from '../errors.js';

/** Why the steward refuses a request, and the HTTP status of each answer. */
export const StewardErrorStatus = {
  /** The body is not what the endpoint takes (DER, JSON, content type). */
  ERR_BAD_REQUEST: 400,
  /** The CSR is not well formed (DER, structure, counts). */
  ERR_CSR_MALFORMED: 400,
  /** The CSR's own signature does not verify. */
  ERR_CSR_SIGNATURE: 400,
  /** A key, signature or evidence type the steward does not take. */
  ERR_CSR_UNSUPPORTED: 400,
  /** The CSR carries no evidence, or more than one evidence source. */
  ERR_CSR_NO_EVIDENCE: 400,
  /** The evidence is valid but does not bind the CSR's public key. */
  ERR_REPORT_DATA: 403,
  /** The evidence was seen before: each issuance needs fresh evidence. */
  ERR_REPLAYED: 409,
  /** The evidence does not verify (signature, chain, format). */
  ERR_EVIDENCE: 403,
  /** The runtime's measurement is not in the steward's reference values. */
  ERR_MEASUREMENT: 403,
  /** The platform is refused by policy (sim without --allow-sim, debug, nil). */
  ERR_POLICY: 403,
  /** The TCB is older than the policy accepts, or its status is not accepted. */
  ERR_TCB: 403,
  /** A name the keep asks for is not one the policy lets it have. */
  ERR_NAME_NOT_ALLOWED: 403,
  /** The body is larger than the endpoint takes. */
  ERR_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  /** Too many requests from this address. */
  ERR_RATE_LIMITED: 429,
  ERR_NOT_FOUND: 404,
  ERR_INTERNAL: 500,
} as const;

/** A refusal code. */
export type StewardErrorCode = keyof typeof StewardErrorStatus;

/** A refusal of the steward, with its stable code. */
export class StewardError extends CodedError<StewardErrorCode> {
  override readonly name = 'StewardError';

  /** The HTTP status this refusal is answered with. */
  get status(): (typeof StewardErrorStatus)[StewardErrorCode] {
    return StewardErrorStatus[this.code];
  }
}
