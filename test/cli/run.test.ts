import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../support/vectors.js';
import { buildModule } from '../support/wasm.js';

const ENARX = join(REPO_ROOT, 'bin', 'enarx.js');
let dir: string;

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `stdin`: its input (default empty), or `closed` for none at all. */
function enarx(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string | 'closed' } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENARX, ...args], { env: opts.env ?? process.env, stdio: [opts.stdin === 'closed' ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin?.end(opts.stdin ?? '');
  });
}

function write(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const PROC_EXIT = { module: 'wasi_snapshot_preview1', name: 'proc_exit', params: 1, results: 0 };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'enarx-run-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('exit status is the workload exit code', async () => {
  // _start: i32.const 42; call $proc_exit
  const m = write('exit42.wasm', buildModule([{ name: '_start', body: [0x41, 42, 0x10, 0] }], { memoryPages: 1, imports: [PROC_EXIT] }));
  const r = await enarx(['run', m]);
  assert.equal(r.status, 42);
  assert.equal(r.stderr, '');
});

test('a trap exits 134 with one line naming the trap and the function', async () => {
  const m = write('trap.wasm', buildModule([{ name: '_start', body: [0x10, 1] }, { name: 'crash_here', body: [0x00], export: false }], { memoryPages: 1 }));
  const r = await enarx(['run', m]);
  assert.equal(r.status, 134);
  assert.match(r.stderr, /^enarx: wasm trap: unreachable in function 'crash_here' \[ERR_TRAP\]\n$/);
});

test('an infinite loop is stopped by --timeout with exit 124', async () => {
  const m = write('loop.wasm', buildModule([{ name: '_start', body: [0x03, 0x40, 0x0c, 0, 0x0b] }], { memoryPages: 1 }));
  const r = await enarx(['run', '--timeout', '300ms', m]);
  assert.equal(r.status, 124);
  assert.match(r.stderr, /ERR_TIMEOUT/);
});

test('a module that needs more memory than --max-memory is refused before it runs', async () => {
  const m = write('big.wasm', buildModule([{ name: '_start', body: [] }], { memoryPages: 2048 }));
  const r = await enarx(['run', '--max-memory', '64MiB', m]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /needs 128 MiB of memory.*\[ERR_MEMORY_LIMIT\]/);
  assert.equal((await enarx(['run', '--max-memory', '256MiB', m])).status, 0);
});

test('errors are one clear line, or JSON with --json, without a stack trace', async () => {
  const notWasm = write('not.wasm', 'hello');
  const badImport = write('imp.wasm', buildModule([{ name: '_start', body: [] }], {
    memoryPages: 1,
    imports: [{ module: 'env', name: 'evil', params: 0, results: 0 }],
  }));
  const noStart = write('nostart.wasm', buildModule([{ name: 'main', body: [] }], { memoryPages: 1 }));
  const cases: [string[], RegExp, number][] = [
    [['run', notWasm], /\[ERR_MODULE_INVALID\]/, 1],
    [['run', badImport], /imports function 'env::evil'.*\[ERR_MODULE_IMPORT\]/, 1],
    [['run', noStart], /no _start.*\[ERR_MODULE_NO_START\]/, 1],
    [['run', join(dir, 'missing.wasm')], /\[ERR_MODULE_NOT_FOUND\]/, 1],
    [['run', '--dir', join(dir, 'nope') + '::/x', notWasm], /\[ERR_DIR_NOT_FOUND\]/, 1],
    [['run', '--frobnicate', notWasm], /unknown option '--frobnicate' \[ERR_USAGE\]/, 2],
    [['run', '--backend', 'quantum', notWasm], /\[ERR_BACKEND_UNAVAILABLE\]/, 1],
    [['run', '--max-memory', 'lots', notWasm], /\[ERR_USAGE\]/, 2],
  ];
  for (const [args, re, status] of cases) {
    const r = await enarx(args);
    assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const j = await enarx(['run', '--json', notWasm]);
  const parsed = JSON.parse(j.stderr) as { error: { code: string; message: string } };
  assert.equal(parsed.error.code, 'ERR_MODULE_INVALID');
});

test('the host environment never reaches the workload', async () => {
  // environ_sizes_get(count=@0, size=@4); proc_exit(load @0)  → exits with the variable count
  const m = write('envcount.wasm', buildModule(
    [{ name: '_start', body: [0x41, 0, 0x41, 4, 0x10, 0, 0x1a, 0x41, 0, 0x28, 2, 0, 0x10, 1] }],
    { memoryPages: 1, imports: [{ module: 'wasi_snapshot_preview1', name: 'environ_sizes_get', params: 2, results: 1 }, PROC_EXIT] },
  ));
  const env = { ...process.env, ENARX_TEST_SECRET: 'x', HOME: '/root' };
  assert.equal((await enarx(['run', m], { env })).status, 0);
  assert.equal((await enarx(['run', '--env', 'A=1', '--env', 'B=2', m], { env })).status, 2);
});

test('an attested keep whose measurement is not accepted never gets the workload', async () => {
  const m = write('exit7.wasm', buildModule([{ name: '_start', body: [0x41, 7, 0x10, 0] }], { memoryPages: 1, imports: [PROC_EXIT] }));
  const empty = write('no-values.json', JSON.stringify({ version: 1, values: [] }));
  const refused = await enarx(['run', '--backend', 'sim', '--reference-values', empty, m]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /not in the reference values.*\[ERR_MEASUREMENT\]/);
  // The installation's own reference values accept it, and the workload runs.
  assert.equal((await enarx(['run', '--backend', 'sim', m])).status, 7);
  const bad = write('bad-values.json', '{"version":2}');
  assert.match((await enarx(['run', '--backend', 'sim', '--reference-values', bad, m])).stderr, /\[ERR_REFERENCE_VALUES\]/);
});

test('with no attested backend usable, run says why each is unavailable instead of advising --insecure-nil', async () => {
  const hello = join(REPO_ROOT, 'test', 'workloads', 'bin', 'hello.wasm');
  const r = await enarx(['run', hello], { env: { ...process.env, ENARX_STATE_DIR: '/etc/passwd/x' } });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /no attested backend is available here \(.*sim: cannot create the state directory \/etc\/passwd\/x\/sim: ENOTDIR/);
  assert.match(r.stderr, /--backend nil/);
  assert.doesNotMatch(r.stderr, /insecure-nil/);
  assert.match(r.stderr, /\[ERR_BACKEND_UNAVAILABLE\]/);
});

test('a keep engine that cannot start is a clear error, not a crash', async () => {
  const hello = join(REPO_ROOT, 'test', 'workloads', 'bin', 'hello.wasm');
  const r = await enarx(['run', hello], { env: { ...process.env, ENARX_KEEP_ENGINE: join(dir, 'no-such-engine') } });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^enarx: .*the keep engine could not start: spawn .*no-such-engine ENOENT \[ERR_KEEP_CRASHED\]/);
  assert.doesNotMatch(r.stderr, /node:internal|at .*\(node:/);
});

test('stdin closed by the caller is an empty stdin for the workload', async () => {
  const cat = join(REPO_ROOT, 'test', 'workloads', 'bin', 'cat.wasm');
  const r = await enarx(['run', cat], { stdin: 'closed' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
});

test('the engine strategy follows the code size, and both compute the same', async () => {
  // $iterate(n, acc): while n: acc = $step(acc); n -= 1.  $step(x) = 3x + 1.  _start exits acc & 255.
  const iterate = [0x02, 0x40, 0x03, 0x40, 0x20, 0, 0x45, 0x0d, 1, 0x20, 1, 0x10, 3, 0x21, 1, 0x20, 0, 0x41, 1, 0x6b, 0x21, 0, 0x0c, 0, 0x0b, 0x0b, 0x20, 1];
  const funcs = (padBytes: number) => [
    { name: '_start', body: [0x41, 0xc0, 0x8d, 0xb7, 0x01, 0x41, 0, 0x10, 2, 0x41, 0xff, 0x01, 0x71, 0x10, 0] }, // iterate(3000000, 0)
    { name: 'iterate', params: 2, results: 1, body: iterate, export: false },
    { name: 'step', params: 1, results: 1, body: [0x20, 0, 0x41, 3, 0x6c, 0x41, 1, 0x6a], export: false },
    { name: 'pad', body: new Array<number>(padBytes).fill(0x01), export: false },
  ];
  let acc = 0;
  for (let i = 0; i < 3_000_000; i++) acc = (Math.imul(acc, 3) + 1) | 0;
  const env = { ...process.env, ENARX_TRACE: '1' };
  for (const [pad, strategy] of [[0, 'optimizing'], [300 * 1024, 'tiered']] as const) {
    const m = write(`strategy-${strategy}.wasm`, buildModule(funcs(pad), { memoryPages: 1, imports: [PROC_EXIT] }));
    const r = await enarx(['run', m], { env });
    assert.equal(r.status, acc & 255, r.stderr);
    assert.match(r.stderr, new RegExp(`keep-trace [\\d.]+ compile \\(${strategy}\\)`));
  }
});

test('the reader of the output goes away (enarx run prog | head): the run ends with 141, saying nothing', { timeout: 30_000 }, async () => {
  const endless = join(REPO_ROOT, 'test', 'workloads', 'bin', 'output.wasm');
  const child = spawn(process.execPath, [ENARX, 'run', endless, String(2 ** 50)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // Read the first piece, then close our end, as `head` does.
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.stdout.destroy();
  const status = await new Promise((resolve) => child.once('close', resolve));
  assert.equal(status, 141);
  assert.equal(stderr, '');
});

test('output that cannot be written (stdout on a full disk) ends the run with a clear error', { skip: !existsSync('/dev/full') && 'no /dev/full' }, async () => {
  const out = openSync('/dev/full', 'w');
  try {
    const child = spawn(process.execPath, [ENARX, 'run', join(REPO_ROOT, 'test', 'workloads', 'bin', 'output.wasm'), '100000'], { stdio: ['ignore', out, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const status = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(status, 1);
    assert.match(stderr, /^enarx: cannot write the workload's stdout: ENOSPC.*\[ERR_OUTPUT_WRITE\]\n$/);
  } finally {
    closeSync(out);
  }
});

test('a workload that stops reading stdin early: the CLI leaves at once, with the pipe still open, by its event loop running dry', async () => {
  const readOnce = join(REPO_ROOT, 'test', 'workloads', 'bin', 'read_once.wasm');
  const child = spawn(process.execPath, [ENARX, 'run', readOnce], { env: { ...process.env, ENARX_TRACE: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  // The writer keeps the pipe open until the CLI has gone: a read still pending there must not
  // hold it (bin/enarx.js would leave by process.exit after its grace, and say so).
  child.stdin.write('ping\n');
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdin.destroy();
  assert.equal(status, 5, stderr);
  assert.equal(stdout, 'ping\n');
  assert.doesNotMatch(stderr, /forced exit/);
});
