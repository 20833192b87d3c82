/**
 * The state of an embedded host (`enarx run`, `enarx deploy` without `--host`) in memory: its
 * keeps live and die with the process, so there is nothing to persist, and a database (a native
 * module and its schema) would only cost start-up. Same contract as the SQLite store.
 */
import { HostError } from './errors.js';
import type { ProcessIdentity } from './proc.js';
import { LIVE_STATES } from '../protocol/names.js';
import type { KeepState } from '../protocol/names.js';
import type { KeepPatch, KeepRecord, KeepStore, TenantRecord } from './store.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Copies `rec` with `patch` applied; `expiresAt: null` clears the expiry. */
function patched(rec: KeepRecord, patch: KeepPatch, now: number): KeepRecord {
  const out: Mutable<KeepRecord> = { ...rec, updatedAt: now };
  for (const [key, value] of Object.entries(patch) as [keyof KeepPatch, KeepPatch[keyof KeepPatch]][]) {
    if (value === undefined) continue;
    if (value === null) delete out[key as 'expiresAt'];
    else (out as Record<string, unknown>)[key] = value;
  }
  return Object.freeze(out);
}

/** Oldest first, ties by id (the SQLite store's order). */
function byAge(a: KeepRecord, b: KeepRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Keeps and tenants in maps. */
export class MemoryKeepStore implements KeepStore {
  readonly #keeps = new Map<string, KeepRecord>();
  readonly #tenants = new Map<string, Uint8Array>();
  #owner: string | undefined;
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  claimOwner(me: ProcessIdentity): void {
    // Only this process can hold this state; recorded for releaseOwner's symmetry.
    this.#owner = JSON.stringify(me);
  }

  releaseOwner(me: ProcessIdentity): void {
    if (this.#owner === JSON.stringify(me)) this.#owner = undefined;
  }

  insert(rec: KeepRecord): void {
    if (this.#closed) throw new HostError('ERR_INTERNAL', 'the host state is closed');
    if (this.#keeps.has(rec.id)) throw new HostError('ERR_INTERNAL', `keep '${rec.id}' already exists`);
    // The columns an insert sets (as in SQLite); the rest come with updates.
    const { id, tenant, backend, kem, state, createdAt, updatedAt, expiresAt } = rec;
    this.#keeps.set(id, Object.freeze({ id, tenant, backend, kem, state, createdAt, updatedAt, ...(expiresAt === undefined ? {} : { expiresAt }) }));
  }

  update(id: string, patch: KeepPatch, now: number, from: readonly KeepState[] = LIVE_STATES): boolean {
    if (this.#closed) return false;
    const rec = this.#keeps.get(id);
    if (rec === undefined || !from.includes(rec.state)) return false;
    this.#keeps.set(id, patched(rec, patch, now));
    return true;
  }

  get(tenant: string, id: string): KeepRecord | undefined {
    if (this.#closed) return undefined;
    const rec = this.#keeps.get(id);
    return rec?.tenant === tenant ? rec : undefined;
  }

  list(tenant: string): KeepRecord[] {
    if (this.#closed) return [];
    return [...this.#keeps.values()].filter((r) => r.tenant === tenant).sort(byAge);
  }

  live(): KeepRecord[] {
    return [...this.#keeps.values()].filter((r) => LIVE_STATES.includes(r.state)).sort((a, b) => a.createdAt - b.createdAt);
  }

  delete(tenant: string, id: string): boolean {
    if (this.#closed || this.#keeps.get(id)?.tenant !== tenant) return false;
    return this.#keeps.delete(id);
  }

  tenants(): TenantRecord[] {
    return [...this.#tenants.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, digest]) => ({ name, tokenSha256: new Uint8Array(digest) }));
  }

  setTenant(name: string, tokenSha256: Uint8Array, _now: number): void {
    if (this.#closed) throw new HostError('ERR_INTERNAL', 'the host state is closed');
    this.#tenants.set(name, new Uint8Array(tokenSha256));
  }

  close(): void {
    this.#closed = true;
  }
}
