/**
 * The error codes that cross the wire, one registry each, with what the other side may do with
 * them:
 * - {@link HttpErrorCode}: a host agent's answer to a request (`{ error: { code, message } }`),
 *   with its HTTP status;
 * - {@link KeepFailureCode}: why a keep failed, as its host knows it (a keep's `error`, the SSE
 *   `error` event). These are the host's words: a client reports them, never believes them;
 * - outcome codes (a workload's end, sealed inside the keep ⇄ client session) are the runtime's
 *   own and are only checked for shape here ({@link checkErrorCode}).
 */
import { string } from './validate.js';
import type { Check } from './validate.js';

/** Codes of a host agent's error answers. */
export const HttpErrorCode = {
  /** The request is malformed (bad JSON, unknown field, wrong type, bad header). */
  BAD_REQUEST: 'ERR_BAD_REQUEST',
  /** No bearer token, or one no tenant holds. */
  UNAUTHORIZED: 'ERR_UNAUTHORIZED',
  /** No such keep for this tenant (another tenant's keep is "not found" too). */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** A request body did not arrive in time (stalled, or slower than the agent accepts). */
  REQUEST_TIMEOUT: 'ERR_REQUEST_TIMEOUT',
  /** The keep is in the wrong state for this (package already delivered, keep ended...). */
  CONFLICT: 'ERR_CONFLICT',
  /** A body is larger than the agent accepts. */
  TOO_LARGE: 'ERR_TOO_LARGE',
  /** The tenant, or the agent, has as many live keeps as it may. */
  TOO_MANY_KEEPS: 'ERR_TOO_MANY_KEEPS',
  /** The memory the keep would be promised is more than the tenant's, or the agent's, budget left. */
  MEMORY_QUOTA: 'ERR_MEMORY_QUOTA',
  /** Anything else; details are in the agent's log, not in the answer. */
  INTERNAL: 'ERR_INTERNAL',
  /** The keep could not attest (it failed to start, to make its key, or the platform refused). */
  ATTESTATION: 'ERR_ATTESTATION',
  /** The backend asked for cannot be used on this host. */
  BACKEND_UNAVAILABLE: 'ERR_BACKEND_UNAVAILABLE',
  /** The agent is shutting down and takes no new work. */
  SHUTTING_DOWN: 'ERR_SHUTTING_DOWN',
} as const;
/** One of the values of {@link HttpErrorCode}. */
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** The HTTP status of each code. */
export const HTTP_ERROR_STATUS: Readonly<Record<HttpErrorCode, 400 | 401 | 404 | 408 | 409 | 413 | 429 | 500 | 502 | 503>> = Object.freeze({
  ERR_BAD_REQUEST: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_NOT_FOUND: 404,
  ERR_REQUEST_TIMEOUT: 408,
  ERR_CONFLICT: 409,
  ERR_TOO_LARGE: 413,
  ERR_TOO_MANY_KEEPS: 429,
  ERR_MEMORY_QUOTA: 429,
  ERR_INTERNAL: 500,
  ERR_ATTESTATION: 502,
  ERR_BACKEND_UNAVAILABLE: 503,
  ERR_SHUTTING_DOWN: 503,
});

/** True when `code` is one of {@link HttpErrorCode}. */
export function isHttpErrorCode(code: unknown): code is HttpErrorCode {
  return typeof code === 'string' && Object.hasOwn(HTTP_ERROR_STATUS, code);
}

/**
 * Why a keep failed, as its host knows it: the host's own verdicts, and what a keep reports in
 * plain text before its session with the client exists (it cannot seal anything yet).
 */
export const KeepFailureCode = {
  /** The keep process ended without a sealed outcome. */
  CRASHED: 'ERR_KEEP_CRASHED',
  /** The keep could not attest. */
  ATTESTATION: 'ERR_ATTESTATION',
  /** The package upload stopped before its end (client gone, stalled, too slow). */
  PACKAGE_INCOMPLETE: 'ERR_PACKAGE_INCOMPLETE',
  /** The package was larger than the agent accepts. */
  TOO_LARGE: 'ERR_TOO_LARGE',
  /** No package arrived in time. */
  EXPIRED: 'ERR_EXPIRED',
  /** The agent stopped or died while the keep was live. */
  LOST: 'ERR_HOST_RESTARTED',
  /** The agent shut down and killed the keep. */
  SHUTDOWN: 'ERR_HOST_SHUTDOWN',
  /** The host broke the control protocol (keep's report), or the keep did (host's verdict). */
  PROTOCOL: 'ERR_PROTOCOL',
  /** The sealed package is not for this keep, or does not authenticate. */
  PACKAGE_SEAL: 'ERR_PACKAGE_SEAL',
  /** The sealed package is malformed or truncated. */
  PACKAGE_FORMAT: 'ERR_PACKAGE_FORMAT',
  /** The package is larger than the keep accepts. */
  PACKAGE_TOO_LARGE: 'ERR_PACKAGE_TOO_LARGE',
  /** The opened package does not match the digest the client bound into it. */
  PACKAGE_DIGEST: 'ERR_PACKAGE_DIGEST',
  /** The keep failed inside before its session existed. */
  INTERNAL: 'ERR_INTERNAL',
} as const;
/** One of the values of {@link KeepFailureCode}. */
export type KeepFailureCode = (typeof KeepFailureCode)[keyof typeof KeepFailureCode];

/** True when `code` is one of {@link KeepFailureCode}. */
export function isKeepFailureCode(code: unknown): code is KeepFailureCode {
  return typeof code === 'string' && (Object.values(KeepFailureCode) as string[]).includes(code);
}

/** The shape of every error code: `ERR_` and upper-case words. */
export const ERROR_CODE_PATTERN = /^ERR_[A-Z0-9_]{1,60}$/;
/** Checks that a value is shaped like an error code. */
export const checkErrorCode: Check<string> = string({ max: 64, pattern: ERROR_CODE_PATTERN, patternMessage: 'must be an error code (ERR_…)' });
/** Error messages on the wire are at most this many characters (senders cut them: {@link cutMessage}). */
export const MAX_ERROR_MESSAGE = 1024;
/** Checks an error message. */
export const checkErrorMessage: Check<string> = string({ max: MAX_ERROR_MESSAGE });

/** `message`, cut to what the wire carries. */
export function cutMessage(message: string): string {
  return message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…` : message;
}
