import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { HostError } from '../../src/host/errors.js';
import { processIdentity } from '../../src/host/proc.js';
import { MemoryKeepStore } from '../../src/host/memory-store.js';
import { SqliteKeepStore } from '../../src/host/sqlite-store.js';
import { openKeepStore } from '../../src/host/open-store.js';
import type { KeepStore } from '../../src/host/store.js';
import { cleanup, tempDir } from './support.js';

after(cleanup);

const rec = (id: string, tenant = 'alice') => ({ id, tenant, backend: 'nil', kem: 'x25519', state: 'starting' as const, createdAt: 1, updatedAt: 1 });

// One contract, two stores: every case runs against SQLite (in memory and in a file) and memory.
const STORES: [string, () => Promise<KeepStore>][] = [
  ['sqlite :memory:', () => SqliteKeepStore.open(undefined)],
  ['sqlite file', () => openKeepStore(tempDir())],
  ['memory', () => openKeepStore(undefined)],
];

for (const [name, open] of STORES) {
  test(`${name}: the first terminal verdict wins; live-state updates are conditional`, async () => {
    const store = await open();
    store.insert(rec('k1'));
    assert.equal(store.update('k1', { state: 'attested', expiresAt: 99 }, 2, ['starting']), true);
    assert.equal(store.get('alice', 'k1')?.expiresAt, 99);
    assert.equal(store.update('k1', { state: 'attested' }, 3, ['starting']), false);
    assert.equal(store.update('k1', { state: 'running', expiresAt: null, packageBytes: 7 }, 3, ['attested']), true);
    assert.equal(store.get('alice', 'k1')?.expiresAt, undefined, 'null clears the expiry');
    assert.equal(store.update('k1', { state: 'killed' }, 4), true);
    assert.equal(store.update('k1', { state: 'failed', errorCode: 'ERR_KEEP_CRASHED' }, 5), false);
    assert.equal(store.update('k1', { packageBytes: 9 }, 5, []), false, 'no allowed state, no change');
    assert.equal(store.update('nope', { state: 'killed' }, 5), false);
    const r = store.get('alice', 'k1');
    assert.deepEqual(r, { id: 'k1', tenant: 'alice', backend: 'nil', kem: 'x25519', state: 'killed', createdAt: 1, updatedAt: 4, packageBytes: 7 });
    assert.ok(Object.isFrozen(r));
    assert.equal(store.get('bob', 'k1'), undefined);
    assert.deepEqual(store.live(), []);
    store.close();
    assert.equal(store.closed, true);
    assert.equal(store.update('k1', { state: 'lost' }, 6, ['killed']), false, 'a closed store changes nothing');
    assert.equal(store.get('alice', 'k1'), undefined);
  });

  test(`${name}: lists are per tenant and ordered; delete is per tenant; tenants by name`, async () => {
    const store = await open();
    store.insert({ ...rec('b'), createdAt: 2 });
    store.insert({ ...rec('a'), createdAt: 2 });
    store.insert({ ...rec('c'), createdAt: 1 });
    store.insert({ ...rec('z', 'bob'), createdAt: 0 });
    assert.throws(() => store.insert(rec('a')), 'ids are unique');
    assert.deepEqual(store.list('alice').map((r) => r.id), ['c', 'a', 'b']);
    assert.deepEqual(store.live().map((r) => r.id)[0], 'z');
    assert.equal(store.live().length, 4);
    store.update('z', { state: 'ended', outputRecords: 2, outputBytes: 100 }, 3);
    assert.deepEqual(store.live().map((r) => r.tenant), ['alice', 'alice', 'alice']);
    assert.equal(store.delete('alice', 'z'), false, "not alice's");
    assert.equal(store.delete('bob', 'z'), true);
    assert.equal(store.delete('bob', 'z'), false);
    assert.deepEqual(store.list('bob'), []);
    store.setTenant('mallory', new Uint8Array(32).fill(2), 1);
    store.setTenant('alice', new Uint8Array(32).fill(1), 1);
    store.setTenant('alice', new Uint8Array(32).fill(3), 2);
    assert.deepEqual(store.tenants().map((t) => [t.name, t.tokenSha256[0]]), [['alice', 3], ['mallory', 2]]);
    store.close();
  });
}

test('an embedded host keeps its state in memory, not in SQLite', async () => {
  assert.ok((await openKeepStore(undefined)) instanceof MemoryKeepStore);
  assert.ok((await openKeepStore(tempDir())) instanceof SqliteKeepStore);
});

test('the database file is private, in WAL mode, and holds what was written', async () => {
  const dir = tempDir();
  const store = await SqliteKeepStore.open(dir);
  store.insert(rec('k2'));
  store.setTenant('alice', new Uint8Array(32).fill(1), 1);
  store.close();
  assert.equal(statSync(join(dir, 'host.db')).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o077, 0);
  const db = new Database(join(dir, 'host.db'), { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual(db.prepare('SELECT id, state FROM keeps').all(), [{ id: 'k2', state: 'starting' }]);
  db.close();
  const again = await SqliteKeepStore.open(dir);
  assert.deepEqual(again.live().map((r) => r.id), ['k2']);
  assert.deepEqual(again.tenants().map((t) => t.name), ['alice']);
  again.close();
});

test('a state folder owned by another live agent is refused; a dead owner is replaced', async () => {
  const dir = tempDir();
  const store = await SqliteKeepStore.open(dir);
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const otherId = processIdentity(other.pid!);
    assert.ok(otherId);
    store.claimOwner(otherId);
    const me = processIdentity(process.pid)!;
    assert.throws(() => store.claimOwner(me), (e) => e instanceof HostError && e.code === 'ERR_CONFLICT');
    store.claimOwner({ ...otherId, startTime: '1' });
    store.claimOwner(me);
    store.releaseOwner(me);
  } finally {
    other.kill('SIGKILL');
    store.close();
  }
});

test('a database from a newer agent is refused', async () => {
  const dir = tempDir();
  const db = new Database(join(dir, 'host.db'));
  db.pragma('user_version = 99');
  db.close();
  await assert.rejects(SqliteKeepStore.open(dir), (e) => e instanceof HostError && e.code === 'ERR_INTERNAL');
});

test('a state folder that cannot be made (below /proc) is ERR_INTERNAL saying so, not an endless mkdir', { skip: existsSync('/proc/self') ? false : 'no /proc here', timeout: 10_000 }, async () => {
  await assert.rejects(openKeepStore('/proc/nonexistent'), (e) => {
    assert.ok(e instanceof HostError && e.code === 'ERR_INTERNAL');
    assert.match(e.message, /^cannot create the state directory \/proc\/nonexistent: (ENOENT|EACCES)\b/);
    return true;
  });
});

test('a version 1 database (which knew exit codes) is migrated: outcomes become `ended`', async () => {
  const dir = tempDir();
  const db = new Database(join(dir, 'host.db'));
  db.exec(`CREATE TABLE keeps (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, backend TEXT NOT NULL, kem TEXT NOT NULL, state TEXT NOT NULL,
    pid INTEGER, pid_start_time TEXT, boot_id TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expires_at INTEGER,
    exit_code INTEGER, error_code TEXT, error_message TEXT, package_bytes INTEGER)`);
  db.prepare("INSERT INTO keeps (id, tenant, backend, kem, state, created_at, updated_at, exit_code) VALUES ('a', 't', 'nil', 'x25519', 'exited', 1, 1, 3)").run();
  db.prepare("INSERT INTO keeps (id, tenant, backend, kem, state, created_at, updated_at, error_code) VALUES ('b', 't', 'nil', 'x25519', 'trapped', 2, 2, 'ERR_TRAP')").run();
  db.prepare("INSERT INTO keeps (id, tenant, backend, kem, state, created_at, updated_at) VALUES ('c', 't', 'nil', 'x25519', 'killed', 3, 3)").run();
  db.pragma('user_version = 1');
  db.close();
  const store = await SqliteKeepStore.open(dir);
  try {
    assert.deepEqual(store.list('t').map((r) => [r.id, r.state]), [['a', 'ended'], ['b', 'ended'], ['c', 'killed']]);
    assert.equal('exitCode' in store.get('t', 'a')!, false);
    store.update('c', { outputRecords: 1, outputBytes: 2 }, 4, ['killed']);
    assert.equal(store.get('t', 'c')?.outputRecords, 1);
  } finally {
    store.close();
  }
});
