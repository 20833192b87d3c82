/**
 * The host agent's state: which keeps exist, whose they are, what became of them, and which
 * tenants may use the agent. SQLite (better-sqlite3, WAL) in the state folder, or in memory.
 *
 * Only ids, states, sizes, codes and process identities are stored; never package bytes, never
 * a keep's records (sealed as they are). Tokens are stored as their SHA-256 only.
 *
 * Terminal states are final: every update that ends a keep is conditional on the keep not
 * having ended yet, so the first verdict wins (a `DELETE` racing the keep's own exit, or an
 * old agent instance writing late after a new one declared its keeps `lost`).
 */
import type { KeepState } from '../protocol/names.js';
import type { ProcessIdentity } from './proc.js';

/** One row of the keeps table. */
export interface KeepRecord {
  readonly id: string;
  readonly tenant: string;
  readonly backend: string;
  readonly kem: string;
  readonly state: KeepState;
  readonly pid?: number;
  readonly pidStartTime?: string;
  readonly bootId?: string;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt?: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly packageBytes?: number;
  /** Sealed records the keep sent (output and outcome), and their bytes. */
  readonly outputRecords?: number;
  readonly outputBytes?: number;
}

/** Columns an update may set. */
export interface KeepPatch {
  readonly state?: KeepState;
  readonly pid?: number;
  readonly pidStartTime?: string;
  readonly bootId?: string;
  readonly expiresAt?: number | null;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly packageBytes?: number;
  readonly outputRecords?: number;
  readonly outputBytes?: number;
}

/** A tenant's stored token digest. */
export interface TenantRecord {
  readonly name: string;
  readonly tokenSha256: Uint8Array;
}

/**
 * The agent's state. Two implementations keep one contract (test/host/store.test.ts runs the
 * same cases against both): SQLite in a state folder for the agent, and memory for embedded
 * hosts (`enarx run`, `enarx deploy` without `--host`), whose keeps end with the process.
 */
export interface KeepStore {
  /** True after {@link close}. */
  readonly closed: boolean;
  /**
   * Records `me` as the agent owning this state, unless another live agent process already
   * does (two agents on one state folder would declare each other's keeps lost).
   * @throws HostError ERR_CONFLICT naming the other agent's pid
   */
  claimOwner(me: ProcessIdentity): void;
  /** Forgets `me` as the owner (on a clean shutdown), unless another agent took over since. */
  releaseOwner(me: ProcessIdentity): void;
  /** Adds a keep. */
  insert(rec: KeepRecord): void;
  /**
   * Updates a keep, only if its state is one of `from` (default: any live state). Returns true
   * when the record changed. A closed store changes nothing.
   */
  update(id: string, patch: KeepPatch, now: number, from?: readonly KeepState[]): boolean;
  /** A tenant's keep, or undefined (also for another tenant's keep). */
  get(tenant: string, id: string): KeepRecord | undefined;
  /** A tenant's keeps, oldest first (ties by id). */
  list(tenant: string): KeepRecord[];
  /** Every keep in a live state (all tenants), oldest first. */
  live(): KeepRecord[];
  /** Forgets a tenant's keep. Returns true when it existed. */
  delete(tenant: string, id: string): boolean;
  /** Every tenant with its token digest, by name. */
  tenants(): TenantRecord[];
  /** Adds a tenant or replaces its token digest. */
  setTenant(name: string, tokenSha256: Uint8Array, now: number): void;
  /** Closes the store; later calls change nothing. */
  close(): void;
}

