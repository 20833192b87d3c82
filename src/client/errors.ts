/**
 * The client's errors: talking to a host ({@link HostApiError}), following a deploy
 * ({@link DeployError}) and checking a keep's TLS endpoint ({@link KeepTlsError}). A record that does not open is a crypto/session.ts SessionError; a keep
 * that is not trusted is an attestation AttestationError.
 */
import { CodedError } from '../errors.js';
import type { HttpErrorCode } from '../protocol/errors.js';

/** Codes of a host that cannot be talked to properly. */
export const HostApiErrorCode = {
  /** The host cannot be reached (connection refused, DNS, TLS). */
  UNREACHABLE: 'ERR_HOST_UNREACHABLE',
  /** The connection to the host broke while a stream was open (the agent died, the network went). */
  CONNECTION_LOST: 'ERR_HOST_CONNECTION_LOST',
  /** The host answered something the protocol does not allow. */
  PROTOCOL: 'ERR_HOST_PROTOCOL',
} as const;

/** A code of {@link HostApiError}: the agent's own (HTTP error codes), or the client's about the host. */
export type HostApiErrorCode = HttpErrorCode | (typeof HostApiErrorCode)[keyof typeof HostApiErrorCode] | `ERR_HTTP_${number}`;

/** A host agent's error answer, or a failure to talk to it. */
export class HostApiError extends CodedError<HostApiErrorCode> {
  override readonly name = 'HostApiError';
  constructor(
    code: HostApiErrorCode,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Codes of a deploy that did not get its keep's authenticated outcome. */
export const DeployErrorCode = {
  /** The keep's stream ended without its sealed outcome: cut short by the host or the network. */
  TRUNCATED: 'ERR_OUTPUT_TRUNCATED',
  /** The host no longer holds records the client had not read. */
  DROPPED: 'ERR_OUTPUT_DROPPED',
  /** The host says it killed the keep (a host can always do that; it cannot fake an outcome). */
  KILLED: 'ERR_KEEP_KILLED',
  /** The host says the keep failed before its session existed; `hostCode` is its reason. */
  FAILED: 'ERR_KEEP_FAILED',
} as const;
/** One of {@link DeployErrorCode}. */
export type DeployErrorCode = (typeof DeployErrorCode)[keyof typeof DeployErrorCode];

/** A deploy that ended without an authenticated outcome. */
export class DeployError extends CodedError<DeployErrorCode> {
  override readonly name = 'DeployError';
  constructor(
    code: DeployErrorCode,
    message: string,
    /** For ERR_KEEP_FAILED and ERR_KEEP_KILLED: the reason in the host's words (not authenticated). */
    readonly hostCode?: string,
  ) {
    super(code, message);
  }
}

/** Codes of a keep's TLS endpoint that cannot be checked (its evidence, once read, is an AttestationError's). */
export const KeepTlsErrorCode = {
  /** The certificate carries no evidence (id-aa-attestation): a plain self-signed one, or another's. */
  NO_EVIDENCE: 'ERR_NO_EVIDENCE',
  /** The certificate, or the evidence in it, does not parse. */
  MALFORMED: 'ERR_MALFORMED',
  /** The certificate is not self-signed by its own key (a keep's RA-TLS certificate always is). */
  CERTIFICATE: 'ERR_CERTIFICATE',
  /** The certificate is not valid now. */
  CERTIFICATE_EXPIRED: 'ERR_CERTIFICATE_EXPIRED',
  /** No TLS handshake with the endpoint (refused, reset, not TLS). */
  CONNECT: 'ERR_TLS_CONNECT',
  /** No TLS handshake within the time allowed. */
  TIMEOUT: 'ERR_TLS_TIMEOUT',
} as const;
/** One of {@link KeepTlsErrorCode}. */
export type KeepTlsErrorCode = (typeof KeepTlsErrorCode)[keyof typeof KeepTlsErrorCode];

/** A keep's TLS endpoint or certificate that could not be checked. */
export class KeepTlsError extends CodedError<KeepTlsErrorCode> {
  override readonly name = 'KeepTlsError';
}

/** Codes of {@link StewardClientError}. */
export const StewardClientErrorCode = {
  /** The steward cannot be reached, or answered with something that is not a token. */
  UNREACHABLE: 'ERR_STEWARD_UNREACHABLE',
  /** The steward appraised the keep and did not accept it (its code is in the message). */
  REFUSED: 'ERR_STEWARD_REFUSED',
  /** The token does not say what was asked: another report data, another nonce. */
  MISMATCH: 'ERR_STEWARD_MISMATCH',
} as const;
/** One of {@link StewardClientErrorCode}. */
export type StewardClientErrorCode = (typeof StewardClientErrorCode)[keyof typeof StewardClientErrorCode];

/** A keep appraisal delegated to a steward that did not accept it, or could not be asked. */
export class StewardClientError extends CodedError<StewardClientErrorCode> {
  override readonly name = 'StewardClientError';
}
