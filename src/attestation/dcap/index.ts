/**
 * Intel DCAP attestation: TDX quotes (v4/v5), SGX quotes (v3), and their collateral.
 *
 * - `verifyTdxQuote(bytes, opts): Promise<Appraisal>` / `verifySgxQuote(bytes, opts): Promise<Appraisal>`
 *   authenticate the quote (PCK chain to the pinned Intel SGX Root CA, QE report, attestation key
 *   binding, quote signature), evaluate its TCB with the collateral, and apply policy.
 * - `parseTdxQuote`, `parseSgxQuote`, `parseDcapQuote`: structure only, nothing authenticated.
 * - `parseCollateral` (dcap-qvl JSON bundle) and `parsePcsCollateral` (Intel PCS responses):
 *   bytes/strings in, a `Collateral` out; signatures are checked during verification.
 */
export { verifyTdxQuote } from '../tdx/verify.js';
export { parseTdxQuote } from '../tdx/quote.js';
export type { TdxQuote } from '../tdx/quote.js';
export { verifySgxQuote } from '../sgx/verify.js';
export { parseSgxQuote } from '../sgx/quote.js';
export type { SgxQuote } from '../sgx/quote.js';
export { parseCollateral, parsePcsCollateral } from './collateral.js';
export type { Collateral, PcsCollateralInput, Signed } from './collateral.js';
export type { DcapVerifyOptions } from './options.js';
export {
  ATT_KEY_TYPE_ECDSA_P256,
  CertificationDataType,
  INTEL_QE_VENDOR_ID,
  TEE_TYPE_SGX,
  TEE_TYPE_TDX,
  parseDcapQuote,
} from './quote.js';
export type { CertificationData, DcapQuote, QuoteBody, QuoteHeader, QuoteSignatureData } from './quote.js';
export type { SgxReportBody, TdReportBody } from './report-body.js';
export { OID_SGX_EXTENSIONS, parsePckExtension } from './pck-extension.js';
export type { PckExtension } from './pck-extension.js';
export { TCB_STATUSES } from './tcb-info.js';
export type { TcbInfo, TcbLevel, TdxModule, TdxModuleIdentity } from './tcb-info.js';
export type { QeIdentity } from './qe-identity.js';
export { INTEL_SGX_ROOT_CA_SHA256 } from './trust.js';
