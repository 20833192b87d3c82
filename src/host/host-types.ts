/**
 * The host agent core's options and defaults (the class is in host.ts).
 */
import type { Backend } from '../backend/types.js';
import type { BackendName } from '../protocol/names.js';
import type { KeepProcess } from './keep-process.js';
import type { HostLogger } from './log.js';
import type { Quotas } from './quotas.js';

/** Default time a keep may wait for its whole package: 60 s. */
export const DEFAULT_ABANDON_AFTER_MS = 60_000;
/** Default cap on a sealed package: 1 GiB. */
export const DEFAULT_MAX_PACKAGE_BYTES = 1024 ** 3;
/** Default time a keep has to attest: 30 s. */
export const DEFAULT_ATTEST_TIMEOUT_MS = 30_000;
/** Default time a finished keep's records stay replayable: 10 min. */
export const DEFAULT_OUTPUT_RETENTION_MS = 10 * 60_000;

/** Options of {@link Host.open}. Every field has a default. */
export interface HostOptions {
  /** Folder of the agent's database (`host.db`). Undefined: state in memory only (embedded hosts). */
  readonly stateDir?: string;
  /** Where backends keep their state (the `sim` platform). Default: `stateDir`, else `defaultStateDir()`. */
  readonly backendStateDir?: string;
  /** The backend of keeps whose request names none. Default: the first available (snp, tdx, sim, nil). */
  readonly backend?: BackendName;
  /** A keep that does not have its whole package within this many ms is killed (`expired`). Default 60 000. */
  readonly abandonAfterMs?: number;
  /** Longest pause in an upload (a package, or inside an input record), in ms. Default 10 000. */
  readonly uploadIdleMs?: number;
  /** Largest sealed package accepted, in bytes. Default 1 GiB. */
  readonly maxPackageBytes?: number;
  /** Where keeps' diagnostics (not workload data) go: this process's stderr, or nowhere. Default `ignore`. */
  readonly keepDiagnostics?: 'inherit' | 'ignore';
  /** Sealed records retained per keep for replay, in bytes (followers hold back what they have not read). Default 1 MiB. */
  readonly retainedOutputBytes?: number;
  /** How long a finished keep's records stay replayable, in ms. Default 10 min. */
  readonly outputRetentionMs?: number;
  /** How long a keep has to attest, in ms. Default 30 000. */
  readonly attestTimeoutMs?: number;
  /** Live keeps and memory promised, per tenant and in all. Default: unlimited. */
  readonly quotas?: Quotas;
  /** The keep runtime bundle to launch and measure. Default: the installed one. */
  readonly bundleDir?: string;
  /**
   * In-process callers only: a keep process already started from `bundleDir`, used for the first
   * keep so that its start-up overlaps the caller's (`enarx run`).
   */
  readonly spare?: KeepProcess;
  /**
   * In-process callers only: the default backend (`backend`), already being selected and
   * prepared by the caller, so that the platform's start-up overlaps the caller's (`enarx run`).
   */
  readonly defaultBackend?: Promise<Backend>;
  /**
   * Keep processes kept booted and waiting (not yet attested, holding nothing), so that a new
   * keep skips the engine's start-up (~80 ms). Each costs ~70 MiB RSS. Default 0.
   */
  readonly warmKeeps?: number;
  /** Receives log events (ids, states, sizes, codes). Default: none. */
  readonly logger?: HostLogger;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}
