import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { KEEP_BUNDLE_FILES, keepBundleDir, measureBundle, runtimeMeasurement } from '../../src/runtime/measurement.js';
import { loadReferenceValues } from '../../src/runtime/reference-values.js';
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
    for (const f of KEEP_BUNDLE_FILES) {
      assert.equal(sha(readFileSync(join(out, f))), sha(readFileSync(join(keepBundleDir(), f))), `${f} differs between two builds`);
    }
    assert.deepEqual((await runtimeMeasurement(out)).measurement, (await runtimeMeasurement()).measurement);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the measurement covers the engine identity, the flags and every byte of the bundle', () => {
  const files = [Buffer.from('main'), Buffer.from('worker')];
  const base = Buffer.from(measureBundle('engine@1', '--no-liftoff', files)).toString('hex');
  assert.equal(base.length, 96);
  assert.notEqual(Buffer.from(measureBundle('engine@2', '--no-liftoff', files)).toString('hex'), base);
  assert.notEqual(Buffer.from(measureBundle('engine@1', '', files)).toString('hex'), base);
  assert.notEqual(Buffer.from(measureBundle('engine@1', '--no-liftoff', [Buffer.from('maim'), files[1]!])).toString('hex'), base);
  assert.notEqual(Buffer.from(measureBundle('engine@1', '--no-liftoff', [files[1]!, files[0]!])).toString('hex'), base);
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
