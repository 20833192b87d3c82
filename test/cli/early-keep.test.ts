/**
 * The keep the `enarx` launcher starts before the CLI's Node.js is up: it connects to a socket in
 * a private folder where the CLI listens once it is up, and the CLI adopts it
 * (src/keep/control.ts, src/cli/run-keep.ts).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { deployLocally } from '../../src/cli/run-deploy.js';
import { parseEarlyKeep, startLocalKeep } from '../../src/cli/run-keep.js';
import { planRun, readRunArgs } from '../../src/cli/run-plan.js';
import { HOST_GONE, openControl, parseControlArgs } from '../../src/keep/control.js';
import { keepEngine } from '../../src/runtime/engine.js';
import { keepBundleDir } from '../../src/runtime/measurement.js';
import { REPO_ROOT } from '../support/vectors.js';

const dirs: string[] = [];
const privateDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'enarx-keep.'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('keep arguments: none (fd 3) or --connect with an absolute socket path', () => {
  assert.deepEqual(parseControlArgs([]), { kind: 'fd3' });
  assert.deepEqual(parseControlArgs(['--connect', '/tmp/x/control']), { kind: 'connect', path: '/tmp/x/control' });
  assert.deepEqual(parseControlArgs(['--connect', '/tmp/x/control', '--parent', '4242']), { kind: 'connect', path: '/tmp/x/control', parent: 4242 });
  for (const bad of [
    ['--connect'],
    ['--connect', 'rel/path'],
    ['--connect', '/' + 'a'.repeat(120)],
    ['--fd', '4'],
    ['--listen', '/a'],
    ['--connect', '/a', 'extra'],
    ['--connect', '/a', '--parent'],
    ['--connect', '/a', '--parent', '0'],
    ['--connect', '/a', '--parent', '-1'],
    ['--connect', '/a', '--parent', '12x'],
    ['--connect', '/a', '--parent', '1', 'extra'],
  ]) {
    assert.throws(() => parseControlArgs(bad), /usage|--connect|--parent/, JSON.stringify(bad));
  }
});

test('a connecting keep waits for its host to listen, and gives up when nobody does', async () => {
  const path = join(privateDir(), 'control');
  const opened = openControl({ kind: 'connect', path }, 5000);
  // Nobody listens yet: the keep tries again until someone does.
  await sleep(50);
  const server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  server.listen(path);
  const [{ socket, reads }, host] = await Promise.all([opened, accepted]);
  server.close();
  host.write('ping');
  const [data] = (await new Promise((resolve) => reads.listen((d) => resolve([Buffer.from(d)])))) as [Buffer];
  assert.equal(String(data), 'ping');
  host.destroy();
  socket.destroy();

  const lonely = join(privateDir(), 'control');
  await assert.rejects(openControl({ kind: 'connect', path: lonely }, 100), /no host listened within 100 ms/);
  assert.equal(existsSync(dirname(lonely)), false, 'the empty private folder goes with it');
});

/** Leaves a socket at `path` that nobody listens on: a host that listened and was killed. */
function staleSocket(path: string): void {
  const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(lstatSync(path).isSocket());
}

test('a connecting keep whose parent is not the one named gives up at once, and takes a dead host\'s socket and its folder', async () => {
  const path = join(privateDir(), 'control');
  staleSocket(path);
  // (A keep that waited would fail after the 5 s with another error.)
  await assert.rejects(openControl({ kind: 'connect', path, parent: process.ppid + 1 }, 5000), (err: NodeJS.ErrnoException) => err.code === HOST_GONE);
  assert.equal(existsSync(dirname(path)), false);

  // Its parent is who it names: it waits, and at the end leaves the dead host's socket behind no more than its folder.
  const waited = join(privateDir(), 'control');
  staleSocket(waited);
  await assert.rejects(openControl({ kind: 'connect', path: waited, parent: process.ppid }, 100), /no host listened within 100 ms/);
  assert.equal(existsSync(dirname(waited)), false);
});

test('ENARX_EARLY_KEEP is taken only in its own shape, naming a folder the launcher made', () => {
  assert.deepEqual(parseEarlyKeep('123:/tmp/enarx-keep.AbC123:/x/dist/bundles/b'), { pid: 123, dir: '/tmp/enarx-keep.AbC123', bundleDir: '/x/dist/bundles/b' });
  for (const bad of [undefined, '', 'x:/tmp/enarx-keep.AbC123:/b', '0:/tmp/enarx-keep.AbC123:/b', '1:/home/me:/b', '1:tmp/enarx-keep.AbC123:/b', '1:/tmp/enarx-keep.AbC123:rel', '1:/tmp/enarx-keep.AbC123']) {
    assert.equal(parseEarlyKeep(bad), undefined, String(bad));
  }
});

test('an adopted keep runs its workload even when its worker was ready long before the host came', { skip: keepEngine().source !== 'pinned' && 'no pinned engine', timeout: 30_000 }, async () => {
  const dir = privateDir();
  const bundleDir = keepBundleDir();
  const keep = spawn(keepEngine().path, [join(bundleDir, 'keep.mjs'), '--connect', join(dir, 'control'), '--parent', String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'], env: {} });
  let stdout = '';
  keep.stdout.on('data', (d) => (stdout += d));
  keep.stderr.resume();
  try {
    // Long enough for the worker thread to boot and report before anyone listens to it.
    await sleep(600);
    process.env['ENARX_EARLY_KEEP'] = `${keep.pid}:${dir}:${bundleDir}`;
    const local = await startLocalKeep();
    assert.equal(process.env['ENARX_EARLY_KEEP'], undefined, 'the variable is not passed on');
    assert.equal(local.process.pid, keep.pid, 'the launcher-started keep was adopted');
    assert.equal(existsSync(dir), false, 'the private folder is removed');
    const plan = await planRun(readRunArgs([join(REPO_ROOT, 'examples', 'hello', 'hello.wasm')]));
    const out: Buffer[] = [];
    const result = await deployLocally(plan, local, undefined, { input: async function* () {}, onOutput: (_, d) => void out.push(Buffer.from(d)) });
    assert.deepEqual(result.outcome, { type: 'exit', code: 0 });
    await new Promise((resolve) => (keep.exitCode !== null ? resolve(null) : keep.once('close', resolve)));
    // The output came sealed through the channel; the keep's own stdout carries nothing.
    assert.equal(Buffer.concat(out).toString(), 'Hello from inside a keep!\n');
    assert.equal(stdout, '');
  } finally {
    delete process.env['ENARX_EARLY_KEEP'];
    keep.kill('SIGKILL');
  }
});

test('a keep that is not this process\'s child is never adopted nor killed', async () => {
  const dir = privateDir();
  // A pid this process did not spawn (its parent's).
  process.env['ENARX_EARLY_KEEP'] = `${process.ppid}:${dir}:${keepBundleDir()}`;
  try {
    const local = await startLocalKeep();
    assert.notEqual(local.process.pid, process.ppid);
    local.process.kill();
    assert.equal(existsSync(dir), true, 'a folder that is not the adopted keep\'s is left alone');
  } finally {
    delete process.env['ENARX_EARLY_KEEP'];
  }
});

test('a child that is not a keep launched from the named bundle and folder is stopped, not adopted', async () => {
  const dir = privateDir();
  const impostor = spawn('sleep', ['30'], { stdio: 'ignore' });
  const gone = new Promise((resolve) => impostor.once('exit', (_code, signal) => resolve(signal)));
  process.env['ENARX_EARLY_KEEP'] = `${impostor.pid}:${dir}:${keepBundleDir()}`;
  try {
    const local = await startLocalKeep();
    assert.notEqual(local.process.pid, impostor.pid);
    local.process.kill();
    assert.equal(await gone, 'SIGKILL');
    assert.equal(existsSync(dir), false, 'the folder the launcher made for it goes too');
  } finally {
    delete process.env['ENARX_EARLY_KEEP'];
    impostor.kill('SIGKILL');
  }
});
