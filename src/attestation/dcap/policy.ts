/**
 * The policy checks shared by the TDX and SGX verifiers, applied after the evidence is
 * authenticated: TCB status, debug, measurement allow-list, expected report data.
 */
import type { TcbStatus } from '../appraisal.js';
import { AttestationError } from '../errors.js';
import { constantTimeEqual } from './bytes.js';

/**
 * Accepts `status` when policy lists it. `Revoked` is refused whatever the policy says.
 * @throws AttestationError ERR_REVOKED, ERR_TCB_OUTDATED (the message names status and advisories).
 */
export function checkTcbStatus(status: TcbStatus, advisoryIds: readonly string[], accept: ReadonlySet<TcbStatus>): void {
  const advisories = advisoryIds.length > 0 ? ` (advisories: ${advisoryIds.join(', ')})` : '';
  if (status === 'Revoked') throw new AttestationError('ERR_REVOKED', `the platform TCB is Revoked${advisories}`);
  if (!accept.has(status)) {
    throw new AttestationError('ERR_TCB_OUTDATED', `TCB status ${status} is not accepted by policy${advisories}`);
  }
}

/** @throws AttestationError ERR_DEBUG when the TEE runs in debug mode and policy does not allow it. */
export function checkDebug(debug: boolean, allowDebug: boolean, what: string): void {
  if (debug && !allowDebug) throw new AttestationError('ERR_DEBUG', `the ${what} is in debug mode`);
}

/** @throws AttestationError ERR_MEASUREMENT when `measurement` (hex) is not allowed. */
export function checkMeasurement(measurement: string, allowed: readonly string[] | undefined, what: string): void {
  if (allowed !== undefined && !allowed.includes(measurement)) {
    throw new AttestationError('ERR_MEASUREMENT', `${what} ${measurement} is not among the allowed measurements`);
  }
}

/** @throws AttestationError ERR_REPORT_DATA when the report data differs from the expected bytes. */
export function checkReportData(actual: Uint8Array, expected: Uint8Array | undefined): void {
  if (expected !== undefined && !constantTimeEqual(actual, expected)) {
    throw new AttestationError('ERR_REPORT_DATA', 'the report data is not the expected value');
  }
}
