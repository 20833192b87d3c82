/**
 * Errors of the host agent. Every failure a caller (in-process or over HTTP) can see carries a
 * stable string `code`; the HTTP layer maps codes to statuses (see {@link HOST_ERROR_STATUS}).
 */
import { CodedError } from '../errors.js';

/** Stable codes for {@link HostError}. */
export const HostErrorCode = {
  /** The request is malformed (bad JSON, unknown field, wrong type, bad header). */
  BAD_REQUEST: 'ERR_BAD_REQUEST',
  /** No bearer token, or one no tenant holds. */
  UNAUTHORIZED: 'ERR_UNAUTHORIZED',
  /** No such keep for this tenant (another tenant's keep is "not found" too). */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** A body is larger than the agent accepts. */
  TOO_LARGE: 'ERR_TOO_LARGE',
  /** The keep is in the wrong state for this (package already delivered, keep ended...). */
  CONFLICT: 'ERR_CONFLICT',
  /** The backend asked for cannot be used on this host. */
  BACKEND_UNAVAILABLE: 'ERR_BACKEND_UNAVAILABLE',
  /** The keep could not attest (it failed to start, to make its key, or the platform refused). */
  ATTESTATION: 'ERR_ATTESTATION',
  /** The agent is shutting down and takes no new work. */
  SHUTTING_DOWN: 'ERR_SHUTTING_DOWN',
  /** Anything else; details are in the agent's log, not in the answer. */
  INTERNAL: 'ERR_INTERNAL',
} as const;

/** One of the values of {@link HostErrorCode}. */
export type HostErrorCode = (typeof HostErrorCode)[keyof typeof HostErrorCode];

/** The HTTP status of each code. */
export const HOST_ERROR_STATUS: Readonly<Record<HostErrorCode, 400 | 401 | 404 | 409 | 413 | 500 | 502 | 503>> = {
  ERR_BAD_REQUEST: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_NOT_FOUND: 404,
  ERR_TOO_LARGE: 413,
  ERR_CONFLICT: 409,
  ERR_BACKEND_UNAVAILABLE: 503,
  ERR_ATTESTATION: 502,
  ERR_SHUTTING_DOWN: 503,
  ERR_INTERNAL: 500,
};

/** A host agent failure; branch on `code`, never on the message. */
export class HostError extends CodedError<HostErrorCode> {
  override readonly name = 'HostError';
}

/** True when `err` is a {@link HostError} (also across separately bundled copies of the class). */
export function isHostError(err: unknown): err is HostError {
  if (err instanceof HostError) return true;
  const e = err as { name?: unknown; code?: unknown } | null;
  return e?.name === 'HostError' && typeof e.code === 'string' && e.code in HOST_ERROR_STATUS;
}

/**
 * Codes a keep's record can carry in `error.code` besides what the keep itself reports:
 * the agent's own verdicts on how a keep ended.
 */
export const KeepFateCode = {
  /** The keep process ended without reporting an outcome. */
  CRASHED: 'ERR_KEEP_CRASHED',
  /** The keep could not attest. */
  ATTESTATION: 'ERR_ATTESTATION',
  /** The package upload stopped before its end (client went away, idle timeout). */
  PACKAGE_INCOMPLETE: 'ERR_PACKAGE_INCOMPLETE',
  /** The package was larger than the agent accepts. */
  TOO_LARGE: 'ERR_TOO_LARGE',
  /** No package arrived in time. */
  EXPIRED: 'ERR_EXPIRED',
  /** The agent stopped or died while the keep ran. */
  LOST: 'ERR_HOST_RESTARTED',
  /** The agent shut down and killed the keep. */
  SHUTDOWN: 'ERR_HOST_SHUTDOWN',
  /** The keep trapped (the trap kind is in the message). */
  TRAP: 'ERR_TRAP',
} as const;
