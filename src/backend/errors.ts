/**
 * Errors of the backends. Every failure carries a stable string `code`; lower-level failures
 * (file system errors, parser rejections) are kept as `cause`.
 */

import { CodedError, codeOf } from '../errors.js';

/** Stable codes for {@link BackendError}. */
export const BackendErrorCode = {
  /** The backend cannot be used on this machine (no TEE, no configfs-tsm, wrong provider...). */
  UNAVAILABLE: 'ERR_BACKEND_UNAVAILABLE',
  /** Reading or writing the platform interface or the state directory failed. */
  IO: 'ERR_BACKEND_IO',
  /** The platform answered something it should not (a race, a malformed or unbound report). */
  PROTOCOL: 'ERR_BACKEND_PROTOCOL',
  /** The simulated platform's persisted state is damaged, inconsistent or not private. */
  STATE: 'ERR_BACKEND_STATE',
} as const;

/** One of the values of {@link BackendErrorCode}. */
export type BackendErrorCode = (typeof BackendErrorCode)[keyof typeof BackendErrorCode];

/** A backend failure; branch on `code`, never on the message. */
export class BackendError extends CodedError<BackendErrorCode> {
  override readonly name = 'BackendError';
}

/** The errno code of a Node.js system error, if any. */
export const errnoOf = codeOf;
