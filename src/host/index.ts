/**
 * The host agent: `Host` (the core: keeps, packages, supervision, state) and its HTTP API.
 * In-process users that need no HTTP (`enarx run`) should import `./host.js` directly, so that
 * hono is not loaded.
 */
export { DEFAULT_ABANDON_AFTER_MS, DEFAULT_ATTEST_TIMEOUT_MS, DEFAULT_MAX_PACKAGE_BYTES, DEFAULT_OUTPUT_RETENTION_MS, Host, PACKAGE_SLICE_BYTES } from './host.js';
export type { CreateKeepRequest, CreatedKeep, HostOptions, KeepEventsOptions, KeepInfo } from './host.js';
export { HOST_ERROR_STATUS, HostError, HostErrorCode, KeepFateCode, isHostError } from './errors.js';
export { DEFAULT_OUTPUT_BYTES_PER_STREAM, EventLog } from './event-log.js';
export type { KeepStreamEvent, LifecycleEvent, OutputStream } from './event-log.js';
export { LIVE_STATES, TERMINAL_STATES, isTerminal } from './store.js';
export type { KeepState } from './store.js';
export { CreateKeepBodySchema, MAX_JSON_BYTES, PACKAGE_MEDIA_TYPES, createHostApp, createdKeepJson, evidenceJson, keepInfoJson, serveHost, sseMessage } from './http.js';
export type { Authenticator, HostAppOptions, HostServer, ServeHostOptions } from './http.js';
export { TENANT_NAME, TenantAuth, generateToken, hashToken, parseTokenFile } from './tokens.js';
export type { TenantToken } from './tokens.js';
export { jsonLineLogger, silentLogger } from './log.js';
export type { HostLogValue, HostLogger } from './log.js';
