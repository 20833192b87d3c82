/**
 * Errors of the host agent. Every failure a caller (in-process or over HTTP) can see carries one
 * of the wire's HTTP error codes (protocol/errors.ts), which also give its HTTP status; a keep's
 * own fate is a keep failure code, recorded with the keep.
 */
import { CodedError } from '../errors.js';
import { HTTP_ERROR_STATUS, HttpErrorCode, KeepFailureCode } from '../protocol/errors.js';

export { HTTP_ERROR_STATUS, HttpErrorCode, KeepFailureCode };

/** A host agent failure; branch on `code`, never on the message. */
export class HostError extends CodedError<HttpErrorCode> {
  override readonly name = 'HostError';

  /** The HTTP status of this error. */
  get status(): (typeof HTTP_ERROR_STATUS)[HttpErrorCode] {
    return HTTP_ERROR_STATUS[this.code];
  }
}
