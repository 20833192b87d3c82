/**
 * Errors raised while parsing or appraising attestation evidence.
 *
 * Every rejection carries a stable string `code`; callers and tests branch on the code, never on
 * the message. Lower-level failures (X.509 parsing, WebCrypto) are wrapped with `cause`.
 */
import { CodedError } from '../errors.js';

/** Stable codes for {@link AttestationError}. */
export const AttestationErrorCode = {
  /** The evidence bytes do not parse (length, version, reserved fields, encodings). */
  FORMAT: 'ERR_FORMAT',
  /** The evidence format could not be detected or is not supported. */
  UNSUPPORTED: 'ERR_UNSUPPORTED',
  /** SEV-SNP report signature does not verify with the VCEK/VLEK. */
  SNP_SIGNATURE: 'ERR_SNP_SIGNATURE',
  /** TDX/SGX quote signature (attestation key) does not verify. */
  QUOTE_SIGNATURE: 'ERR_QUOTE_SIGNATURE',
  /** The QE report signature (PCK) or the QE report's binding of the attestation key fails. */
  QE_REPORT: 'ERR_QE_REPORT',
  /** A certificate chain does not build or verify to a pinned/trusted root. */
  CHAIN: 'ERR_CHAIN',
  /** A certificate, CRL or collateral item is outside its validity period at `now`. */
  EXPIRED: 'ERR_EXPIRED',
  /** A certificate in the chain is revoked by a supplied CRL. */
  REVOKED: 'ERR_REVOKED',
  /** The TCB the evidence reports does not match its signing certificate (SPL / FMSPC / hwID). */
  TCB_MISMATCH: 'ERR_TCB_MISMATCH',
  /** The TCB is below the policy's minimum, or its status is not accepted by policy. */
  TCB_OUTDATED: 'ERR_TCB_OUTDATED',
  /** No TCB level in the collateral matches the evidence. */
  TCB_NO_MATCH: 'ERR_TCB_NO_MATCH',
  /** Collateral (TCB info, QE identity, CRL) is malformed, badly signed, or does not apply. */
  COLLATERAL: 'ERR_COLLATERAL',
  /** The evidence says debug is enabled and policy does not allow it. */
  DEBUG: 'ERR_DEBUG',
  /** The measurement is not among the allowed measurements. */
  MEASUREMENT: 'ERR_MEASUREMENT',
  /** The report data is not what the verifier expected (nonce / key binding). */
  REPORT_DATA: 'ERR_REPORT_DATA',
  /** Any other policy refusal (VMPL, migration agent, SMT, product...). */
  POLICY: 'ERR_POLICY',
} as const;

/** One of the values of {@link AttestationErrorCode}. */
export type AttestationErrorCode = (typeof AttestationErrorCode)[keyof typeof AttestationErrorCode];

/** A rejection of attestation evidence; `code` is stable, `message` says what was wrong. */
export class AttestationError extends CodedError<AttestationErrorCode> {
  override readonly name = 'AttestationError';
}
