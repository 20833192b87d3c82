/**
 * How Intel combines TCB statuses: a platform level with the TDX module's level and with the
 * QE identity's level.
 *
 * Source: Intel SGX/TDX DCAP Quote Verification Library (QVL), `convergeTcbStatusWithQeTcbStatus`
 * and `convergeTcbStatusWithTdxModuleStatus`. An out-of-date component makes an up-to-date (or
 * SW-hardening-needed) platform `OutOfDate`, and a configuration-needed platform
 * `OutOfDateConfigurationNeeded`; a revoked component revokes the whole.
 */
import type { TcbStatus } from '../appraisal.js';

/**
 * The status of a platform level after folding in a component's status (the TDX module's, or
 * the QE's with its statuses reduced to UpToDate / OutOfDate / Revoked).
 */
export function convergeTcbStatus(platform: TcbStatus, component: TcbStatus): TcbStatus {
  if (component === 'Revoked') return 'Revoked';
  if (component === 'UpToDate') return platform;
  // Any other component status counts as out of date (QVL maps every non-UpToDate,
  // non-Revoked QE level to ISVSVN_OUT_OF_DATE).
  switch (platform) {
    case 'UpToDate':
    case 'SWHardeningNeeded':
      return 'OutOfDate';
    case 'ConfigurationNeeded':
    case 'ConfigurationAndSWHardeningNeeded':
      return 'OutOfDateConfigurationNeeded';
    default:
      return platform;
  }
}

/** Whether a status says the platform configuration must change (QVL `isConfigurationNeeded`). */
export function isConfigurationNeeded(status: TcbStatus): boolean {
  return (
    status === 'ConfigurationNeeded' ||
    status === 'ConfigurationAndSWHardeningNeeded' ||
    status === 'OutOfDateConfigurationNeeded'
  );
}

/** Appends the IDs of `more` that `into` lacks, keeping first-seen order. */
export function mergeAdvisories(into: string[], more: readonly string[]): void {
  for (const id of more) if (!into.includes(id)) into.push(id);
}
