#!/usr/bin/env node
// Runs the official WASI conformance suite (github.com/WebAssembly/wasi-testsuite, branch
// prod/testsuite-base, which carries prebuilt binaries) against `enarx run`, or against Node's
// own node:wasi for comparison. Only the wasm32-wasip1 tests are run:
//   tests/{c,rust,assemblyscript}/testsuite/wasm32-wasip1/*.wasm   (72 tests)
//
// Usage:
//   node scripts/wasi-testsuite.mjs [SUITE_DIR] [options]
//     SUITE_DIR            a checkout of wasi-testsuite (or set $WASI_TESTSUITE)
//     --runtime R          enarx (default: `node bin/enarx.js run`) | node-wasi
//     --enarx CMD          the command that runs a module, split on spaces
//                          (default: "<node> bin/enarx.js run")
//     --timeout SECONDS    per-test limit (default 30)
//     --concurrency N      tests run at once (default 2)
//     --skip-file FILE     skip list (default scripts/wasi-testsuite.skip.json)
//     --no-skip            ignore the skip list
//     --filter SUBSTRING   only tests whose name (e.g. rust/fd_readdir) contains it (repeatable)
//     --exact-output       stdout/stderr must equal the expected text (default: prefix)
//     --verbose            print the command line and output of failing tests
//
// The test specification implemented here is the suite's doc/specification.md:
//   - every `*.cleanup` file or directory under a test directory is removed before the run;
//   - `foo.json` beside `foo.wasm` is the test's spec (defaults when absent); both the legacy
//     form {args, env, root, exit_code, stdout, stderr} and the operation-based form
//     {operations: [run, read, write, wait, ...], proposals} are accepted;
//   - env: the WASI environment holds exactly these variables (passed as --env K=V);
//   - root: preopened as the guest's `/` (--dir ROOT::/). We preopen a fresh copy of the root
//     per test, so that tests running in parallel cannot see each other's files and the suite
//     checkout is left as it was; the guest cannot tell the difference;
//   - args follow the module path;
//   - the exit code must match, and each `read` operation (legacy: `stdout`/`stderr`) must
//     find its payload next on that stream. Like the reference runner, which reads exactly
//     len(payload) characters, this is a prefix match: several suite programs print
//     diagnostics the specs do not list (rust/stdio, rust/path_open_preopen,
//     rust/poll_oneoff_stdio), so an exact match would fail every correct runtime.
//     `--exact-output` demands that stdout/stderr equal the concatenated payloads.
//   - operations that need sockets or HTTP (connect/send/recv/request/kill) are reported as
//     failures: no wasm32-wasip1 test uses them.
//
// Prints one line per test and a final line `N passed, M failed[, K skipped]`; exits 1 when
// any test failed.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(import.meta.url);
const REPO = resolve(dirname(SCRIPT), '..');
const LANGUAGES = ['c', 'rust', 'assemblyscript'];
const WASI_VERSION = 'wasm32-wasip1';

// ---------------------------------------------------------------------------------------------
// node:wasi adapter (child mode): `wasi-testsuite.mjs --node-wasi-child [--dir H::G]...
// [--env K=V]... MODULE ARGS...`. Runs in its own process so that exit codes and stdio are the
// module's own, as they would be for any CLI runtime.
async function nodeWasiChild(argv) {
  const preopens = {};
  const env = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dir') {
      const spec = argv[++i];
      const sep = spec.indexOf('::');
      if (sep === -1) preopens[spec] = spec;
      else preopens[spec.slice(sep + 2)] = spec.slice(0, sep);
    } else if (a === '--env') {
      const kv = argv[++i];
      const eq = kv.indexOf('=');
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else break;
  }
  const module = argv[i];
  const args = argv.slice(i);
  const { WASI } = await import('node:wasi');
  const wasi = new WASI({ version: 'preview1', args, env, preopens, returnOnExit: true });
  let code;
  try {
    const wasm = await WebAssembly.compile(readFileSync(module));
    const instance = await WebAssembly.instantiate(wasm, wasi.getImportObject());
    code = wasi.start(instance);
  } catch (err) {
    process.stderr.write(`node-wasi: ${err && err.message ? err.message : err}\n`);
    code = 134;
  }
  process.exitCode = code;
}

// ---------------------------------------------------------------------------------------------
// Command line.
function parseOptions(argv) {
  const o = {
    suite: process.env.WASI_TESTSUITE,
    runtime: 'enarx',
    enarx: undefined,
    timeout: 30,
    concurrency: 2,
    skipFile: join(REPO, 'scripts', 'wasi-testsuite.skip.json'),
    noSkip: false,
    filters: [],
    verbose: false,
    exactOutput: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`option ${a} needs a value`);
      return argv[++i];
    };
    if (a === '--runtime') o.runtime = value();
    else if (a === '--enarx') o.enarx = value().split(' ').filter(Boolean);
    else if (a === '--timeout') o.timeout = Number(value());
    else if (a === '--concurrency') o.concurrency = Number(value());
    else if (a === '--skip-file') o.skipFile = resolve(value());
    else if (a === '--no-skip') o.noSkip = true;
    else if (a === '--filter') o.filters.push(value());
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--exact-output') o.exactOutput = true;
    else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else o.suite = a;
  }
  if (!o.suite) usage('the suite directory is missing (argument or $WASI_TESTSUITE)');
  if (o.runtime !== 'enarx' && o.runtime !== 'node-wasi') usage(`unknown runtime '${o.runtime}'`);
  if (!(o.timeout > 0)) usage('--timeout needs a positive number of seconds');
  if (!(Number.isInteger(o.concurrency) && o.concurrency > 0)) usage('--concurrency needs a positive integer');
  o.suite = resolve(o.suite);
  return o;
}

function usage(message) {
  const text = readFileSync(SCRIPT, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('//'));
  const from = text.findIndex((l) => l.startsWith('// Usage:'));
  const to = text.findIndex((l, i) => i > from && l === '//');
  const help = text.slice(from, to).map((l) => l.slice(3)).join('\n');
  if (message) process.stderr.write(`wasi-testsuite: ${message}\n${help}\n`);
  else process.stdout.write(help + '\n');
  process.exit(message ? 2 : 0);
}

// ---------------------------------------------------------------------------------------------
// Discovery and specs.
function removeCleanup(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (name.endsWith('.cleanup')) rmSync(p, { recursive: true, force: true });
    else if (st.isDirectory()) removeCleanup(p);
  }
}

function discover(suite) {
  const tests = [];
  for (const lang of LANGUAGES) {
    const dir = join(suite, 'tests', lang, 'testsuite', WASI_VERSION);
    if (!existsSync(dir)) throw new Error(`${dir} does not exist: is ${suite} a wasi-testsuite checkout (branch prod/testsuite-base)?`);
    removeCleanup(dir);
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.wasm')) continue;
      const base = file.slice(0, -'.wasm'.length);
      const specPath = join(dir, `${base}.json`);
      tests.push({
        name: `${lang}/${base}`,
        wasm: join(dir, file),
        dir,
        spec: parseSpec(existsSync(specPath) ? JSON.parse(readFileSync(specPath, 'utf8')) : {}, dir),
      });
    }
  }
  return tests;
}

const LEGACY_KEYS = ['args', 'root', 'env', 'exit_code', 'stderr', 'stdout'];
const OPERATION_KEYS = ['operations', 'proposals', 'world', 'servers'];

/** Both spec forms become a list of operations (the legacy form as run, read*, wait). */
function parseSpec(json, dir) {
  const keys = Object.keys(json);
  const isOps = keys.some((k) => OPERATION_KEYS.includes(k));
  if (isOps && keys.some((k) => LEGACY_KEYS.includes(k))) throw new Error('spec mixes legacy and operation keys');
  const run = (o) => ({
    type: 'run',
    args: (o.args ?? []).map(String),
    env: Object.entries(o.env ?? {}).map(([k, v]) => [k, String(v)]),
    root: o.root ? resolve(dir, o.root) : null,
  });
  if (!isOps) {
    return {
      proposals: [],
      operations: [
        run(json),
        { type: 'read', id: 'stdout', payload: json.stdout ?? '' },
        { type: 'read', id: 'stderr', payload: json.stderr ?? '' },
        { type: 'wait', exit_code: json.exit_code ?? 0 },
      ],
    };
  }
  const operations = (json.operations ?? []).map((op) => {
    switch (op.type) {
      case 'run':
        return run(op);
      case 'wait':
        return { type: 'wait', exit_code: op.exit_code ?? 0 };
      case 'read':
        return { type: 'read', id: op.id ?? 'stdout', payload: op.payload ?? '' };
      case 'write':
        return { type: 'write', id: op.id ?? 'stdin', payload: op.payload ?? '' };
      default:
        return { type: op.type, unsupported: true };
    }
  });
  return { proposals: json.proposals ?? [], operations };
}

// ---------------------------------------------------------------------------------------------
// Running one test.
function commandFor(opts, wasm, run) {
  const flags = [];
  for (const [k, v] of run.env) flags.push('--env', `${k}=${v}`);
  if (run.root) flags.push('--dir', `${run.root}::/`);
  if (opts.runtime === 'node-wasi') {
    return [process.execPath, ['--no-warnings', SCRIPT, '--node-wasi-child', ...flags, wasm, ...run.args]];
  }
  const base = opts.enarx ?? [process.execPath, join(REPO, 'bin', 'enarx.js'), 'run'];
  return [base[0], [...base.slice(1), ...flags, wasm, ...run.args]];
}

function spawnCollect(cmd, args, timeoutMs) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env } });
  const out = [];
  const err = [];
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  child.stdin.on('error', () => {});
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, timeoutMs);
  const done = new Promise((resolvePromise) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      resolvePromise({ code: null, error: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, timedOut });
    });
  });
  return {
    child,
    wait: async () => {
      const r = await done;
      return { ...r, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
    },
  };
}

async function runTest(opts, test) {
  const failures = [];
  let proc;
  let expected = { stdout: '', stderr: '' };
  let sandbox;
  let argvShown = '';
  let result;
  try {
    for (const op of test.spec.operations) {
      if (failures.length) break;
      if (op.unsupported) {
        failures.push(`operation '${op.type}' is not supported by this runner`);
        break;
      }
      switch (op.type) {
        case 'run': {
          if (proc) throw new Error('run while a process is running');
          let run = op;
          if (op.root) {
            sandbox = mkdtempSync(join(tmpdir(), 'wasi-testsuite-'));
            const root = join(sandbox, basename(op.root));
            cpSync(op.root, root, { recursive: true, verbatimSymlinks: true });
            run = { ...op, root };
          }
          const [cmd, args] = commandFor(opts, test.wasm, run);
          argvShown = [cmd, ...args].join(' ');
          proc = spawnCollect(cmd, args, opts.timeout * 1000);
          expected = { stdout: '', stderr: '' };
          break;
        }
        case 'write':
          proc.child.stdin.write(op.payload);
          break;
        case 'read':
          expected[op.id] += op.payload;
          break;
        case 'wait': {
          proc.child.stdin.end();
          result = await proc.wait();
          proc = undefined;
          if (result.error) failures.push(`could not start: ${result.error}`);
          else if (result.timedOut) failures.push(`timed out after ${opts.timeout}s`);
          else if (result.code !== op.exit_code) {
            failures.push(`exit code ${result.code ?? `signal ${result.signal}`}, expected ${op.exit_code}`);
          }
          for (const id of ['stdout', 'stderr']) {
            const ok = opts.exactOutput ? result[id] === expected[id] : result[id].startsWith(expected[id]);
            if (!result.error && !result.timedOut && !ok) {
              const how = opts.exactOutput ? 'expected' : 'expected it to start with';
              failures.push(`${id} ${JSON.stringify(clip(result[id]))}, ${how} ${JSON.stringify(expected[id])}`);
            }
          }
          break;
        }
        default:
          failures.push(`unknown operation '${op.type}'`);
      }
    }
    if (proc) {
      proc.child.stdin.end();
      await proc.wait();
      failures.push('the spec has no wait operation after run');
    }
  } finally {
    if (sandbox) rmSync(sandbox, { recursive: true, force: true });
  }
  return { failures, argv: argvShown, result };
}

function clip(s) {
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

async function pool(items, concurrency, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

async function main(argv) {
  if (argv[0] === '--node-wasi-child') return nodeWasiChild(argv.slice(1));
  const opts = parseOptions(argv);
  if (!existsSync(opts.suite)) usage(`${opts.suite} does not exist`);
  if (opts.runtime === 'enarx' && !opts.enarx && !existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'))) {
    usage('dist/src/cli/main.js is missing: build first (npx tsc -p tsconfig.json)');
  }
  const skips = opts.noSkip || !existsSync(opts.skipFile) ? {} : (JSON.parse(readFileSync(opts.skipFile, 'utf8'))[opts.runtime] ?? {});
  let tests = discover(opts.suite);
  if (opts.filters.length) tests = tests.filter((t) => opts.filters.some((f) => t.name.includes(f)));
  for (const name of Object.keys(skips)) {
    if (!tests.some((t) => t.name === name) && opts.filters.length === 0) {
      process.stderr.write(`wasi-testsuite: skip list names an unknown test '${name}'\n`);
    }
  }

  const lines = new Array(tests.length);
  let printed = 0;
  const flush = () => {
    while (printed < lines.length && lines[printed] !== undefined) process.stdout.write(lines[printed++]);
  };
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  await pool(tests, opts.concurrency, async (test, i) => {
    const reason = skips[test.name];
    if (reason !== undefined) {
      skipped++;
      lines[i] = `SKIP ${test.name}: ${reason}\n`;
    } else {
      const t0 = Date.now();
      let r;
      try {
        r = await runTest(opts, test);
      } catch (e) {
        r = { failures: [`runner error: ${e.message}`], argv: '' };
      }
      const secs = ((Date.now() - t0) / 1000).toFixed(2);
      if (r.failures.length === 0) {
        passed++;
        lines[i] = `PASS ${test.name} (${secs}s)\n`;
      } else {
        failed++;
        let line = `FAIL ${test.name} (${secs}s): ${r.failures.join('; ')}\n`;
        if (opts.verbose) {
          line += `     $ ${r.argv}\n`;
          if (r.result?.stdout) line += `     stdout: ${JSON.stringify(clip(r.result.stdout))}\n`;
          if (r.result?.stderr) line += `     stderr: ${JSON.stringify(clip(r.result.stderr))}\n`;
        }
        lines[i] = line;
      }
    }
    flush();
  });
  flush();
  process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main(process.argv.slice(2));
