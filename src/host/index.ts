/**
 * The host agent: `Host` (the core: keeps, uploads, supervision, state), its HTTP API, and the
 * embedded host for in-process use. In-process users that need no HTTP (`enarx run`) should
 * import `./embedded.js` directly, so that hono is not loaded.
 */
export { Host } from './host.js';
export { DEFAULT_ABANDON_AFTER_MS, DEFAULT_ATTEST_TIMEOUT_MS, DEFAULT_MAX_PACKAGE_BYTES, DEFAULT_OUTPUT_RETENTION_MS } from './host-types.js';
export type { HostOptions } from './host-types.js';
export type { HostKeepInfo } from './keep-records.js';
export { DEFAULT_UPLOAD_IDLE_MS, PACKAGE_SLICE_BYTES } from './delivery.js';
export { HostError } from './errors.js';
export { DEFAULT_RETAINED_OUTPUT_BYTES, StreamLog } from './stream-log.js';
export type { LifecycleEvent } from './stream-log.js';
export { KEEP_OVERHEAD_BYTES, checkQuotas, promisedMemory } from './quotas.js';
export type { Quotas } from './quotas.js';
export { DEFAULT_HEARTBEAT_MS, PACKAGE_MEDIA_TYPES, createHostApp, serveHost } from './http.js';
export type { Authenticator, HostAppOptions, HostServer, ServeHostOptions } from './http.js';
export { openEmbeddedHost } from './embedded.js';
export type { EmbeddedHost, EmbeddedHostOptions } from './embedded.js';
export { TENANT_NAME, TenantAuth, generateToken, hashToken, parseTokenFile } from './tokens.js';
export type { TenantToken } from './tokens.js';
export { jsonLineLogger, silentLogger } from './log.js';
export type { HostLogValue, HostLogger } from './log.js';
