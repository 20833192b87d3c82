import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { KEEP_ENTRY_FILES, keepBundleDir, keepBundleFiles, measureBundle, runtimeMeasurement } from '../../src/runtime/measurement.js';
import { loadReferenceValues } from '../../src/attestation/reference-values.js';
import { REPO_ROOT } from '../support/vectors.js';

const sha = (b: Uint8Array): string => createHash('sha384').update(b).digest('hex');

test('the keep runtime bundle is reproducible: the same source gives the same bytes', async () => {
  const esbuild = await import('esbuild');
  const out = mkdtempSync(join(tmpdir(), 'enarx-bundle-'));
  try {
    // Bundle the compiled keep sources again, the way scripts/build.mjs does, into a fresh folder.
    const { buildKeepBundle } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'keep-bundle.mjs')).href)) as {
      buildKeepBundle: (e: typeof esbuild, root: string, out: string) => Promise<unknown>;
    };
    await buildKeepBundle(esbuild, REPO_ROOT, out);
    const names = keepBundleFiles(keepBundleDir());
    for (const entry of KEEP_ENTRY_FILES) assert.ok(names.includes(entry), `${entry} is in the bundle`);
    assert.deepEqual(keepBundleFiles(out), names, 'the same files (chunk names are content hashes)');
    for (const f of names) {
      assert.equal(sha(readFileSync(join(out, f))), sha(readFileSync(join(keepBundleDir(), f))), `${f} differs between two builds`);
    }
    assert.deepEqual((await runtimeMeasurement(out)).measurement, (await runtimeMeasurement()).measurement);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the measurement covers the engine identity, the flags, and every name and byte of the bundle', () => {
  const files = [
    { name: 'keep.mjs', bytes: Buffer.from('main') },
    { name: 'keep-worker.mjs', bytes: Buffer.from('worker') },
  ];
  const m = (engine: string, flags: string, f: typeof files): string => Buffer.from(measureBundle(engine, flags, f)).toString('hex');
  const base = m('engine@1', '--no-liftoff', files);
  assert.equal(base.length, 96);
  assert.notEqual(m('engine@2', '--no-liftoff', files), base);
  assert.notEqual(m('engine@1', '', files), base);
  assert.notEqual(m('engine@1', '--no-liftoff', [{ name: 'keep.mjs', bytes: Buffer.from('maim') }, files[1]!]), base);
  assert.notEqual(m('engine@1', '--no-liftoff', [files[1]!, files[0]!]), base);
  assert.notEqual(m('engine@1', '--no-liftoff', [{ ...files[0]!, name: 'keep2.mjs' }, files[1]!]), base, 'names count');
  assert.notEqual(m('engine@1', '--no-liftoff', [...files, { name: 'keep-x.mjs', bytes: Buffer.alloc(0) }]), base, 'an extra file counts');
});

test('the build wrote reference values naming this release on sim, and enarx measure prints it', async () => {
  const m = Buffer.from((await runtimeMeasurement()).measurement).toString('hex');
  const values = await loadReferenceValues();
  const { VERSION } = await import('../../src/version.js');
  assert.deepEqual(values.filter((v) => v.measurement === m).map((v) => [v.runtime, v.release, v.backend]), [['enarx-ts', VERSION, 'sim']]);
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), 'measure', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { measurement: string }).measurement, m);
  const bad = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), 'measure', '--backend', 'snp'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /\[ERR_BACKEND_UNSUPPORTED\]/);
});

test('the SDK is importable by its package name', async () => {
  const sdk = await import('enarx-ts');
  for (const name of ['deploy', 'HttpHost', 'openEmbeddedHost', 'buildPackage', 'verifyKeep', 'verifyEvidence', 'loadReferenceValues']) {
    assert.equal(typeof (sdk as Record<string, unknown>)[name], 'function', name);
  }
});

test('package.json and src/version.ts agree on the release', async () => {
  const { VERSION } = await import('../../src/version.js');
  assert.equal((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version, VERSION);
});
