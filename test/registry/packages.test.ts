/**
 * Packages end to end against a real registry (CNCF distribution on loopback) and the local
 * store: publish, fetch, info, sign, verify, a tampered blob, a tag moved after resolving, deploy
 * and run from a reference with `--verify-key`, unsigned and wrongly signed packages refused
 * before anything reaches a host.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { collectGarbage, fetchPackage, listPackages, packageInfo, publishPackage, resolveForDeploy, signPackage, verifyPackage } from '../../src/registry/packages.js';
import type { PackageContext } from '../../src/registry/packages.js';
import { PackageStore } from '../../src/registry/store.js';
import { SKIP, startRegistry } from '../support/registry.js';
import type { TestRegistry } from '../support/registry.js';
import { REPO_ROOT } from '../support/vectors.js';
import { tempDir } from '../steward/support.js';

const T = { timeout: 60_000 };
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const QUIET = { start: () => {}, advance: () => {}, end: () => {} };
const HELLO = join(REPO_ROOT, 'examples', 'hello', 'hello.wasm');

let registry: TestRegistry;
let ctx: PackageContext;
let app: string;
let keys: { key: string; pub: string; otherPub: string };

/** A package folder: hello.wasm as main.wasm, an Enarx.toml, and a data file. */
function packageDir(): string {
  const dir = tempDir('pkg-src');
  cpSync(HELLO, join(dir, 'main.wasm'));
  writeFileSync(join(dir, 'Enarx.toml'), 'args = ["--from-package"]\n');
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'greeting.txt'), 'hello\n');
  return dir;
}

function keyPair(dir: string, name: string): { key: string; pub: string } {
  const key = join(dir, `${name}.pem`);
  const pub = join(dir, `${name}.pub.pem`);
  assert.equal(spawnSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]).status, 0);
  assert.equal(spawnSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]).status, 0);
  return { key, pub };
}

before(async () => {
  if (SKIP || !HAVE_OPENSSL) return;
  registry = await startRegistry();
  ctx = { access: {}, progress: QUIET, store: new PackageStore(tempDir('pkg-store')) };
  app = packageDir();
  const dir = tempDir('pkg-keys');
  const a = keyPair(dir, 'signer');
  keys = { ...a, otherPub: keyPair(dir, 'other').pub };
});
after(async () => {
  await registry?.stop();
});

describe('packages', { skip: SKIP || (!HAVE_OPENSSL && 'openssl is not installed') }, () => {
  test('publish, info, fetch: the same directory gives the same digest, and comes back whole', T, async () => {
    const ref = `oci://${registry.registry}/apps/hello:v1`;
    const first = await publishPackage(ref, app, ctx);
    assert.match(first.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await publishPackage(ref, packageDir(), ctx)).digest, first.digest, 'reproducible');
    const info = await packageInfo(ref, ctx);
    assert.equal(info.digest, first.digest);
    assert.deepEqual(info.layers.map((l) => l.title), ['main.wasm', 'Enarx.toml', 'data/greeting.txt']);
    assert.equal(info.signatures, 0);
    const out = join(tempDir('pkg-out'), 'app');
    await fetchPackage(`oci://${registry.registry}/apps/hello@${first.digest}`, out, ctx);
    assert.deepEqual(readFileSync(join(out, 'main.wasm')), readFileSync(HELLO));
    assert.equal(readFileSync(join(out, 'data', 'greeting.txt'), 'utf8'), 'hello\n');
  });

  test('sign and verify: cosign layout in the registry; another key, or none, is refused', T, async () => {
    const ref = `oci://${registry.registry}/apps/signed:v1`;
    const { digest } = await publishPackage(ref, app, ctx);
    await assert.rejects(verifyPackage(ref, [readFileSync(keys.pub, 'utf8')], ctx), { code: 'ERR_UNSIGNED' });
    const signed = await signPackage(ref, readFileSync(keys.key, 'utf8'), ctx);
    assert.equal(signed.signatureRef, `oci://${registry.registry}/apps/signed:sha256-${digest.slice(7)}.sig`);
    await signPackage(ref, readFileSync(keys.key, 'utf8'), ctx);
    const sig = await fetch(`${registry.url}/v2/apps/signed/manifests/sha256-${digest.slice(7)}.sig`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const manifest = (await sig.json()) as { layers: { mediaType: string; annotations: Record<string, string> }[] };
    assert.equal(manifest.layers.length, 1, 'the same key and payload are not added twice');
    assert.equal(manifest.layers[0]!.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    assert.ok(manifest.layers[0]!.annotations['dev.cosignproject.cosign/signature']);
    assert.equal((await verifyPackage(ref, [readFileSync(keys.pub, 'utf8')], ctx)).digest, digest);
    await assert.rejects(verifyPackage(ref, [readFileSync(keys.otherPub, 'utf8')], ctx), { code: 'ERR_SIGNATURE' });
  });

  test('a signature is for a digest, not a tag: a tag moved to other content is unsigned', T, async () => {
    const ref = `oci://${registry.registry}/apps/moved:v1`;
    await publishPackage(ref, app, ctx);
    await signPackage(ref, readFileSync(keys.key, 'utf8'), ctx);
    const other = packageDir();
    writeFileSync(join(other, 'data', 'greeting.txt'), 'something else\n');
    await publishPackage(ref, other, ctx);
    await assert.rejects(resolveForDeploy(ref, [readFileSync(keys.pub, 'utf8')], ctx), { code: 'ERR_UNSIGNED' });
  });

  test('a tampered blob is refused, and so is a package the registry does not have', T, async () => {
    // A registry of its own: every blob it stores is altered below.
    const own = await startRegistry();
    const ref = `oci://${own.registry}/apps/tampered:v1`;
    await publishPackage(ref, app, ctx);
    // Flip a byte of every stored blob file of this registry: whatever is pulled next is wrong.
    const blobs = join(own.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256');
    for (const prefix of readdirSync(blobs)) {
      for (const hex of readdirSync(join(blobs, prefix))) {
        const file = join(blobs, prefix, hex, 'data');
        const bytes = readFileSync(file);
        if (bytes.length > 1000) {
          bytes[100]! ^= 0xff;
          writeFileSync(file, bytes);
        }
      }
    }
    const fresh: PackageContext = { ...ctx, store: new PackageStore(tempDir('pkg-store2')) };
    try {
      await assert.rejects(fetchPackage(ref, join(tempDir('pkg-out'), 'x'), fresh), { code: 'ERR_DIGEST_MISMATCH' });
      await assert.rejects(packageInfo(`oci://${own.registry}/apps/none:v1`, ctx), { code: 'ERR_NOT_FOUND' });
    } finally {
      await own.stop();
    }
  });

  test('the local store: publish NAME:TAG with no registry, ls, sign, verify, gc', T, async () => {
    const local: PackageContext = { ...ctx, store: new PackageStore(tempDir('pkg-local')) };
    const { digest } = await publishPackage('hello:v2', app, local);
    assert.deepEqual((await listPackages(local)).map((p) => [p.ref, p.digest]), [['hello:v2', digest]]);
    await signPackage('hello:v2', readFileSync(keys.key, 'utf8'), local);
    assert.equal((await verifyPackage('hello:v2', [readFileSync(keys.pub, 'utf8')], local)).digest, digest);
    const resolved = await resolveForDeploy('hello:v2', [readFileSync(keys.pub, 'utf8')], local);
    try {
      assert.equal(resolved.signer?.length, 64);
      assert.deepEqual(readFileSync(join(resolved.dir, 'main.wasm')), readFileSync(HELLO));
    } finally {
      await resolved.cleanup();
    }
    assert.equal((await collectGarbage(local)).removedBlobs, 0, 'everything is reachable from a tag');
  });

  test('enarx run REF --verify-key runs a signed package, and refuses one signed by another key', T, async () => {
    const ref = `oci://${registry.registry}/apps/run:v1`;
    await publishPackage(ref, app, ctx);
    await signPackage(ref, readFileSync(keys.key, 'utf8'), ctx);
    const env = { ...process.env, ENARX_OCI_STORE: tempDir('pkg-cli-store') };
    const run = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.once('close', (status) => resolve({ status, stdout, stderr }));
      });
    const folder = await run('run', app);
    assert.equal(folder.status, 0, folder.stderr);
    assert.match(folder.stdout, /Hello from inside a keep!/, 'a package folder runs as it is');
    const ok = await run('run', '--verify-key', keys.pub, ref);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Hello from inside a keep!/);
    const { digest } = await packageInfo(ref, ctx);
    const byDigest = await run('run', '--verify-key', keys.pub, `oci://${registry.registry}/apps/run@${digest}`);
    assert.equal(byDigest.status, 0, byDigest.stderr);
    assert.match(byDigest.stdout, /Hello from inside a keep!/);
    const wrong = await run('run', '--verify-key', keys.otherPub, ref);
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /ERR_SIGNATURE/);
    const unsigned = `oci://${registry.registry}/apps/unsigned:v1`;
    await publishPackage(unsigned, app, ctx);
    const refused = await run('deploy', '--allow-sim', '--verify-key', keys.pub, unsigned);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /ERR_UNSIGNED/);
  });
});
