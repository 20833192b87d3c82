/**
 * The steward's durable state in SQLite (better-sqlite3, WAL, `synchronous = FULL`: a committed
 * issuance survives kill -9 and power loss) in its state folder, beside the CA (ca.ts) and the
 * EAR signing key (ear.ts):
 *
 * - `reference_values`: the runtimes it names (`enarx steward reference-values add FILE`);
 * - `evidence_seen`: SHA-256 of every piece of evidence it accepted, so a replay is refused;
 * - `audit`: every issuance, every refusal and every EAR, append-only.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { makeStateDir } from '../backend/state-dir.js';
import type { ReferenceValue } from '../attestation/reference-values.js';
import { StewardError } from './errors.js';

/** The file name of the database in the state folder. */
export const STEWARD_DB_FILE = 'steward.db';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reference_values (
  measurement TEXT NOT NULL,
  backend     TEXT NOT NULL,
  runtime     TEXT NOT NULL,
  release     TEXT NOT NULL,
  engine      TEXT,
  added_at    INTEGER NOT NULL,
  PRIMARY KEY (measurement, backend)
);
CREATE TABLE IF NOT EXISTS evidence_seen (
  sha256  BLOB PRIMARY KEY,
  at      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      INTEGER NOT NULL,
  event   TEXT NOT NULL,
  code    TEXT,
  remote  TEXT,
  detail  TEXT NOT NULL
);
`;

/** One line of the audit log. */
export interface AuditEntry {
  readonly at: number;
  /** `issued`, `refused`, `ear`. */
  readonly event: 'issued' | 'refused' | 'ear';
  /** The refusal's code (absent for an issuance). */
  readonly code?: string;
  /** The peer's address. */
  readonly remote?: string;
  /** What was decided about: form, TEE, measurement, key digest, serial, names, message. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** The steward's database. */
export class StewardState {
  readonly #db: BetterSqlite3.Database;
  #values: { version: number; values: ReferenceValue[] } | undefined;

  private constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /** Opens (creating if needed) the database in `stateDir` (made 0700). @throws StewardError ERR_INTERNAL */
  static async open(stateDir: string): Promise<StewardState> {
    const { default: Database } = await import('better-sqlite3');
    try {
      await makeStateDir(stateDir);
      const file = join(stateDir, STEWARD_DB_FILE);
      const db = new Database(file);
      chmodSync(file, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`the database has schema version ${version}; this steward knows ${SCHEMA_VERSION}`);
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return new StewardState(db);
    } catch (err) {
      throw new StewardError('ERR_INTERNAL', `cannot open the steward state in ${stateDir}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The reference values, re-read when another process (the CLI) changed them. */
  referenceValues(): readonly ReferenceValue[] {
    const version = this.#db.pragma('data_version', { simple: true }) as number;
    if (this.#values?.version !== version) {
      const rows = this.#db.prepare('SELECT measurement, backend, runtime, release, engine FROM reference_values ORDER BY added_at, measurement').all() as {
        measurement: string;
        backend: string;
        runtime: string;
        release: string;
        engine: string | null;
      }[];
      const values = rows.map((r) => Object.freeze({ measurement: r.measurement, backend: r.backend, runtime: r.runtime, release: r.release, ...(r.engine === null ? {} : { engine: r.engine }) }));
      this.#values = { version, values };
    }
    return this.#values.values;
  }

  /** Adds reference values (a value already there for its backend is replaced); returns how many. */
  addReferenceValues(values: readonly ReferenceValue[], now = Date.now()): number {
    const put = this.#db.prepare(
      'INSERT OR REPLACE INTO reference_values (measurement, backend, runtime, release, engine, added_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#db.transaction(() => {
      for (const v of values) put.run(v.measurement.toLowerCase(), v.backend, v.runtime, v.release, v.engine ?? null, now);
    })();
    this.#values = undefined;
    return values.length;
  }

  /** Removes the values with this measurement; returns how many. */
  removeReferenceValue(measurement: string): number {
    this.#values = undefined;
    return this.#db.prepare('DELETE FROM reference_values WHERE measurement = ?').run(measurement.toLowerCase()).changes;
  }

  /**
   * Records evidence (its SHA-256) as used, in the same transaction as the audit line of the
   * issuance it allows: false when it was used before (a replay), and then nothing is written.
   */
  claimEvidence(sha256: Uint8Array, entry: AuditEntry): boolean {
    return this.#db.transaction(() => {
      const r = this.#db.prepare('INSERT OR IGNORE INTO evidence_seen (sha256, at) VALUES (?, ?)').run(Buffer.from(sha256), entry.at);
      if (r.changes === 0) return false;
      this.#insertAudit(entry);
      return true;
    })();
  }

  /** Appends a line to the audit log. */
  audit(entry: AuditEntry): void {
    this.#insertAudit(entry);
  }

  /** The last `limit` lines of the audit log, oldest first. */
  auditLog(limit = 100): AuditEntry[] {
    const rows = this.#db.prepare('SELECT at, event, code, remote, detail FROM audit ORDER BY id DESC LIMIT ?').all(limit) as {
      at: number;
      event: AuditEntry['event'];
      code: string | null;
      remote: string | null;
      detail: string;
    }[];
    return rows.reverse().map((r) => ({
      at: r.at,
      event: r.event,
      ...(r.code === null ? {} : { code: r.code }),
      ...(r.remote === null ? {} : { remote: r.remote }),
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #insertAudit(e: AuditEntry): void {
    this.#db.prepare('INSERT INTO audit (at, event, code, remote, detail) VALUES (?, ?, ?, ?, ?)').run(e.at, e.event, e.code ?? null, e.remote ?? null, JSON.stringify(e.detail));
  }
}
