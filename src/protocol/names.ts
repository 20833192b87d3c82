/**
 * The names the wire contract uses, listed once: backends, HPKE suites (by their `--kem` name),
 * evidence formats, keep states, keep ids, and the descriptor kinds of a package. Every layer
 * that names one of these imports it from here.
 */
import { oneOf, string } from './validate.js';
import type { Check } from './validate.js';

/** The backends this implementation knows (preference order is the backend selector's). */
export const BACKEND_NAMES = Object.freeze(['nil', 'sim', 'snp', 'tdx'] as const);
/** A backend name. */
export type BackendName = (typeof BACKEND_NAMES)[number];
/** True when `value` is a backend name. */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}
/** Checks a backend name. */
export const checkBackendName: Check<BackendName> = oneOf(...BACKEND_NAMES);

/** The HPKE suites a keep's key can have, by name (crypto/suites.ts has one row per name). */
export const KEM_NAMES = Object.freeze(['x25519', 'x-wing'] as const);
/** A suite name. */
export type KemName = (typeof KEM_NAMES)[number];
/** The suite a request that names none gets. */
export const DEFAULT_KEM: KemName = 'x25519';
/** True when `value` is a suite name. */
export function isKemName(value: unknown): value is KemName {
  return typeof value === 'string' && (KEM_NAMES as readonly string[]).includes(value);
}
/** Checks a suite name. */
export const checkKemName: Check<KemName> = oneOf(...KEM_NAMES);

/** Evidence formats: an SEV-SNP ATTESTATION_REPORT, a TDX DCAP quote, or none (`nil`). */
export const EVIDENCE_FORMATS = Object.freeze(['none', 'sev-snp', 'tdx'] as const);
/** An evidence format. */
export type EvidenceFormat = (typeof EVIDENCE_FORMATS)[number];

/**
 * Where a keep is in its life, as its host knows it. The host never learns how a workload
 * ended (exit code, trap, error): that is sealed to the client; `ended` says only that the keep
 * sent its sealed outcome.
 *
 *   starting → attested → running → ended | failed | killed | expired | lost
 */
export const KEEP_STATES = Object.freeze(['starting', 'attested', 'running', 'ended', 'failed', 'killed', 'expired', 'lost'] as const);
/** A keep state. */
export type KeepState = (typeof KEEP_STATES)[number];
/** States a keep never leaves. */
export const TERMINAL_STATES: readonly KeepState[] = Object.freeze(['ended', 'failed', 'killed', 'expired', 'lost']);
/** States of a keep that may still have a process. */
export const LIVE_STATES: readonly KeepState[] = Object.freeze(['starting', 'attested', 'running']);
/** True when `state` is terminal. */
export function isTerminal(state: KeepState): boolean {
  return TERMINAL_STATES.includes(state);
}
/** Checks a keep state. */
export const checkKeepState: Check<KeepState> = oneOf(...KEEP_STATES);

/** A keep id: a UUID (RFC 9562) in lower case, made by the host. */
export const KEEP_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** True when `value` is a keep id. */
export function isKeepId(value: unknown): value is string {
  return typeof value === 'string' && KEEP_ID_PATTERN.test(value);
}
/** Checks a keep id. */
export const checkKeepId: Check<string> = string({ max: 36, pattern: KEEP_ID_PATTERN, patternMessage: 'must be a keep id (a lower-case UUID)' });

/** What a workload's descriptor can be, per package (from Enarx.toml `[[files]]` kinds). */
export const FD_KINDS = Object.freeze(['stdin', 'stdout', 'stderr', 'null'] as const);
/** A descriptor kind. */
export type FdKind = (typeof FD_KINDS)[number];
/** The standard streams a client connects to a workload. */
export const STDIO_STREAMS = Object.freeze(['stdin', 'stdout', 'stderr'] as const);
/** A standard stream. */
export type StdioStream = (typeof STDIO_STREAMS)[number];

/** The kinds of TEE an appraisal names; `sim` is our software SEV-SNP platform. */
export const TEES = Object.freeze(['sev-snp', 'tdx', 'sgx', 'sim'] as const);
/** A TEE kind. */
export type Tee = (typeof TEES)[number];
/** Intel DCAP TCB statuses (TCB info and QE identity levels), plus `UpToDate` for TEEs whose TCB was checked by other means. */
export const TCB_STATUSES = Object.freeze([
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
] as const);
/** A TCB status. */
export type TcbStatus = (typeof TCB_STATUSES)[number];
