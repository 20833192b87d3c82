/**
 * Labelled checks of what callers pass to a backend. A wrong shape is the caller's mistake, so
 * it is a TypeError; each check returns a private copy, so that what was checked is what is used.
 */
import type { LaunchRecord } from './types.js';

/** Size of SNP REPORT_DATA and TDX REPORTDATA. */
export const REPORT_DATA_SIZE = 64;
/** Size of an SNP launch MEASUREMENT (SHA-384). */
export const MEASUREMENT_SIZE = 48;

/** A copy of `value` after checking that it is a Uint8Array of `size` bytes. @throws TypeError */
export function abytes(value: unknown, size: number, label: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${label}: expected a Uint8Array`);
  if (value.length !== size) throw new TypeError(`${label}: expected ${size} bytes, got ${value.length}`);
  return new Uint8Array(value);
}

/** A copy of 64 bytes of report data. @throws TypeError */
export function reportDataArg(value: unknown): Uint8Array {
  return abytes(value, REPORT_DATA_SIZE, 'reportData');
}

/** A copy of a launch record's measurement. @throws TypeError */
export function launchMeasurementArg(launch: unknown): Uint8Array {
  if (typeof launch !== 'object' || launch === null) throw new TypeError('launch: expected a LaunchRecord');
  return abytes((launch as Partial<LaunchRecord>).measurement, MEASUREMENT_SIZE, 'launch.measurement');
}
