import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { isHostError } from '../../src/host/errors.js';
import { processIdentity } from '../../src/host/proc.js';
import { KeepStore } from '../../src/host/store.js';
import { cleanup, tempDir } from './support.js';

after(cleanup);

const rec = (id: string, tenant = 'alice') => ({ id, tenant, backend: 'nil', kem: 'x25519', state: 'starting' as const, createdAt: 1, updatedAt: 1 });

test('the first terminal verdict wins; live-state updates are conditional', async () => {
  const store = await KeepStore.open(undefined);
  store.insert(rec('k1'));
  assert.equal(store.update('k1', { state: 'attested', expiresAt: 99 }, 2, ['starting']), true);
  assert.equal(store.update('k1', { state: 'attested' }, 3, ['starting']), false);
  assert.equal(store.update('k1', { state: 'killed' }, 4), true);
  assert.equal(store.update('k1', { state: 'failed', errorCode: 'ERR_KEEP_CRASHED' }, 5), false);
  const r = store.get('alice', 'k1');
  assert.equal(r?.state, 'killed');
  assert.equal(r?.errorCode, undefined);
  assert.equal(r?.updatedAt, 4);
  assert.equal(store.get('bob', 'k1'), undefined);
  assert.deepEqual(store.live(), []);
  store.close();
  assert.equal(store.update('k1', { state: 'lost' }, 6, ['killed']), false, 'a closed store changes nothing');
});

test('the database file is private, in WAL mode, and holds what was written', async () => {
  const dir = tempDir();
  const store = await KeepStore.open(dir);
  store.insert(rec('k2'));
  store.setTenant('alice', new Uint8Array(32).fill(1), 1);
  store.close();
  assert.equal(statSync(join(dir, 'host.db')).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o077, 0);
  const db = new Database(join(dir, 'host.db'), { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual(db.prepare('SELECT id, state FROM keeps').all(), [{ id: 'k2', state: 'starting' }]);
  db.close();
  const again = await KeepStore.open(dir);
  assert.deepEqual(again.live().map((r) => r.id), ['k2']);
  assert.deepEqual(again.tenants().map((t) => t.name), ['alice']);
  again.close();
});

test('a state folder owned by another live agent is refused; a dead owner is replaced', async () => {
  const dir = tempDir();
  const store = await KeepStore.open(dir);
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const otherId = processIdentity(other.pid!);
    assert.ok(otherId);
    store.claimOwner(otherId);
    const me = processIdentity(process.pid)!;
    assert.throws(() => store.claimOwner(me), (e) => isHostError(e) && e.code === 'ERR_CONFLICT');
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
  await assert.rejects(KeepStore.open(dir), (e) => isHostError(e) && e.code === 'ERR_INTERNAL');
});
