import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  BACKEND_ORDER,
  BackendError,
  NilBackend,
  SimBackend,
  SnpBackend,
  TdxBackend,
  backendStatuses,
  createBackend,
  defaultStateDir,
  selectBackend,
} from '../../src/backend/index.js';
import { isBackendName } from '../../src/protocol/names.js';
import { FakeConfigfs } from './support/fake-configfs.js';
import { cleanupTempDirs, tempDir } from './support/sim-state.js';

after(cleanupTempDirs);

const noConfigfs = (): string => join(tempDir(), 'no-configfs');
const unusableState = (): string => {
  const d = tempDir();
  writeFileSync(join(d, 'file'), '');
  return join(d, 'file', 'state');
};
const fakeTsm = (provider: string): FakeConfigfs => new FakeConfigfs(tempDir(), { provider, respond: () => ({ outblob: new Uint8Array(1) }) });

test('createBackend: one class per name; unknown names are a TypeError', () => {
  assert.ok(createBackend('nil') instanceof NilBackend);
  assert.ok(createBackend('sim', { stateDir: tempDir() }) instanceof SimBackend);
  assert.ok(createBackend('snp') instanceof SnpBackend);
  assert.ok(createBackend('tdx') instanceof TdxBackend);
  assert.throws(() => createBackend('sgx' as never), TypeError);
  assert.equal(isBackendName('sim'), true);
  assert.equal(isBackendName('kvm'), false);
  assert.deepEqual(BACKEND_ORDER, ['snp', 'tdx', 'sim', 'nil']);
});

test('selectBackend without a name: the first available of snp, tdx, sim, nil', async () => {
  assert.equal((await selectBackend(undefined, { configfsRoot: noConfigfs(), stateDir: tempDir() })).name, 'sim');
  assert.equal((await selectBackend(undefined, { configfsRoot: noConfigfs(), stateDir: unusableState() })).name, 'nil');
  const snp = fakeTsm('sev_guest');
  assert.equal((await selectBackend(undefined, { configfsRoot: snp.root, configfsIo: snp, stateDir: tempDir() })).name, 'snp');
  const tdx = fakeTsm('tdx_guest');
  assert.equal((await selectBackend(undefined, { configfsRoot: tdx.root, configfsIo: tdx, stateDir: tempDir() })).name, 'tdx');
  assert.deepEqual(snp.entries(), []);
  assert.deepEqual(tdx.entries(), []);
});

test('selectBackend with a name: that backend, or ERR_BACKEND_UNAVAILABLE with its reason', async () => {
  assert.equal((await selectBackend('nil')).name, 'nil');
  await assert.rejects(selectBackend('snp', { configfsRoot: noConfigfs() }), (err: unknown) => {
    assert.ok(err instanceof BackendError);
    assert.equal(err.code, 'ERR_BACKEND_UNAVAILABLE');
    assert.match(err.message, /backend 'snp' is not available: not an SEV-SNP guest: configfs is not mounted/);
    return true;
  });
  await assert.rejects(selectBackend('sim', { stateDir: unusableState() }), { code: 'ERR_BACKEND_UNAVAILABLE' });
  await assert.rejects(selectBackend('kvm' as never), TypeError);
});

test('selectBackend with an order that has nothing available lists every reason', async () => {
  await assert.rejects(selectBackend(undefined, { order: ['snp', 'tdx'], configfsRoot: noConfigfs() }), (err: unknown) => {
    assert.equal((err as BackendError).code, 'ERR_BACKEND_UNAVAILABLE');
    assert.match((err as Error).message, /snp: .*; tdx: /);
    return true;
  });
});

test('backendStatuses: every backend in preference order, reasons for the missing ones', async () => {
  const s = await backendStatuses({ configfsRoot: noConfigfs(), stateDir: tempDir() });
  assert.deepEqual(s.map((b) => [b.name, b.available]), [['snp', false], ['tdx', false], ['sim', true], ['nil', true]]);
  assert.ok(s[0]!.reason && s[1]!.reason);
  assert.equal(s[2]!.reason, undefined);
});

test('selectBackend without a name: the chosen backend carries the candidates skipped before it, with their reasons', async () => {
  const state = unusableState();
  const nil = await selectBackend(undefined, { configfsRoot: noConfigfs(), stateDir: state });
  assert.equal(nil.name, 'nil');
  assert.deepEqual(nil.skipped.map((s) => s.name), ['snp', 'tdx', 'sim']);
  assert.match(nil.skipped[0]!.reason, /^not an SEV-SNP guest: configfs is not mounted/);
  assert.match(nil.skipped[1]!.reason, /^not a TDX guest: configfs is not mounted/);
  assert.equal(nil.skipped[2]!.reason, `cannot create the state directory ${join(state, 'sim')}: ENOTDIR: ${dirname(state)} is not a directory`);
  assert.ok(Object.isFrozen(nil.skipped) && nil.skipped.every((s) => Object.isFrozen(s)));
  // Still the backend itself, usable as before.
  assert.ok(nil instanceof NilBackend);
  assert.equal((await nil.attest(new Uint8Array(64), { measurement: new Uint8Array(48) })).backend, 'nil');

  const sim = await selectBackend(undefined, { configfsRoot: noConfigfs(), stateDir: tempDir() });
  assert.equal(sim.name, 'sim');
  assert.deepEqual(sim.skipped.map((s) => s.name), ['snp', 'tdx']);
  const snp = fakeTsm('sev_guest');
  assert.deepEqual((await selectBackend(undefined, { configfsRoot: snp.root, configfsIo: snp, stateDir: state })).skipped, []);
  // Named, nothing was skipped.
  assert.deepEqual((await selectBackend('nil')).skipped, []);
  assert.deepEqual((await selectBackend('sim', { stateDir: tempDir() })).skipped, []);
});

test('defaultStateDir: ENARX_STATE_DIR, else XDG_STATE_HOME/enarx, else ~/.local/state/enarx', () => {
  const home = () => '/home/u';
  assert.equal(defaultStateDir({ ENARX_STATE_DIR: '/srv/enarx', XDG_STATE_HOME: '/x' }, home), '/srv/enarx');
  assert.equal(defaultStateDir({ ENARX_STATE_DIR: 'rel' }, home), join(process.cwd(), 'rel'));
  assert.equal(defaultStateDir({ XDG_STATE_HOME: '/x/state' }, home), '/x/state/enarx');
  assert.equal(defaultStateDir({ XDG_STATE_HOME: 'relative' }, home), '/home/u/.local/state/enarx');
  assert.equal(defaultStateDir({}, home), '/home/u/.local/state/enarx');
});
