/**
 * The relying party's policy for an authenticated SEV-SNP report: which guest policies,
 * TCB levels, measurements and report data it accepts.
 */
import { timingSafeEqual } from 'node:crypto';
import { AttestationError } from '../errors.js';
import type { SnpReport } from './report.js';
import { TCB_COMPONENTS, type TcbVersion } from './tcb.js';

/** What a verifier accepts; every field is optional and the defaults are the safe choice. */
export interface SnpPolicy {
  /** Accept guests launched with POLICY.DEBUG (their memory is readable by the host). Default false. */
  readonly allowDebug?: boolean;
  /** Minimum REPORTED_TCB, per component (`fmc` applies to Turin only). */
  readonly minTcb?: Partial<TcbVersion>;
  /** Allowed MEASUREMENT values (96 hex digits each, any case). Absent: any measurement. */
  readonly measurements?: readonly string[];
  /** Expected REPORT_DATA: 64 bytes, or fewer, which then must be followed by zeros. Hex or bytes. */
  readonly reportData?: string | Uint8Array;
  /** Expected VMPL (0..3). */
  readonly vmpl?: number;
  /** Accept a guest bound to a migration agent (POLICY.MIGRATE_MA or a REPORT_ID_MA). Default false. */
  readonly allowMigrationAgent?: boolean;
  /** Accept a platform with SMT enabled (PLATFORM_INFO.SMT_EN). Default true. */
  readonly allowSmt?: boolean;
}

const HEX = /^[0-9a-fA-F]*$/;

/** The expected REPORT_DATA as exactly 64 bytes. @throws TypeError when malformed (a caller's mistake). */
export function expectedReportData(value: string | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    const h = value.startsWith('0x') ? value.slice(2) : value;
    if (!HEX.test(h) || h.length % 2 !== 0) throw new TypeError('reportData: expected an even number of hex digits');
    bytes = new Uint8Array(Buffer.from(h, 'hex'));
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else {
    throw new TypeError('reportData: expected hex or bytes');
  }
  if (bytes.length > 64) throw new TypeError(`reportData: ${bytes.length} bytes, at most 64`);
  const out = new Uint8Array(64);
  out.set(bytes);
  return out;
}

/** Validates a policy's shape once, so that rejections are never caused by a caller's typo. @throws TypeError */
export function validateSnpPolicy(policy: SnpPolicy): void {
  for (const m of policy.measurements ?? []) {
    if (typeof m !== 'string' || m.length !== 96 || !HEX.test(m)) throw new TypeError(`measurements: '${String(m)}' is not 96 hex digits`);
  }
  if (policy.reportData !== undefined) expectedReportData(policy.reportData);
  if (policy.vmpl !== undefined && !(Number.isInteger(policy.vmpl) && policy.vmpl >= 0 && policy.vmpl <= 3)) {
    throw new TypeError('vmpl: expected 0..3');
  }
  for (const [k, v] of Object.entries(policy.minTcb ?? {})) {
    if (!(TCB_COMPONENTS as readonly string[]).includes(k) || !(Number.isInteger(v) && v >= 0 && v <= 255)) {
      throw new TypeError(`minTcb.${k}: expected a component name and a byte value`);
    }
  }
}

/**
 * Applies `policy` to an authenticated report whose REPORTED_TCB decodes to `reportedTcb`.
 * Order: debug, migration agent, SMT, VMPL, TCB minimum, measurement, report data.
 * @throws AttestationError ERR_DEBUG, ERR_POLICY, ERR_TCB_OUTDATED, ERR_MEASUREMENT, ERR_REPORT_DATA
 */
export function checkSnpPolicy(report: SnpReport, reportedTcb: TcbVersion, policy: SnpPolicy): void {
  if (report.policy.debug && policy.allowDebug !== true) {
    throw new AttestationError('ERR_DEBUG', 'the guest policy allows debugging (POLICY.DEBUG=1), which policy refuses');
  }
  const maBound = report.policy.migrateMa || report.reportIdMa !== 'ff'.repeat(32);
  if (maBound && policy.allowMigrationAgent !== true) {
    throw new AttestationError('ERR_POLICY', 'the guest is associated with a migration agent, which policy refuses');
  }
  if (policy.allowSmt === false && report.platformInfo.smtEn) {
    throw new AttestationError('ERR_POLICY', 'the platform has SMT enabled (PLATFORM_INFO.SMT_EN), which policy refuses');
  }
  if (policy.vmpl !== undefined && report.vmpl !== policy.vmpl) {
    throw new AttestationError('ERR_POLICY', `the report was requested at VMPL ${report.vmpl}, policy expects VMPL ${policy.vmpl}`);
  }
  for (const c of TCB_COMPONENTS) {
    const min = policy.minTcb?.[c];
    const have = reportedTcb[c];
    if (min === undefined || have === undefined) continue;
    if (have < min) throw new AttestationError('ERR_TCB_OUTDATED', `REPORTED_TCB ${c} is ${have}, policy requires at least ${min}`);
  }
  if (policy.measurements !== undefined && !policy.measurements.some((m) => m.toLowerCase() === report.measurement)) {
    throw new AttestationError('ERR_MEASUREMENT', `measurement ${report.measurement} is not among the ${policy.measurements.length} allowed`);
  }
  if (policy.reportData !== undefined) {
    const expected = expectedReportData(policy.reportData);
    if (!timingSafeEqual(expected, report.reportDataBytes())) {
      throw new AttestationError('ERR_REPORT_DATA', 'REPORT_DATA is not the expected value');
    }
  }
}
