/**
 * TCB evaluation of a DCAP quote against verified collateral: the QE identity level, the
 * platform TCB level, the TDX module identity, and the converged status with its advisories.
 *
 * Source: Intel QVL (`EnclaveReportVerifier::verify`, `TcbLevelCheck.cpp` `matchTcbLevels` /
 * `checkTcbLevel`, `TdxModuleCheck.cpp`, `TDRelaunchCheck.cpp`, `QuoteVerifier.cpp` step
 * 4.1.2.4.11). Levels are taken in the order Intel lists them (highest first); the first match wins.
 */
import type { TcbStatus } from '../appraisal.js';
import { AttestationError } from '../errors.js';
import { constantTimeEqual, maskedEqual, readU32LE } from './bytes.js';
import type { QeIdentity } from './qe-identity.js';
import type { SgxReportBody, TdReportBody } from './report-body.js';
import type { TcbInfo, TcbLevel, TdxModule, TdxModuleIdentity } from './tcb-info.js';
import { convergeTcbStatus, isConfigurationNeeded, mergeAdvisories } from './tcb-status.js';

/** A status with the advisories that explain it. */
export interface StatusWithAdvisories {
  readonly status: TcbStatus;
  readonly advisoryIds: readonly string[];
}

/** The outcome of TCB evaluation. */
export interface TcbEvaluation extends StatusWithAdvisories {
  /** The QE identity's level, reduced to UpToDate / OutOfDate / Revoked. */
  readonly qe: StatusWithAdvisories;
  /** The selected platform level (for TDX: the level matching both SGX and TDX components). */
  readonly platform: StatusWithAdvisories & { readonly tcbDate: string };
  /** TDX only: the module identity level, when `tee_tcb_svn[1] > 0` selected one. */
  readonly tdxModule?: StatusWithAdvisories & { readonly id: string };
  /** TDX 1.5 only: Intel's "TD relaunch advised" (the TD would be up to date after a relaunch). */
  readonly tdRelaunchAdvised: boolean;
}

/** The platform inputs of TCB evaluation. */
export interface PlatformTcb {
  /** From the PCK certificate. */
  readonly sgxComponents: readonly number[];
  readonly pceSvn: number;
  /** TDX quotes only. */
  readonly td?: TdReportBody;
}

function noMatch(message: string): never {
  throw new AttestationError('ERR_TCB_NO_MATCH', message);
}

/**
 * Checks the QE report against the QE identity and returns the QE's level.
 * @throws AttestationError ERR_COLLATERAL (identity for the wrong TEE), ERR_QE_REPORT (the QE is
 *   not the one the identity describes), ERR_TCB_NO_MATCH (its ISVSVN is below every level).
 */
export function evaluateQeIdentity(qeReport: SgxReportBody, identity: QeIdentity, tdx: boolean): StatusWithAdvisories {
  const expectedId = tdx ? 'TD_QE' : 'QE';
  if (identity.id !== expectedId) {
    throw new AttestationError('ERR_COLLATERAL', `QE identity '${identity.id}' does not apply to a ${tdx ? 'TDX' : 'SGX'} quote`);
  }
  const mismatch = (what: string): never => {
    throw new AttestationError('ERR_QE_REPORT', `QE report ${what} does not match the QE identity`);
  };
  const miscselect = readU32LE(identity.miscselect, 0);
  const mask = readU32LE(identity.miscselectMask, 0);
  if (((qeReport.miscSelect & mask) >>> 0) !== miscselect) mismatch('MISCSELECT');
  const attributes = qeReport.attributes.map((b, i) => b & identity.attributesMask[i]!);
  if (!constantTimeEqual(attributes, identity.attributes)) mismatch('ATTRIBUTES');
  if (!constantTimeEqual(qeReport.mrSigner, identity.mrSigner)) mismatch('MRSIGNER');
  if (qeReport.isvProdId !== identity.isvProdId) mismatch('ISVPRODID');
  const level = identity.tcbLevels.find((l) => qeReport.isvSvn >= l.isvSvn);
  if (level === undefined) noMatch(`QE ISVSVN ${qeReport.isvSvn} is below every QE identity level`);
  const status: TcbStatus = level.status === 'UpToDate' || level.status === 'Revoked' ? level.status : 'OutOfDate';
  return Object.freeze({ status, advisoryIds: level.advisoryIds });
}

function componentsAtLeast(have: ArrayLike<number>, need: readonly number[], from = 0): boolean {
  for (let i = from; i < need.length; i++) if ((have[i] ?? 0) < need[i]!) return false;
  return true;
}

/** Intel's `matchTcbLevels`: the first SGX-matching level and the first SGX+TDX-matching level. */
function matchLevels(info: TcbInfo, platform: PlatformTcb): { sgx?: TcbLevel; tdx?: TcbLevel } {
  let sgx: TcbLevel | undefined;
  for (const level of info.tcbLevels) {
    if (!componentsAtLeast(platform.sgxComponents, level.sgxComponents) || platform.pceSvn < level.pceSvn) continue;
    if (platform.td === undefined) return { sgx: level };
    sgx ??= level;
    if (level.tdxComponents === undefined) throw new AttestationError('ERR_COLLATERAL', 'a TDX TCB level lacks tdxtcbcomponents');
    // TDX module 1.5+ (tee_tcb_svn[1] > 0): bytes 0 and 1 are the module's ISVSVN and version,
    // judged by tdxModuleIdentities instead (QVL `isTdxTcbHigherOrEqual`).
    const from = platform.td.teeTcbSvn[1]! > 0 ? 2 : 0;
    if (componentsAtLeast(platform.td.teeTcbSvn, level.tdxComponents, from)) return { sgx, tdx: level };
  }
  return sgx === undefined ? {} : { sgx };
}

function findModuleIdentity(info: TcbInfo, version: number): TdxModuleIdentity | undefined {
  const id = `TDX_${version.toString(16).toUpperCase().padStart(2, '0')}`;
  return info.tdxModuleIdentities?.find((m) => m.id.toUpperCase() === id);
}

/** QVL 4.1.2.4.11 and `checkTdxModuleTcbStatus`. */
function evaluateTdxModule(info: TcbInfo, td: TdReportBody): (StatusWithAdvisories & { id: string }) | undefined {
  const version = td.teeTcbSvn[1]!;
  let module: TdxModule | undefined = info.tdxModule;
  let identity: TdxModuleIdentity | undefined;
  if (version > 0) {
    if (info.tdxModuleIdentities === undefined) {
      throw new AttestationError('ERR_COLLATERAL', `TDX module version ${version} needs tdxModuleIdentities in the TCB info`);
    }
    identity = findModuleIdentity(info, version);
    if (identity === undefined) throw new AttestationError('ERR_TCB_MISMATCH', `the TCB info has no identity for TDX module version ${version}`);
    module = identity;
  }
  if (module === undefined) throw new AttestationError('ERR_COLLATERAL', 'TDX TCB info lacks tdxModule');
  if (!constantTimeEqual(td.mrSignerSeam, module.mrSigner)) {
    throw new AttestationError('ERR_TCB_MISMATCH', 'MRSIGNERSEAM does not match the TDX module identity');
  }
  if (!maskedEqual(td.seamAttributes, module.attributes, module.attributesMask)) {
    throw new AttestationError('ERR_TCB_MISMATCH', 'SEAM_ATTRIBUTES do not match the TDX module identity');
  }
  if (identity === undefined) return undefined;
  const level = identity.tcbLevels.find((l) => td.teeTcbSvn[0]! >= l.isvSvn);
  if (level === undefined) noMatch(`TDX module ISVSVN ${td.teeTcbSvn[0]} is below every level of ${identity.id}`);
  return Object.freeze({ id: identity.id, status: level.status, advisoryIds: level.advisoryIds });
}

/** QVL `checkForRelaunch` (TD 1.5): would relaunching the TD on this platform bring it up to date? */
function relaunchAdvised(info: TcbInfo, td: TdReportBody, sgx: TcbStatus, tdx: TcbStatus, module: TcbStatus, qe: TcbStatus): boolean {
  const svn2 = td.teeTcbSvn2;
  if (svn2 === undefined || qe !== 'UpToDate') return false;
  if (sgx !== 'UpToDate' && sgx !== 'SWHardeningNeeded' && !isConfigurationNeeded(sgx)) return false;
  if (tdx !== 'OutOfDate' && tdx !== 'OutOfDateConfigurationNeeded') return false;
  if (module !== 'OutOfDate') return false;
  const latest = info.tcbLevels[0]?.tdxComponents;
  if (latest === undefined) return false;
  if (svn2[1] === 0) return svn2[0]! >= latest[0]! && svn2[2]! >= latest[2]!;
  const identity = findModuleIdentity(info, svn2[1]!);
  const latestModule = identity?.tcbLevels[0];
  return latestModule !== undefined && svn2[0]! >= latestModule.isvSvn && svn2[2]! >= latest[2]!;
}

/**
 * Evaluates the platform TCB (and for TDX the module) against `info`, then folds in the QE level.
 * @throws AttestationError ERR_TCB_NO_MATCH (no level matches), ERR_TCB_MISMATCH (TDX module
 *   identity), ERR_COLLATERAL (TCB info incomplete for this quote).
 */
export function evaluateTcb(info: TcbInfo, platform: PlatformTcb, qe: StatusWithAdvisories): TcbEvaluation {
  const { sgx, tdx } = matchLevels(info, platform);
  if (sgx === undefined) noMatch('no TCB level matches the PCK certificate SGX TCB components and PCESVN');
  const td = platform.td;
  const advisoryIds: string[] = [];
  if (td === undefined) {
    mergeAdvisories(advisoryIds, sgx.advisoryIds);
    mergeAdvisories(advisoryIds, qe.advisoryIds);
    return Object.freeze({
      status: convergeTcbStatus(sgx.status, qe.status),
      advisoryIds: Object.freeze(advisoryIds),
      qe,
      platform: Object.freeze({ status: sgx.status, advisoryIds: sgx.advisoryIds, tcbDate: sgx.tcbDate }),
      tdRelaunchAdvised: false,
    });
  }
  if (tdx === undefined) noMatch('no TCB level matches both the PCK SGX components and the TD TEE_TCB_SVN');
  const module = evaluateTdxModule(info, td);
  const moduleStatus = module?.status ?? 'UpToDate';
  const tdxStatus = convergeTcbStatus(tdx.status, moduleStatus);
  mergeAdvisories(advisoryIds, tdx.advisoryIds);
  mergeAdvisories(advisoryIds, module?.advisoryIds ?? []);
  mergeAdvisories(advisoryIds, qe.advisoryIds);
  return Object.freeze({
    status: tdxStatus === 'Revoked' ? 'Revoked' : convergeTcbStatus(tdxStatus, qe.status),
    advisoryIds: Object.freeze(advisoryIds),
    qe,
    platform: Object.freeze({ status: tdx.status, advisoryIds: tdx.advisoryIds, tcbDate: tdx.tcbDate }),
    ...(module === undefined ? {} : { tdxModule: module }),
    tdRelaunchAdvised: relaunchAdvised(info, td, sgx.status, tdxStatus, moduleStatus, qe.status),
  });
}
