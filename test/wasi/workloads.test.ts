/**
 * Runs every case of test/workloads/cases.json through `enarx run` (bin/enarx.js) and checks
 * exit status, stdout, stderr and the host files afterwards. Each case gets a fresh temporary
 * directory with copies of its fixtures, so nothing is ever written into the repository.
 *
 * ENARX_WORKLOADS_CMD, a JSON array, replaces `node bin/enarx.js run` to compare another
 * runtime that takes `--dir HOST::GUEST` and `--env K=V` (for instance `["wasmtime","run"]`, or
 * node:wasi via `["node","scripts/wasi-testsuite.mjs","--node-wasi-child"]`); cases that need
 * enarx-only flags are skipped then.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCases } from '../workloads/cases.js';
import type { RuntimeCommand } from '../workloads/harness.js';
import { BIN_DIR, checkCase, prepareRoot, runCase } from '../workloads/harness.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const cases = loadCases();

function runtimeCommand(): { runtime: RuntimeCommand; custom: boolean } {
  const custom = process.env['ENARX_WORKLOADS_CMD'];
  if (custom === undefined || custom === '') {
    return { runtime: { file: process.execPath, args: [join(REPO, 'bin', 'enarx.js'), 'run'] }, custom: false };
  }
  const parsed: unknown = JSON.parse(custom);
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((s) => typeof s === 'string')) {
    throw new TypeError('ENARX_WORKLOADS_CMD must be a JSON array of strings');
  }
  // Runs happen in each case's temporary directory: make repository-relative paths absolute.
  const [file, ...args] = (parsed as string[]).map((a) => (a !== 'node' && existsSync(join(REPO, a)) ? join(REPO, a) : a)) as [
    string,
    ...string[],
  ];
  return { runtime: { file: file === 'node' ? process.execPath : file, args }, custom: true };
}

const { runtime, custom } = runtimeCommand();

/** Every function of wasi_snapshot_preview1 (WASI snapshot 1 witx). */
const PREVIEW1 = [
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get', 'clock_time_get',
  'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get', 'fd_fdstat_set_flags',
  'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread',
  'fd_prestat_get', 'fd_prestat_dir_name', 'fd_pwrite', 'fd_read', 'fd_readdir', 'fd_renumber', 'fd_seek',
  'fd_sync', 'fd_tell', 'fd_write', 'path_create_directory', 'path_filestat_get', 'path_filestat_set_times',
  'path_link', 'path_open', 'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink',
  'path_unlink_file', 'poll_oneoff', 'proc_exit', 'proc_raise', 'sched_yield', 'random_get', 'sock_accept',
  'sock_recv', 'sock_send', 'sock_shutdown',
];

describe('workload case table', () => {
  it('names an existing module in every case, and every module has a case', () => {
    const modules = new Set(readdirSync(BIN_DIR).filter((f) => f.endsWith('.wasm')));
    const used = new Set(cases.map((c) => c.module));
    const missing = [...used].filter((m) => !modules.has(m) && m !== 'does_not_exist.wasm');
    assert.deepEqual(missing, [], 'cases name modules that test/workloads/bin lacks (run npm run workloads)');
    assert.deepEqual([...modules].filter((m) => !used.has(m)), [], 'modules without a case');
  });

  it('imports every wasi_snapshot_preview1 function from some workload', () => {
    const imported = new Set<string>();
    for (const m of new Set(cases.map((c) => c.module))) {
      let mod: WebAssembly.Module;
      try {
        mod = new WebAssembly.Module(readFileSync(join(BIN_DIR, m)));
      } catch {
        continue; // the modules that are invalid on purpose
      }
      for (const imp of WebAssembly.Module.imports(mod)) {
        if (imp.module === 'wasi_snapshot_preview1') imported.add(imp.name);
      }
    }
    assert.deepEqual(PREVIEW1.filter((f) => !imported.has(f)), []);
  });
});

describe(`workloads under ${custom ? JSON.stringify(process.env['ENARX_WORKLOADS_CMD']) : 'enarx run'}`, { concurrency: 2 }, () => {
  for (const c of cases) {
    const skip = custom && (c.flags?.length ?? 0) > 0 ? 'uses enarx run options the custom runtime lacks' : false;
    it(c.name, { skip }, async () => {
      const root = prepareRoot(c);
      try {
        const result = await runCase(c, root.root, runtime);
        const report = checkCase(c, result, root);
        if (report !== undefined) assert.fail(report);
      } finally {
        root.dispose();
      }
    });
  }
});
