/**
 * The parts of an Appraisal that TDX and SGX share: the PCK chain, the platform TCB fields, the
 * TCB status decision, and the collateral details.
 */
import type { ChainEntry, TcbStatus } from '../appraisal.js';
import { chainEntry } from '../pki/index.js';
import { toHex } from '../pki/index.js';
import type { ResolvedOptions } from './options.js';
import { checkDebug, checkMeasurement, checkReportData, checkTcbStatus } from './policy.js';
import type { DcapVerification } from './verify-quote.js';

/** The TCB status the Appraisal reports, after policy accepted it. */
export interface AcceptedStatus {
  readonly tcbStatus: TcbStatus;
  readonly advisories: readonly string[];
}

/**
 * Applies the TCB status policy. Without collateral (only reachable with `allowNoCollateral`)
 * the TCB was not evaluated: the Appraisal then says `OutOfDate` so that a reader who looks only
 * at `tcbStatus` never mistakes an unevaluated platform for a current one, and
 * `details.tcbEvaluated` is false.
 * @throws AttestationError ERR_REVOKED, ERR_TCB_OUTDATED
 */
export function acceptStatus(v: DcapVerification, opts: ResolvedOptions): AcceptedStatus {
  if (v.tcb === undefined) return { tcbStatus: 'OutOfDate', advisories: [] };
  checkTcbStatus(v.tcb.status, v.tcb.advisoryIds, opts.acceptStatus);
  return { tcbStatus: v.tcb.status, advisories: v.tcb.advisoryIds };
}

/** What the TEE-specific policy checks look at. */
export interface PolicySubject {
  /** 'TD' or 'enclave', for messages. */
  readonly kind: string;
  readonly debug: boolean;
  /** 'MRTD' or 'MRENCLAVE', for messages. */
  readonly measurementName: string;
  readonly measurement: Uint8Array;
  readonly reportData: Uint8Array;
}

/**
 * Applies the whole policy in order: TCB status, debug, measurement allow-list, report data.
 * Returns the status the Appraisal reports.
 * @throws AttestationError ERR_REVOKED, ERR_TCB_OUTDATED, ERR_DEBUG, ERR_MEASUREMENT, ERR_REPORT_DATA
 */
export function applyPolicy(v: DcapVerification, opts: ResolvedOptions, subject: PolicySubject): AcceptedStatus {
  const accepted = acceptStatus(v, opts);
  checkDebug(subject.debug, opts.allowDebug, subject.kind);
  checkMeasurement(toHex(subject.measurement), opts.measurements, subject.measurementName);
  checkReportData(subject.reportData, opts.reportData);
  return accepted;
}

/** The PCK chain as Appraisal entries, leaf first. */
export function pckChainEntries(v: DcapVerification): readonly ChainEntry[] {
  return Object.freeze(v.pckChain.certificates.map(chainEntry));
}

/** Platform TCB fields from the PCK certificate and the QE report. */
export function platformTcb(v: DcapVerification): Record<string, number | string> {
  const ext = v.pckChain.extension;
  return {
    fmspc: ext.fmspc,
    pceId: ext.pceId,
    pceSvn: ext.pceSvn,
    cpuSvn: toHex(ext.cpuSvn),
    sgxTcbComponents: ext.sgxTcbComponents.map((c) => c.toString(16).padStart(2, '0')).join(''),
    qeSvn: v.quote.signatureData.qeReport.isvSvn,
  };
}

/** Details about the TCB evaluation and the collateral used. */
export function tcbDetails(v: DcapVerification): Record<string, unknown> {
  const common = {
    quoteVersion: v.quote.header.version,
    pckIssuer: v.pckChain.pck.issuer,
    sgxType: v.pckChain.extension.sgxType,
    certificationDataType: v.quote.signatureData.certificationData.type,
  };
  if (v.tcb === undefined || v.collateral === undefined) return { ...common, tcbEvaluated: false };
  return {
    ...common,
    tcbEvaluated: true,
    platformTcbStatus: v.tcb.platform.status,
    platformTcbDate: v.tcb.platform.tcbDate,
    qeTcbStatus: v.tcb.qe.status,
    ...(v.tcb.tdxModule === undefined ? {} : { tdxModuleId: v.tcb.tdxModule.id, tdxModuleTcbStatus: v.tcb.tdxModule.status }),
    tcbEvaluationDataNumber: v.collateral.tcbInfo.tcbEvaluationDataNumber,
    tcbInfoIssueDate: v.collateral.tcbInfo.issueDate.toISOString(),
    tcbInfoNextUpdate: v.collateral.tcbInfo.nextUpdate.toISOString(),
    qeIdentityNextUpdate: v.collateral.qeIdentity.nextUpdate.toISOString(),
    tcbSigningChain: v.collateral.tcbSigningChain.map(chainEntry),
  };
}
