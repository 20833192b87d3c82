/**
 * AMD SEV-SNP attestation: report parsing, verification against AMD's (or a caller's) roots,
 * policy, and the GHCB certificate table.
 */
export { verifySnp, verifySnpSync } from './verify.js';
export type { CertSource, SnpVerifyOptions } from './verify.js';
export { checkSnpPolicy, expectedReportData, validateSnpPolicy } from './policy.js';
export type { SnpPolicy } from './policy.js';
export { SNP_REPORT_SIZE, SNP_REPORT_VERSIONS, SNP_SIGNED_SIZE, SnpOffset, SnpReport, parseSnpReport } from './report.js';
export type { SnpCpuid, SnpFirmwareVersion, SnpGuestPolicy, SnpPlatformInfo, SnpSigningKey } from './report.js';
export { TCB_COMPONENTS, decodeTcbVersion, encodeTcbVersion, tcbHex } from './tcb.js';
export type { TcbComponent, TcbVersion } from './tcb.js';
export { SNP_PRODUCTS, isSnpProduct, productFromCaName, productFromCpuid, productFromName } from './product.js';
export type { SnpProduct } from './product.js';
export { AmdOid, amdKeyInfo, matchKeyToReport } from './vcek.js';
export type { AmdKeyInfo } from './vcek.js';
export { isP384Key, verifyReportSignature } from './signature.js';
export { amdBuiltInCerts } from './anchors.js';
export type { AmdProductCerts } from './anchors.js';
export { ARK_FINGERPRINTS, INTERMEDIATE_FINGERPRINTS } from './roots.js';
export { CERT_TABLE_GUIDS, parseCertTable } from './certtable.js';
export type { CertTableEntry, SnpCertTable } from './certtable.js';
export { buildSnpReport, signSnpReport } from './builder.js';
export type { SnpReportFields } from './builder.js';
export { snpAppraisal } from './appraisal.js';
export type { SnpAppraisalInput } from './appraisal.js';
