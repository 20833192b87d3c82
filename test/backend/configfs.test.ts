/**
 * The configfs-tsm client against a fake kernel: the request protocol, the generation checks,
 * errno paths, and the node:fs implementation's reads and writes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackend, nodeConfigfsIo, probeTsm, requestTsmReport, TSM_OUTBLOB_MAX, type ConfigfsIo } from '../../src/backend/index.js';
import { FakeConfigfs, errno, strictLength, type Blobs } from './support/fake-configfs.js';
import { cleanupTempDirs, tempDir } from './support/sim-state.js';

after(cleanupTempDirs);

/** A provider that echoes the inblob in a 100-byte outblob and returns a fixed auxblob. */
const echo = (inblob: Uint8Array): Blobs => ({ outblob: Uint8Array.of(...inblob, ...new Uint8Array(36)), auxblob: Uint8Array.of(1, 2, 3) });
const data = (n: number): Uint8Array => new Uint8Array(64).fill(n);
const request = (fake: FakeConfigfs, inblob = data(7), provider = 'sev_guest') =>
  requestTsmReport(inblob, { io: fake, configfsRoot: fake.root, provider });

test('one entry per request: mkdir, provider, generation, inblob, generation, outblob, auxblob, generation, rmdir', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: strictLength(64, echo) });
  const r = await request(fake);
  assert.deepEqual(r.outblob.subarray(0, 64), data(7));
  assert.deepEqual(r.auxblob, Uint8Array.of(1, 2, 3));
  assert.equal(r.provider, 'sev_guest');
  assert.equal(r.generation, 1);
  const entry = fake.log[0]!.split(' ')[1]!;
  assert.match(entry, /^enarx-\d+-[0-9a-f]{16}$/);
  assert.deepEqual(
    fake.log.map((l) => l.replace(entry, 'E')),
    ['mkdir E', 'read E/provider', 'read E/generation', 'write E/inblob', 'read E/generation', 'read E/outblob', 'read E/auxblob', 'read E/generation', 'rmdir E'],
  );
  assert.deepEqual(fake.entries(), []);
  assert.equal(fake.generated, 1);
  // The next request uses another entry.
  await request(fake);
  const second = fake.log.find((l, i) => i > 0 && l.startsWith('mkdir'))!;
  assert.notEqual(second, `mkdir ${entry}`);
});

test('the fake behaves like the kernel: EINVAL before inblob, EFBIG beyond 64 bytes, EINVAL from a strict provider', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: strictLength(64, echo) });
  const e = join(fake.reportDir, 'x');
  await fake.mkdir(e);
  assert.equal(readFileSync(join(e, 'generation'), 'utf8'), '0\n');
  await assert.rejects(fake.readFile(join(e, 'outblob'), 100), { code: 'EINVAL' });
  await assert.rejects(fake.writeFile(join(e, 'inblob'), new Uint8Array(65)), { code: 'EFBIG' });
  await fake.writeFile(join(e, 'inblob'), new Uint8Array(32));
  assert.equal(readFileSync(join(e, 'generation'), 'utf8'), '1\n');
  await assert.rejects(fake.readFile(join(e, 'outblob'), 100), { code: 'EINVAL' });
  await fake.writeFile(join(e, 'inblob'), new Uint8Array(64));
  assert.equal((await fake.readFile(join(e, 'outblob'), 1000)).length, 100);
  await assert.rejects(fake.readFile(join(e, 'inblob'), 100), { code: 'EACCES' });
  await assert.rejects(fake.writeFile(join(e, 'generation'), new Uint8Array(1)), { code: 'EACCES' });
  await assert.rejects(fake.mkdir(e), { code: 'EEXIST' });
  await fake.rmdir(e);
  assert.deepEqual(fake.entries(), []);
});

test('EINVAL from the provider is ERR_BACKEND_IO with the errno as cause, and the entry is removed', async () => {
  // A provider that wants 32-byte inblobs refuses our 64 bytes, as sev-guest refuses others.
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: strictLength(32, echo) });
  await assert.rejects(request(fake), (err: unknown) => {
    assert.equal((err as { code?: string }).code, 'ERR_BACKEND_IO');
    assert.equal(((err as Error).cause as { code?: string }).code, 'EINVAL');
    assert.match((err as Error).message, /outblob.*EINVAL/);
    return true;
  });
  assert.deepEqual(fake.entries(), []);
  // Through a backend too.
  await assert.rejects(createBackend('snp', { configfsRoot: fake.root, configfsIo: fake }).attest(data(1), { measurement: new Uint8Array(48) }), {
    code: 'ERR_BACKEND_IO',
  });
});

test('a generation race is retried in a new entry, and the blobs returned are ours', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: echo });
  let raced = 0;
  fake.onRead = (entry, attr) => {
    // Another writer rewrites inblob of the first entry while we read auxblob.
    if (attr === 'auxblob' && raced++ === 0) fake.bump(entry);
  };
  const r = await request(fake, data(5));
  assert.deepEqual(r.outblob.subarray(0, 64), data(5));
  assert.equal(fake.log.filter((l) => l.startsWith('mkdir')).length, 2);
  assert.equal(fake.log.filter((l) => l.startsWith('rmdir')).length, 2);
  assert.deepEqual(fake.entries(), []);
});

test('a race between our inblob write and the generation read is detected too', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: echo });
  let reads = 0;
  fake.onRead = (entry, attr) => {
    if (attr === 'generation' && ++reads === 2) fake.bump(entry); // right after our write
  };
  const r = await request(fake, data(6));
  assert.deepEqual(r.outblob.subarray(0, 64), data(6));
  assert.equal(fake.log.filter((l) => l.startsWith('mkdir')).length, 2);
});

test('a generation that keeps moving ends in ERR_BACKEND_PROTOCOL after 3 entries, all removed', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: echo });
  fake.onRead = (entry, attr) => {
    if (attr === 'outblob') fake.bump(entry);
  };
  await assert.rejects(request(fake), (err: unknown) => {
    assert.equal((err as { code?: string }).code, 'ERR_BACKEND_PROTOCOL');
    assert.match((err as Error).message, /generation/);
    return true;
  });
  assert.equal(fake.log.filter((l) => l.startsWith('mkdir')).length, 3);
  assert.deepEqual(fake.entries(), []);
});

test('the wrong provider: unavailable with the provider named; attest refuses before writing inblob', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'tdx_guest', respond: echo });
  const snp = createBackend('snp', { configfsRoot: fake.root, configfsIo: fake });
  const a = await snp.availability();
  assert.equal(a.available, false);
  assert.match(a.reason!, /tdx_guest/);
  const info = await snp.platformInfo();
  assert.equal(info['provider'], 'tdx_guest');
  assert.equal(info['available'], false);
  await assert.rejects(snp.attest(data(1), { measurement: new Uint8Array(48) }), { code: 'ERR_BACKEND_UNAVAILABLE' });
  assert.ok(!fake.log.some((l) => l.startsWith('write')), 'nothing was written');
  assert.deepEqual(fake.entries(), []);
  assert.equal((await createBackend('tdx', { configfsRoot: fake.root, configfsIo: fake }).availability()).available, true);
});

test('no provider registered (ENXIO): unavailable with a reason', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: undefined, respond: echo });
  const a = await probeTsm(fake, fake.root, 'sev_guest');
  assert.equal(a.available, false);
  assert.match(a.reason!, /no TSM report provider/);
  await assert.rejects(request(fake), { code: 'ERR_BACKEND_UNAVAILABLE' });
});

test('the provider of an existing entry is used without creating one', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: echo });
  await fake.mkdir(join(fake.reportDir, 'someone-elses'));
  fake.log.length = 0;
  assert.equal((await probeTsm(fake, fake.root, 'sev_guest')).available, true);
  assert.deepEqual(fake.log, ['read someone-elses/provider']);
});

test('missing configfs, tsm or report directory: unavailable with the reason (real file system)', async () => {
  const root = tempDir();
  const backend = (r: string) => createBackend('snp', { configfsRoot: r });
  const cases: [string, RegExp][] = [
    [join(root, 'absent'), /configfs is not mounted/],
    [root, /kernel older than 6\.7/],
  ];
  for (const [r, reason] of cases) {
    const a = await backend(r).availability();
    assert.equal(a.available, false);
    assert.match(a.reason!, reason);
    await assert.rejects(backend(r).attest(data(1), { measurement: new Uint8Array(48) }), { code: 'ERR_BACKEND_UNAVAILABLE' });
  }
  mkdirSync(join(root, 'tsm'));
  assert.match((await backend(root).availability()).reason!, /no TSM report provider/);
  assert.match((await createBackend('tdx', { configfsRoot: join(root, 'absent') }).availability()).reason!, /^not a TDX guest: /);
});

test('blobs are size-checked: an empty or oversized outblob is ERR_BACKEND_PROTOCOL', async () => {
  for (const outblob of [new Uint8Array(0), new Uint8Array(TSM_OUTBLOB_MAX + 1)]) {
    const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: () => ({ outblob }) });
    await assert.rejects(request(fake), { code: 'ERR_BACKEND_PROTOCOL' });
    assert.deepEqual(fake.entries(), []);
  }
});

test('a generation that is not a number is ERR_BACKEND_PROTOCOL', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: echo });
  const broken: ConfigfsIo = {
    mkdir: (p) => fake.mkdir(p),
    rmdir: (p) => fake.rmdir(p),
    readdir: (p) => fake.readdir(p),
    exists: (p) => fake.exists(p),
    writeFile: (p, d) => fake.writeFile(p, d),
    readFile: async (p, limit) => (p.endsWith('generation') ? new TextEncoder().encode('many\n') : fake.readFile(p, limit)),
  };
  await assert.rejects(requestTsmReport(data(1), { io: broken, configfsRoot: fake.root, provider: 'sev_guest' }), { code: 'ERR_BACKEND_PROTOCOL' });
});

test('an error other than a race while reading is not retried', async () => {
  const fake = new FakeConfigfs(tempDir(), { provider: 'sev_guest', respond: echo });
  fake.onRead = (_e, attr) => {
    if (attr === 'outblob') throw errno('EIO', 'outblob');
  };
  await assert.rejects(request(fake), { code: 'ERR_BACKEND_IO' });
  assert.equal(fake.log.filter((l) => l.startsWith('mkdir')).length, 1);
  assert.deepEqual(fake.entries(), []);
});

test('nodeConfigfsIo reads past the 4096 bytes configfs reports as size, caps at limit + 1, never creates files', async () => {
  const dir = tempDir();
  const big = new Uint8Array(9000).map((_, i) => i & 0xff);
  writeFileSync(join(dir, 'outblob'), big);
  assert.deepEqual(await nodeConfigfsIo.readFile(join(dir, 'outblob'), TSM_OUTBLOB_MAX), big);
  assert.equal((await nodeConfigfsIo.readFile(join(dir, 'outblob'), 100)).length, 101);
  await assert.rejects(nodeConfigfsIo.writeFile(join(dir, 'inblob'), data(1)), { code: 'ENOENT' });
  writeFileSync(join(dir, 'inblob'), '');
  await nodeConfigfsIo.writeFile(join(dir, 'inblob'), data(1));
  assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'inblob'))), data(1));
  await nodeConfigfsIo.mkdir(join(dir, 'entry'));
  assert.deepEqual((await nodeConfigfsIo.readdir(dir)).sort(), ['entry', 'inblob', 'outblob']);
  await nodeConfigfsIo.rmdir(join(dir, 'entry'));
  assert.equal(await nodeConfigfsIo.exists(join(dir, 'entry')), false);
  assert.equal(await nodeConfigfsIo.exists(join(dir, 'outblob', 'below-a-file')), false);
});
