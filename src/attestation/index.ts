/**
 * Attestation: verify TEE evidence (AMD SEV-SNP reports, Intel TDX and SGX DCAP quotes) and get
 * one immutable {@link Appraisal} back, or an {@link AttestationError} with a stable code.
 *
 * Start with `verifyEvidence(bytes, options)`; the per-format verifiers (`verifySnp`,
 * `verifyTdxQuote`, `verifySgxQuote`) take the format-specific options directly. The shared PKI
 * layer is `./pki/index.js`.
 */
export { AttestationError, AttestationErrorCode } from './errors.js';
export type { Appraisal, ChainEntry, TcbStatus, Tee } from './appraisal.js';
export { verifyEvidence } from './verify.js';
export type { VerifyEvidenceOptions } from './verify.js';
export { EVIDENCE_FORMATS, decodeEvidenceText, detectEvidenceFormat } from './detect.js';
export type { EvidenceFormat } from './detect.js';
export { SignatureCache } from './pki/chain.js';
export { parseCertTable, parseSnpReport, verifySnp } from './snp/index.js';
export type { SnpCertTable, SnpPolicy, SnpProduct, SnpReport, SnpVerifyOptions, TcbVersion } from './snp/index.js';
export { parseCollateral, parsePcsCollateral, verifySgxQuote, verifyTdxQuote } from './dcap/index.js';
export type { Collateral, DcapVerifyOptions } from './dcap/index.js';
