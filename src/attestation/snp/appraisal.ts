/**
 * Turns a verified SEV-SNP report into the common {@link Appraisal} (JSON-friendly: hex strings
 * and numbers, no bigints).
 */
import type { Appraisal } from '../appraisal.js';
import { chainEntry, type VerifiedChain } from '../pki/chain.js';
import type { SnpProduct } from './product.js';
import type { SnpFirmwareVersion, SnpReport } from './report.js';
import { decodeTcbVersion, tcbHex, type TcbVersion } from './tcb.js';
import type { AmdKeyInfo } from './vcek.js';

/** What {@link snpAppraisal} summarises. */
export interface SnpAppraisalInput {
  readonly report: SnpReport;
  readonly product: SnpProduct;
  readonly reportedTcb: TcbVersion;
  readonly info: AmdKeyInfo;
  readonly chain: VerifiedChain;
}

const fw = (v: SnpFirmwareVersion): string => `${v.major}.${v.minor}.${v.build}`;

/** A TCB_VERSION as `{ raw, ...components }`; raw only when it does not decode for the product. */
function tcbDetail(raw: bigint, product: SnpProduct): Readonly<Record<string, number | string>> {
  try {
    return Object.freeze({ raw: tcbHex(raw), ...decodeTcbVersion(raw, product) });
  } catch {
    return Object.freeze({ raw: tcbHex(raw) });
  }
}

/** Builds the frozen Appraisal of a report that passed verification and policy. */
export function snpAppraisal({ report, product, reportedTcb, info, chain }: SnpAppraisalInput): Appraisal {
  const tcb: Record<string, number | string> = { ...reportedTcb };
  tcb['reportedTcb'] = tcbHex(report.reportedTcb);
  tcb['currentTcb'] = tcbHex(report.currentTcb);
  tcb['committedTcb'] = tcbHex(report.committedTcb);
  tcb['launchTcb'] = tcbHex(report.launchTcb);
  tcb['guestSvn'] = report.guestSvn;
  tcb['firmware'] = fw(report.currentVersion);
  tcb['committedFirmware'] = fw(report.committedVersion);
  const details: Record<string, unknown> = {
    version: report.version,
    guestSvn: report.guestSvn,
    vmpl: report.vmpl,
    policy: Object.freeze({ raw: report.policyRaw.toString(16).padStart(16, '0'), ...report.policy }),
    platformInfo: Object.freeze({ raw: tcbHex(report.platformInfoRaw), ...report.platformInfo }),
    signingKey: report.signingKey,
    authorKeyEn: report.authorKeyEn,
    maskChipKey: report.maskChipKey,
    chipId: report.chipId,
    familyId: report.familyId,
    imageId: report.imageId,
    reportId: report.reportId,
    reportIdMa: report.reportIdMa,
    cpuid: report.cpuid ?? null,
    currentTcb: tcbDetail(report.currentTcb, product),
    committedTcb: tcbDetail(report.committedTcb, product),
    launchTcb: tcbDetail(report.launchTcb, product),
    currentVersion: report.currentVersion,
    committedVersion: report.committedVersion,
    productName: info.productName ?? null,
  };
  if (report.launchMitVector !== undefined) details['launchMitVector'] = tcbHex(report.launchMitVector);
  if (report.currentMitVector !== undefined) details['currentMitVector'] = tcbHex(report.currentMitVector);
  if (info.cspId !== undefined) details['cspId'] = info.cspId;
  return Object.freeze({
    tee: 'sev-snp',
    product,
    measurement: report.measurement,
    measurements: Object.freeze({
      hostData: report.hostData,
      idKeyDigest: report.idKeyDigest,
      authorKeyDigest: report.authorKeyDigest,
    }),
    reportData: report.reportData,
    tcb: Object.freeze(tcb),
    tcbStatus: 'UpToDate',
    advisories: Object.freeze([]),
    debug: report.policy.debug,
    chain: Object.freeze(chain.certificates.map(chainEntry)),
    details: Object.freeze(details),
  });
}
