/**
 * enarx-ts: the TypeScript SDK (the client agent). Deploy a workload into an attested keep,
 * verify evidence, talk to host agents. Explicit exports only.
 *
 *   import { deploy, HttpHost, buildPackage, loadReferenceValues } from 'enarx-ts';
 *   const host = new HttpHost('http://127.0.0.1:8080', token);
 *   const pkg = await buildPackage('app/');
 *   const result = await deploy(host, pkg, { trust: { referenceValues: await loadReferenceValues(), sim: 'presented' } });
 */
export { deploy } from './client/deploy.js';
export type { DeployOptions, DeployResult } from './client/deploy.js';
export { followKeep, sealInput } from './client/session.js';
export type { FollowOptions } from './client/session.js';
export { DeployError, DeployErrorCode, HostApiError, HostApiErrorCode, KeepTlsError, KeepTlsErrorCode } from './client/errors.js';
export { HttpHost } from './client/http-host.js';
export { keepKeysDir, loadKeepKeys, saveKeepKeys } from './client/keep-keys.js';
export type { KeptKeys } from './client/keep-keys.js';
export { openEmbeddedHost } from './host/embedded.js';
export type { EmbeddedHost, EmbeddedHostOptions } from './host/embedded.js';
export { buildPackage, resolveWorkload, PackageBuildError } from './client/package-builder.js';
export type { WorkloadExtras } from './client/package-builder.js';
export { verifyKeep } from './client/verify-keep.js';
export type { AcceptedKeep, KeepClaim, KeepTrustPolicy, SimTrust } from './client/verify-keep.js';
export { verifyAttestedCertificate, verifyKeepTls } from './client/keep-tls.js';
export type { AcceptedKeepTls, VerifyKeepTlsOptions } from './client/keep-tls.js';
export { encodePackage, decodePackage, PackageError } from './crypto/package.js';
export type { Package, PackageFile } from './crypto/package.js';
export { SessionError, SessionErrorCode } from './crypto/session.js';
export type { DirectionKeys, SessionKeys } from './crypto/session.js';
export { SUITES, DEFAULT_SUITE, findSuite } from './crypto/suites.js';
export type { SuiteRow } from './crypto/suites.js';
export { loadReferenceValues, parseReferenceValues, ReferenceValuesError } from './attestation/reference-values.js';
export type { ReferenceValue } from './attestation/reference-values.js';
export { verifyEvidence } from './attestation/verify.js';
export type { VerifyEvidenceOptions } from './attestation/verify.js';
export { AttestationError, AttestationErrorCode } from './attestation/errors.js';
export type { Appraisal, Tee, TcbStatus } from './attestation/appraisal.js';
export type { BackendName, CreateKeepRequest, CreatedKeep, Evidence, HostApi, KeepInfo, KeepStreamEvent, Limits, Outcome } from './protocol/index.js';
