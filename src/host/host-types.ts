/**
 * The host agent core's options, requests and answers (the class is in host.ts).
 */
import type { Backend, BackendName, Evidence } from '../backend/index.js';
import type { Limits } from '../runtime/limits.js';
import type { KeepProcess } from './keep-process.js';
import type { HostLogger } from './log.js';
import type { KeepState } from './store.js';

/** Default time a keep may wait for its package: 60 s. */
export const DEFAULT_ABANDON_AFTER_MS = 60_000;
/** Default cap on a sealed package: 1 GiB. */
export const DEFAULT_MAX_PACKAGE_BYTES = 1024 ** 3;
/** Largest slice of a package sent to a keep in one control frame: 1 MiB. */
export const PACKAGE_SLICE_BYTES = 1024 * 1024;
/** Default time a keep has to attest: 30 s. */
export const DEFAULT_ATTEST_TIMEOUT_MS = 30_000;
/** Default time a finished keep's output stays replayable: 10 min. */
export const DEFAULT_OUTPUT_RETENTION_MS = 10 * 60_000;

/** Options of {@link Host.open}. Every field has a default. */
export interface HostOptions {
  /** Folder of the agent's database (`host.db`). Undefined: state in memory only (embedded hosts). */
  readonly stateDir?: string;
  /** Where backends keep their state (the `sim` platform). Default: `stateDir`, else `defaultStateDir()`. */
  readonly backendStateDir?: string;
  /** The backend of keeps whose request names none. Default: the first available (snp, tdx, sim, nil). */
  readonly backend?: BackendName;
  /** A keep given no package within this many ms is killed (`expired`). Default 60 000. */
  readonly abandonAfterMs?: number;
  /** Largest sealed package accepted, in bytes. Default 1 GiB. */
  readonly maxPackageBytes?: number;
  /** `pipe`: keep output is collected for {@link Host.events}; `inherit`: it goes to this process's stdio. Default `pipe`. */
  readonly stdio?: 'pipe' | 'inherit';
  /** Output retained per stream per keep, in bytes. Default 1 MiB. */
  readonly outputBytesPerStream?: number;
  /** How long a finished keep's output stays replayable, in ms. Default 10 min. */
  readonly outputRetentionMs?: number;
  /** How long a keep has to attest, in ms. Default 30 000. */
  readonly attestTimeoutMs?: number;
  /** The keep runtime bundle to launch and measure. Default: the installed one. */
  readonly bundleDir?: string;
  /**
   * In-process callers only: a keep process already started from `bundleDir` (with `stdio`),
   * used for the first keep so that its start-up overlaps the caller's (`enarx run`).
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

/** What a client asks for when creating a keep. */
export interface CreateKeepRequest {
  /** The client's fresh 32-byte nonce. */
  readonly nonce: Uint8Array;
  /** The HPKE suite of the keep's key. Default `x25519`. */
  readonly kem?: 'x25519' | 'x-wing';
  /** Default: the host's. */
  readonly backend?: BackendName;
  /** Merged over `DEFAULT_LIMITS`. */
  readonly limits?: Partial<Limits>;
  /**
   * Host folders the keep may open. Only for in-process callers on the same machine and
   * user (`enarx run --dir`); the HTTP API never accepts them.
   */
  readonly preopens?: readonly { readonly host: string; readonly guest: string }[];
}

/** A created, attested keep, waiting for its package. */
export interface CreatedKeep {
  readonly id: string;
  readonly backend: BackendName;
  readonly kem: 'x25519' | 'x-wing';
  /** The keep's HPKE public key. */
  readonly publicKey: Uint8Array;
  readonly evidence: Evidence;
  readonly state: 'attested';
  /** When the keep is killed unless its package has started arriving. */
  readonly expiresAt: Date;
}

/** What the host knows about a keep. */
export interface KeepInfo {
  readonly id: string;
  readonly tenant: string;
  readonly backend: string;
  readonly kem: string;
  readonly state: KeepState;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly expiresAt?: Date;
  readonly exitCode?: number;
  readonly error?: { readonly code: string; readonly message: string };
  readonly packageBytes?: number;
  /** The keep's process id while it may run (host-internal; the HTTP API does not show it). */
  readonly pid?: number;
}

/** Options of {@link Host.events}. */
export interface KeepEventsOptions {
  /** Start after this sequence number (an SSE `Last-Event-ID`). Default 0: from the start. */
  readonly after?: number;
  /** Stops the stream. */
  readonly signal?: AbortSignal;
}
