/**
 * The agent's state in SQLite (better-sqlite3, WAL) in the state folder (or `:memory:`).
 * Terminal states are final: every update that ends a keep is conditional on the keep not
 * having ended yet (see store.ts).
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { makeStateDir } from '../backend/state-dir.js';
import { HostError } from './errors.js';
import type { ProcessIdentity } from './proc.js';
import { isSameProcessAlive } from './proc.js';
import { LIVE_STATES } from '../protocol/names.js';
import type { KeepState } from '../protocol/names.js';
import type { KeepPatch, KeepRecord, KeepStore, TenantRecord } from './store.js';

const COLUMNS: Readonly<Record<keyof KeepPatch, string>> = {
  state: 'state',
  pid: 'pid',
  pidStartTime: 'pid_start_time',
  bootId: 'boot_id',
  expiresAt: 'expires_at',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  packageBytes: 'package_bytes',
  outputRecords: 'output_records',
  outputBytes: 'output_bytes',
};

interface Row {
  id: string;
  tenant: string;
  backend: string;
  kem: string;
  state: KeepState;
  pid: number | null;
  pid_start_time: string | null;
  boot_id: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  error_code: string | null;
  error_message: string | null;
  package_bytes: number | null;
  output_records: number | null;
  output_bytes: number | null;
}

function toRecord(r: Row): KeepRecord {
  const out: Record<string, unknown> = { id: r.id, tenant: r.tenant, backend: r.backend, kem: r.kem, state: r.state, createdAt: r.created_at, updatedAt: r.updated_at };
  if (r.pid !== null) out['pid'] = r.pid;
  if (r.pid_start_time !== null) out['pidStartTime'] = r.pid_start_time;
  if (r.boot_id !== null) out['bootId'] = r.boot_id;
  if (r.expires_at !== null) out['expiresAt'] = r.expires_at;
  if (r.error_code !== null) out['errorCode'] = r.error_code;
  if (r.error_message !== null) out['errorMessage'] = r.error_message;
  if (r.package_bytes !== null) out['packageBytes'] = r.package_bytes;
  if (r.output_records !== null) out['outputRecords'] = r.output_records;
  if (r.output_bytes !== null) out['outputBytes'] = r.output_bytes;
  return Object.freeze(out) as unknown as KeepRecord;
}

/**
 * Version 2: a keep's outcome is sealed to its client, so the agent no longer records exit codes
 * (`exited` and `trapped` became `ended`); it counts the sealed records a keep sent instead.
 */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS keeps (
  id             TEXT PRIMARY KEY,
  tenant         TEXT NOT NULL,
  backend        TEXT NOT NULL,
  kem            TEXT NOT NULL,
  state          TEXT NOT NULL,
  pid            INTEGER,
  pid_start_time TEXT,
  boot_id        TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  expires_at     INTEGER,
  error_code     TEXT,
  error_message  TEXT,
  package_bytes  INTEGER,
  output_records INTEGER,
  output_bytes   INTEGER
);
CREATE INDEX IF NOT EXISTS keeps_by_tenant ON keeps (tenant, created_at);
CREATE INDEX IF NOT EXISTS keeps_by_state ON keeps (state);
CREATE TABLE IF NOT EXISTS tenants (
  name          TEXT PRIMARY KEY,
  token_sha256  BLOB NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
`;

/** From version 1: outcomes the agent knew become `ended`, and it counts records instead. */
const MIGRATE_1_TO_2 = `
BEGIN;
UPDATE keeps SET state = 'ended' WHERE state IN ('exited', 'trapped');
ALTER TABLE keeps DROP COLUMN exit_code;
ALTER TABLE keeps ADD COLUMN output_records INTEGER;
ALTER TABLE keeps ADD COLUMN output_bytes INTEGER;
COMMIT;
`;

/** The file name of the database inside the state folder. */
export const DB_FILE = 'host.db';

/** The agent's database. */
export class SqliteKeepStore implements KeepStore {
  readonly #db: BetterSqlite3.Database;
  #closed = false;

  private constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /**
   * Opens (creating if needed) the database in `stateDir`, or an in-memory one.
   * @throws HostError ERR_INTERNAL when the state directory cannot be created, or the database
   *   cannot be opened or has a newer schema
   */
  static async open(stateDir: string | undefined): Promise<SqliteKeepStore> {
    const { default: Database } = await import('better-sqlite3');
    if (stateDir !== undefined) {
      try {
        await makeStateDir(stateDir);
      } catch (err) {
        throw new HostError('ERR_INTERNAL', `cannot create the state directory ${stateDir}: ${(err as Error).message}`, { cause: err });
      }
    }
    let db: BetterSqlite3.Database;
    try {
      if (stateDir === undefined) {
        db = new Database(':memory:');
      } else {
        const file = join(stateDir, DB_FILE);
        db = new Database(file);
        chmodSync(file, 0o600);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('busy_timeout = 5000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`the state database has schema version ${version}; this agent knows ${SCHEMA_VERSION}`);
      if (version === 1) db.exec(MIGRATE_1_TO_2);
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (err) {
      throw new HostError('ERR_INTERNAL', `cannot open the host state database: ${(err as Error).message}`, { cause: err });
    }
    return new SqliteKeepStore(db);
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Records `me` as the agent owning this database, unless another live agent process already
   * does (two agents on one state folder would declare each other's keeps lost).
   * @throws HostError ERR_CONFLICT naming the other agent's pid
   */
  claimOwner(me: ProcessIdentity): void {
    const tx = this.#db.transaction(() => {
      const row = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get('owner') as { value: string } | undefined;
      if (row !== undefined) {
        let other: ProcessIdentity | undefined;
        try {
          other = JSON.parse(row.value) as ProcessIdentity;
        } catch {
          other = undefined;
        }
        if (other !== undefined && other.pid !== me.pid && isSameProcessAlive(other)) {
          throw new HostError('ERR_CONFLICT', `the state folder is in use by another host agent (pid ${other.pid})`);
        }
      }
      this.#db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('owner', JSON.stringify(me));
    });
    tx.immediate();
  }

  /** Forgets `me` as the owner (on a clean shutdown), unless another agent took over since. */
  releaseOwner(me: ProcessIdentity): void {
    if (this.#closed) return;
    this.#db.prepare('DELETE FROM meta WHERE key = ? AND value = ?').run('owner', JSON.stringify(me));
  }

  /** Adds a keep. */
  insert(rec: KeepRecord): void {
    this.#db
      .prepare(
        `INSERT INTO keeps (id, tenant, backend, kem, state, created_at, updated_at, expires_at)
         VALUES (@id, @tenant, @backend, @kem, @state, @createdAt, @updatedAt, @expiresAt)`,
      )
      .run({ id: rec.id, tenant: rec.tenant, backend: rec.backend, kem: rec.kem, state: rec.state, createdAt: rec.createdAt, updatedAt: rec.updatedAt, expiresAt: rec.expiresAt ?? null });
  }

  /**
   * Updates a keep, only if its state is one of `from` (default: any live state). Returns true
   * when the row changed. A closed store changes nothing.
   */
  update(id: string, patch: KeepPatch, now: number, from: readonly KeepState[] = LIVE_STATES): boolean {
    if (this.#closed) return false;
    const sets: string[] = ['updated_at = @now'];
    const params: Record<string, unknown> = { id, now };
    for (const [key, column] of Object.entries(COLUMNS) as [keyof KeepPatch, string][]) {
      const value = patch[key];
      if (value === undefined) continue;
      sets.push(`${column} = @${key}`);
      params[key] = value;
    }
    const states = from.map((_, i) => `@from${i}`);
    from.forEach((s, i) => (params[`from${i}`] = s));
    const sql = `UPDATE keeps SET ${sets.join(', ')} WHERE id = @id AND state IN (${states.join(', ') || "''"})`;
    return this.#db.prepare(sql).run(params).changes === 1;
  }

  /** A tenant's keep, or undefined (also for another tenant's keep). */
  get(tenant: string, id: string): KeepRecord | undefined {
    if (this.#closed) return undefined;
    const row = this.#db.prepare('SELECT * FROM keeps WHERE id = ? AND tenant = ?').get(id, tenant) as Row | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** A tenant's keeps, oldest first. */
  list(tenant: string): KeepRecord[] {
    if (this.#closed) return [];
    return (this.#db.prepare('SELECT * FROM keeps WHERE tenant = ? ORDER BY created_at, id').all(tenant) as Row[]).map(toRecord);
  }

  /** Every keep in a live state (all tenants). */
  live(): KeepRecord[] {
    const marks = LIVE_STATES.map(() => '?').join(', ');
    return (this.#db.prepare(`SELECT * FROM keeps WHERE state IN (${marks}) ORDER BY created_at`).all(...LIVE_STATES) as Row[]).map(toRecord);
  }

  /** Forgets a tenant's keep. Returns true when it existed. */
  delete(tenant: string, id: string): boolean {
    if (this.#closed) return false;
    return this.#db.prepare('DELETE FROM keeps WHERE id = ? AND tenant = ?').run(id, tenant).changes === 1;
  }

  /** Every tenant with its token digest. */
  tenants(): TenantRecord[] {
    return (this.#db.prepare('SELECT name, token_sha256 FROM tenants ORDER BY name').all() as { name: string; token_sha256: Buffer }[]).map((r) => ({
      name: r.name,
      tokenSha256: new Uint8Array(r.token_sha256),
    }));
  }

  /** Adds a tenant or replaces its token digest. */
  setTenant(name: string, tokenSha256: Uint8Array, now: number): void {
    this.#db
      .prepare('INSERT INTO tenants (name, token_sha256, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET token_sha256 = excluded.token_sha256')
      .run(name, Buffer.from(tokenSha256), now);
  }

  /** Closes the database; later calls change nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
