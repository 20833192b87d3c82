import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { buildPackage } from '../../src/client/package-builder.js';
import { RegistryError } from '../../src/registry/errors.js';
import { MAX_MANIFEST_BYTES, packDirectory, parsePackageConfig, parsePackageManifest, sha256, unpackToDirectory } from '../../src/registry/package-format.js';
import type { PackedPackage } from '../../src/registry/package-format.js';
import { defaultStoreDir, PackageStore } from '../../src/registry/store.js';
import { REPO_ROOT } from '../support/vectors.js';

const HELLO = join(REPO_ROOT, 'examples', 'hello', 'hello.wasm');
let tmp: string;
let n = 0;
const freshStore = (opts?: ConstructorParameters<typeof PackageStore>[1]) => new PackageStore(join(tmp, `store-${++n}`), opts);
const code = (c: string) => (err: unknown) => err instanceof RegistryError && err.code === c;

async function packageDir(name: string, extra = ''): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(join(dir, 'data'), { recursive: true });
  await cp(HELLO, join(dir, 'main.wasm'));
  await writeFile(join(dir, 'Enarx.toml'), 'args = ["x"]\n');
  await writeFile(join(dir, 'data', 'greeting.txt'), `hello${extra}\n`);
  return dir;
}

/** Publishes a packed directory as `enarx package publish` would: blobs first, then the tag. */
async function publish(store: PackageStore, packed: PackedPackage, ref: string): Promise<void> {
  for (const l of packed.layers) await store.putBlobFromFile(l.path, l.descriptor);
  await store.putBlobBytes(packed.config.bytes, packed.config.descriptor);
  await store.putBlobBytes(packed.manifest, { digest: packed.manifestDigest });
  await store.tag(ref, packed.manifestDigest);
}

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'enarx-store-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

test('the store is ENARX_OCI_STORE, else under XDG_DATA_HOME, else ~/.local/share', () => {
  assert.equal(defaultStoreDir({ ENARX_OCI_STORE: '/s', XDG_DATA_HOME: '/x' }, () => '/h'), '/s');
  assert.equal(defaultStoreDir({ XDG_DATA_HOME: '/x' }, () => '/h'), '/x/enarx/oci');
  assert.equal(defaultStoreDir({ XDG_DATA_HOME: 'relative' }, () => '/h'), '/h/.local/share/enarx/oci');
  assert.equal(new PackageStore(undefined, { env: { ENARX_OCI_STORE: '/s' } }).root, '/s');
});

test('a published directory resolves, lists and unpacks to the same package', async () => {
  const store = freshStore();
  const dir = await packageDir('round');
  const packed = await packDirectory(dir, { env: {} });
  await publish(store, packed, 'hello:1');
  await store.tag('oci://localhost:5000/team/hello:1', packed.manifestDigest);
  assert.equal(await store.resolve('hello:1'), packed.manifestDigest);
  assert.equal(await store.resolve(`hello@${packed.manifestDigest}`), packed.manifestDigest);
  assert.equal(await store.resolve('hello:2'), undefined);
  const size = packed.manifest.length + packed.config.bytes.length + packed.layers.reduce((s, l) => s + l.descriptor.size, 0);
  assert.deepEqual(await store.list(), [
    { ref: 'hello:1', digest: packed.manifestDigest, size },
    { ref: 'oci://localhost:5000/team/hello:1', digest: packed.manifestDigest, size },
  ]);
  assert.equal((await stat(store.blobPath(packed.manifestDigest))).mode & 0o777, 0o600);
  assert.equal((await stat(store.root)).mode & 0o777, 0o700);

  const parsed = parsePackageManifest(await store.readBlob(packed.manifestDigest, MAX_MANIFEST_BYTES));
  parsePackageConfig(await store.readBlob(parsed.config.digest, 1 << 20), parsed);
  const out = join(tmp, 'round-out');
  await unpackToDirectory(parsed, (d) => store.blobPath(d), out);
  const [a, b] = await Promise.all([buildPackage(dir), buildPackage(out)]);
  assert.deepEqual({ ...b, wasm: Buffer.from(b.wasm) }, { ...a, wasm: Buffer.from(a.wasm) });

  assert.equal(await store.untag('hello:1'), true);
  assert.equal(await store.resolve('hello:1'), undefined);
  await assert.rejects(store.tag('hello:3', sha256(Buffer.from('absent'))), code('ERR_NOT_FOUND'));
  await assert.rejects(store.tag(`hello:3@${sha256(Buffer.from('other'))}`, packed.manifestDigest), code('ERR_DIGEST_MISMATCH'));
  await assert.rejects(store.tag('Bad Ref', packed.manifestDigest), code('ERR_REF'));
});

test('a blob that does not match what was asked for leaves nothing behind', async () => {
  const store = freshStore();
  const body = Buffer.from('layer bytes');
  const good = { digest: sha256(body), size: body.length };
  const leftovers = async () => [...(await readdir(join(store.root, 'blobs', 'sha256'))), ...(await readdir(join(store.root, 'tmp')))];
  await assert.rejects(store.putBlobFromStream(chunks('layer bytez'), good), code('ERR_DIGEST_MISMATCH'));
  await assert.rejects(store.putBlobFromStream(chunks('layer'), good), code('ERR_SIZE_MISMATCH'));
  // A stream longer than promised is cut off at once, not read to its end.
  let pulled = 0;
  const endless = (async function* () {
    for (;;) {
      pulled++;
      yield new Uint8Array(4096);
    }
  })();
  await assert.rejects(store.putBlobFromStream(endless, good), code('ERR_SIZE_MISMATCH'));
  assert.equal(pulled, 1);
  await assert.rejects(store.putBlobFromStream(chunks('layer ', new Uint8Array(0), 'bytes'), { ...good, size: 100 }), code('ERR_SIZE_MISMATCH'));
  assert.deepEqual(await leftovers(), []);
  assert.deepEqual(await store.putBlobFromStream(chunks('layer ', 'bytes'), good), good);
  assert.equal(await store.hasBlob(good.digest), true);
  assert.deepEqual(Buffer.from(await store.readBlob(good.digest, 100)), body);
});

test('reading a blob is bounded and checked', async () => {
  const store = freshStore();
  const { digest } = await store.putBlobBytes(Buffer.from('0123456789'));
  await assert.rejects(store.readBlob(digest, 9), code('ERR_TOO_LARGE'));
  await assert.rejects(store.readBlob(sha256(Buffer.from('x')), 100), code('ERR_NOT_FOUND'));
  await writeFile(store.blobPath(digest), '0123456780');
  await assert.rejects(store.readBlob(digest, 100), code('ERR_DIGEST_MISMATCH'));
  assert.throws(() => store.blobPath('sha256:../../etc'), TypeError);
});

test('gc removes only blobs no tag reaches, keeping signatures and young blobs', async () => {
  const later = Date.now() + 60_000;
  const store = freshStore({ now: () => later });
  const kept = await packDirectory(await packageDir('kept'), { env: {} });
  const dropped = await packDirectory(await packageDir('dropped', ' again'), { env: {} });
  await publish(store, kept, 'kept:1');
  await publish(store, dropped, 'dropped:1');
  await store.untag('dropped:1');
  // A signature manifest (cosign's tag scheme) whose layer is only reachable through it.
  const sigLayer = await store.putBlobBytes(Buffer.from('{"critical":{}}'));
  const sigManifest = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: sigLayer.digest, size: sigLayer.size }, layers: [{ digest: sigLayer.digest, size: sigLayer.size }] }));
  const sig = await store.putBlobBytes(sigManifest);
  await store.tag(`kept:${kept.manifestDigest.replace(':', '-')}.sig`, sig.digest);
  const loose = await store.putBlobBytes(Buffer.from('loose'));

  // Just written: inside the default grace period, nothing goes.
  assert.deepEqual(await freshStoreAt(store.root).gc(), { removedBlobs: 0, freedBytes: 0 });
  const unique = new Set([dropped.manifestDigest, dropped.config.descriptor.digest, ...dropped.layers.map((l) => l.descriptor.digest)]);
  for (const l of kept.layers) unique.delete(l.descriptor.digest); // main.wasm and Enarx.toml are shared
  const r = await store.gc({ graceMs: 1000 });
  assert.equal(r.removedBlobs, unique.size + 1);
  assert.ok(r.freedBytes > 0);
  for (const d of unique) assert.equal(await store.hasBlob(d), false, d);
  assert.equal(await store.hasBlob(loose.digest), false);
  const survivors = [kept.manifestDigest, kept.config.descriptor.digest, ...kept.layers.map((l) => l.descriptor.digest), sig.digest, sigLayer.digest];
  for (const d of survivors) assert.equal(await store.hasBlob(d), true, d);
  assert.deepEqual(await store.gc({ graceMs: 1000 }), { removedBlobs: 0, freedBytes: 0 });
});

function freshStoreAt(root: string): PackageStore {
  return new PackageStore(root);
}

test('concurrent taggers, in two processes and many promises, lose no tag', async () => {
  const store = freshStore();
  const { digest } = await store.putBlobBytes(Buffer.from('manifest'));
  const url = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'registry', 'store.js')).href;
  const child = (who: string) =>
    new Promise<number | null>((done) => {
      const script = `import { PackageStore } from ${JSON.stringify(url)};
        const s = new PackageStore(${JSON.stringify(store.root)});
        await Promise.all(Array.from({ length: 15 }, (_, i) => s.tag('${who}:t' + i, ${JSON.stringify(digest)})));`;
      spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' }).on('exit', done);
    });
  const mine = Array.from({ length: 20 }, (_, i) => store.tag(`here:t${i}`, digest));
  const codes = await Promise.all([child('one'), child('two'), ...mine]);
  assert.deepEqual(codes.slice(0, 2), [0, 0]);
  const refs = (await store.list()).map((e) => e.ref);
  assert.equal(refs.length, 50);
  for (const who of ['one', 'two', 'here']) assert.ok(refs.includes(`${who}:t14`), who);
  assert.deepEqual(await readdir(store.root).then((l) => l.filter((f) => f.startsWith('refs.json.'))), []);
});

test('a lock left by a dead or silent holder is broken; a live one makes the caller wait, then give up', async () => {
  const store = freshStore({ lockTimeoutMs: 300 });
  const { digest } = await store.putBlobBytes(Buffer.from('m'));
  const lock = join(store.root, 'refs.json.lock');
  const dead = await new Promise<number>((done) => {
    const c = spawn(process.execPath, ['-e', '']);
    c.on('exit', () => done(c.pid!));
  });
  await writeFile(lock, JSON.stringify({ pid: dead, host: hostname(), token: 'x' }));
  await store.tag('a:1', digest);
  await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'y' }));
  await utimes(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  await store.tag('a:2', digest);
  await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'z' }));
  await assert.rejects(store.tag('a:3', digest), code('ERR_STORE'));
  await rm(lock);
  assert.deepEqual((await store.list()).map((e) => e.ref), ['a:1', 'a:2']);
  await writeFile(join(store.root, 'refs.json'), '{"a:1": 5}');
  await assert.rejects(store.resolve('a:1'), code('ERR_STORE'));
});
