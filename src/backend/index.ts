/**
 * Backends: the hardware abstraction layer. `nil` (process isolation, no evidence), `sim` (a
 * software SEV-SNP platform), `snp` and `tdx` (confidential VMs, through configfs-tsm).
 *
 * Start with `selectBackend(name, opts)` or `createBackend(name, opts)`; then `attest(reportData,
 * launch)` gives the `Evidence` a client verifies with `verifyEvidence` (passing `certs`, and
 * `trustRoots` only when it has decided to trust a simulated platform).
 */
export type { Availability, Backend, LaunchRecord } from './types.js';
export { BackendError, BackendErrorCode } from './errors.js';
export { MEASUREMENT_SIZE, REPORT_DATA_SIZE } from './args.js';
export { BACKEND_ORDER, DEFAULT_CONFIGFS_ROOT, backendStatuses, createBackend, selectBackend } from './select.js';
export type { BackendOptions, BackendStatus, SelectBackendOptions, SelectedBackend, SkippedBackend } from './select.js';
export { defaultStateDir } from './state-dir.js';
export { NilBackend } from './nil/backend.js';
export { SimBackend } from './sim/backend.js';
export type { SimBackendOptions } from './sim/backend.js';
export { SIM_PLATFORM } from './sim/platform.js';
export { SnpBackend } from './snp/backend.js';
export { TdxBackend } from './tdx/backend.js';
export { TsmBackend } from './tsm/backend.js';
export type { TsmBackendOptions, TsmProfile } from './tsm/backend.js';
export { TSM_OUTBLOB_MAX, nodeConfigfsIo, probeTsm, requestTsmReport, tsmReportDir } from './tsm/configfs.js';
export type { ConfigfsIo, TsmProbe, TsmReport, TsmRequestOptions } from './tsm/configfs.js';
