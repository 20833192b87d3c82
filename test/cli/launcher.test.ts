/**
 * The `enarx` command (bin/enarx): it runs the CLI on the pinned engine, except `enarx host`,
 * which runs on the Node.js from PATH (its SQLite module's ABI); ENARX_CLI_NODE overrides both.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ENGINE_ENV, keepEngine } from '../../src/runtime/engine.js';
import { REPO_ROOT } from '../support/vectors.js';

const LAUNCHER = join(REPO_ROOT, 'bin', 'enarx');
const HELLO = join(REPO_ROOT, 'examples', 'hello', 'hello.wasm');
const engine = keepEngine();
const skip = engine.source !== 'pinned' ? 'no pinned engine on this platform' : false;

const versionOf = (node: string): string => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
/** Runs the launcher with tracing on; returns its result and the Node.js version the CLI ran on. */
function launch(file: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { status: number | null; stdout: string; stderr: string; node: string | undefined } {
  const r = spawnSync(file, args, { encoding: 'utf8', env: { ...process.env, ENARX_TRACE: '1', ...env }, ...(cwd ? { cwd } : {}) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, node: /cli on Node\.js (v[\d.]+)/.exec(r.stderr)?.[1] };
}

test('enarx run runs the CLI on the pinned engine, byte-exact output and exit status', { skip }, () => {
  const r = launch(LAUNCHER, ['run', '--env', 'EXIT_STATUS=7', HELLO]);
  assert.equal(r.status, 7, r.stderr);
  assert.equal(r.stdout, 'Hello from inside a keep!\nenv EXIT_STATUS=7\n');
  assert.equal(r.node, versionOf(engine.path));
  assert.match(r.stderr, /enarx-trace [\d.]+ keep adopted/, 'the keep the launcher started was used');
});

test('enarx host runs on the Node.js from PATH; ENARX_CLI_NODE picks another', { skip }, () => {
  const host = launch(LAUNCHER, ['host', '--help']);
  assert.equal(host.status, 0, host.stderr);
  assert.equal(host.node, versionOf('node'));
  const forced = launch(LAUNCHER, ['--version'], { ENARX_CLI_NODE: process.execPath });
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(forced.node, process.version);
});

test('the launcher finds its installation from a relative path, and from sh with a bare name', { skip }, () => {
  const bin = join(REPO_ROOT, 'bin');
  const dotted = launch('./enarx', ['run', HELLO], {}, bin);
  assert.equal(dotted.status, 0, dotted.stderr);
  assert.equal(dotted.stdout, 'Hello from inside a keep!\n');
  assert.equal(dotted.node, versionOf(engine.path));
  const bare = launch('sh', ['enarx', '--version'], {}, bin);
  assert.equal(bare.status, 0, bare.stderr);
  assert.equal(bare.node, versionOf(engine.path));
});

test('the launcher works through a symlink, as npm installs it (node_modules/.bin/enarx)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'enarx-bin-'));
  try {
    symlinkSync(LAUNCHER, join(dir, 'enarx'));
    const r = launch(join(dir, 'enarx'), ['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^enarx \d+\.\d+\.\d+/);
    assert.equal(r.node, versionOf(engine.path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('enarx run with stdin closed by the caller (<&-): the launcher goes on, the workload reads an empty stdin', { skip }, () => {
  const cat = join(REPO_ROOT, 'test', 'workloads', 'bin', 'cat.wasm');
  const r = spawnSync('sh', ['-c', 'exec "$0" run "$1" <&-', LAUNCHER, cat], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const piped = spawnSync(LAUNCHER, ['run', cat], { encoding: 'utf8', input: 'through the launcher\n' });
  assert.equal(piped.stdout, 'through the launcher\n');
});

test('the launcher gives the keep engine ENGINE_ENV, and adds it to the CLI\'s own environment', () => {
  const tunables = /^engine_tunables=(\S+)$/m.exec(readFileSync(LAUNCHER, 'utf8'))?.[1];
  assert.deepEqual({ GLIBC_TUNABLES: tunables }, ENGINE_ENV, 'bin/enarx and src/runtime/engine.ts name the same environment');
  const dir = mkdtempSync(join(tmpdir(), 'enarx-launcher-env-'));
  try {
    const fake = join(dir, 'node');
    writeFileSync(fake, '#!/bin/sh\nprintf "%s" "$GLIBC_TUNABLES"\n');
    chmodSync(fake, 0o755);
    const mine = spawnSync(LAUNCHER, ['--version'], { encoding: 'utf8', env: { ...process.env, ENARX_CLI_NODE: fake, GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' } });
    assert.equal(mine.stdout, `glibc.malloc.arena_max=2:${ENGINE_ENV.GLIBC_TUNABLES}`, 'the user\'s tunables are kept');
    const none = spawnSync(LAUNCHER, ['--version'], { encoding: 'utf8', env: { ...process.env, ENARX_CLI_NODE: fake, GLIBC_TUNABLES: '' } });
    assert.equal(none.stdout, ENGINE_ENV.GLIBC_TUNABLES);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The processes whose command line names `dir` (a keep started with a folder in it). */
function processesNaming(dir: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test('a run that fails before its keep is adopted leaves no keep and no folder behind', { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'enarx-tmp-'));
  try {
    for (const args of [['run', join(tmp, 'missing.wasm')], ['run', '--no-such-option', HELLO]]) {
      const r = spawnSync(LAUNCHER, args, { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp }, timeout: 8000 });
      assert.notEqual(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /enarx keep:/);
      assert.deepEqual(readdirSync(tmp), [], `${args.join(' ')}: the keep's folder is removed`);
      assert.deepEqual(processesNaming(tmp), [], `${args.join(' ')}: the keep is gone`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a CLI that cannot start at all: its keep leaves at once, quietly, and takes its folder', { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'enarx-tmp-'));
  try {
    // The engine refuses this option before any of the CLI runs. The launcher's keep inherited
    // stderr, so spawnSync returns only once the keep has left too (it would wait 10 s for a host).
    const r = spawnSync(LAUNCHER, ['run', HELLO], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp, NODE_OPTIONS: '--no-such-option-for-enarx' }, timeout: 8000 });
    assert.equal(r.error, undefined, 'the keep did not hold the command');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--no-such-option-for-enarx/);
    assert.doesNotMatch(r.stderr, /enarx keep:/);
    assert.deepEqual(readdirSync(tmp), []);
    assert.deepEqual(processesNaming(tmp), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a $TMPDIR that is missing, or too long for a socket path: the CLI starts the keep itself, saying and leaving nothing', { skip }, () => {
  const base = mkdtempSync(join(tmpdir(), 'enarx-tmp-'));
  // A socket's path has room for ~100 bytes: this folder's keep folder and socket would not fit.
  const long = join(base, 'x'.repeat(Math.max(1, 100 - base.length)));
  mkdirSync(long);
  try {
    for (const tmp of [join(base, 'missing'), long]) {
      const r = launch(LAUNCHER, ['run', HELLO], { TMPDIR: tmp });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'Hello from inside a keep!\n');
      assert.match(r.stderr, /enarx-trace [\d.]+ keep spawned/, tmp);
      assert.doesNotMatch(r.stderr, /mktemp|enarx keep:/);
    }
    assert.deepEqual(readdirSync(long), []);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
