/**
 * bin/cli-loader.js: the CLI's bundles through vm.Script with a code cache made at exit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/vectors.js';

interface Loader {
  load(file: string): Record<string, unknown>;
  save(): void;
}
const { cliLoader, MAX_CACHE_FILES } = (await import(pathToFileURL(join(REPO_ROOT, 'bin', 'cli-loader.js')).href)) as {
  cliLoader: (cacheDir: string | undefined, profile: string) => Loader;
  MAX_CACHE_FILES: number;
};

function bundles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'enarx-cli-loader-'));
  writeFileSync(join(dir, 'a.cjs'), 'const b = require("./b.cjs"); const { join } = require("node:path"); exports.answer = () => b.twice(21) + join("x", "y").length * 0; exports.file = __filename;');
  writeFileSync(join(dir, 'b.cjs'), 'exports.twice = (n) => n * 2;');
  return dir;
}

test('the loader runs the bundles, serves ./x.cjs requires from the folder and Node built-ins from Node', () => {
  const dir = bundles();
  try {
    const a = cliLoader(undefined, 'run').load(join(dir, 'a.cjs'));
    assert.equal((a['answer'] as () => number)(), 42);
    assert.equal(a['file'], join(dir, 'a.cjs'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('caches are written at save, used by the next process, and remade when they do not fit', () => {
  const dir = bundles();
  const cache = join(dir, 'cache');
  try {
    const first = cliLoader(cache, 'run');
    (first.load(join(dir, 'a.cjs'))['answer'] as () => number)();
    first.save();
    const made = readdirSync(cache).sort();
    assert.equal(made.length, 2);
    // A second process with the same bundles and command finds them: nothing to write.
    const second = cliLoader(cache, 'run');
    second.load(join(dir, 'a.cjs'));
    second.save();
    assert.deepEqual(readdirSync(cache).sort(), made);
    // Another command gets caches of its own.
    const other = cliLoader(cache, 'deploy');
    other.load(join(dir, 'a.cjs'));
    other.save();
    assert.equal(readdirSync(cache).length, 4);
    // A damaged cache is ignored by V8 and remade.
    for (const f of made) writeFileSync(join(cache, f), 'not a code cache');
    const third = cliLoader(cache, 'run');
    assert.equal((third.load(join(dir, 'a.cjs'))['answer'] as () => number)(), 42);
    third.save();
    assert.equal(readdirSync(cache).length, 4);
    const fourth = cliLoader(cache, 'run');
    fourth.load(join(dir, 'a.cjs'));
    // Remade caches fit again.
    const before = readdirSync(cache).map((f) => f);
    fourth.save();
    assert.deepEqual(readdirSync(cache), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rebuilt bundle\'s cache replaces the one of the build before (caches do not pile up)', () => {
  const dir = bundles();
  const cache = join(dir, 'cache');
  try {
    const first = cliLoader(cache, 'run');
    first.load(join(dir, 'a.cjs'));
    first.save();
    const made = readdirSync(cache).sort();
    writeFileSync(join(cache, '0123456789abcdef.bin'), 'a cache named the earlier way');
    writeFileSync(join(dir, 'b.cjs'), 'exports.twice = (n) => n + n; // rebuilt');
    const second = cliLoader(cache, 'run');
    assert.equal((second.load(join(dir, 'a.cjs'))['answer'] as () => number)(), 42);
    second.save();
    const now = readdirSync(cache).sort();
    assert.equal(now.length, 2, now.join());
    assert.equal(now.filter((f) => made.includes(f)).length, 1, 'a.cjs is unchanged, b.cjs has a new cache');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the enarx command writes its code cache under XDG_CACHE_HOME, and not with NODE_DISABLE_COMPILE_CACHE=1', () => {
  const home = mkdtempSync(join(tmpdir(), 'enarx-cli-cache-'));
  try {
    const run = (env: Record<string, string>) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), '--version'], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: home, ...env } });
    const off = run({ NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(off.status, 0, off.stderr);
    assert.deepEqual(readdirSync(home), []);
    const on = run({});
    assert.equal(on.status, 0, on.stderr);
    assert.match(on.stdout, /^enarx /);
    assert.ok(readdirSync(join(home, 'enarx', 'code-cache')).length >= 1);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('the folder keeps at most MAX_CACHE_FILES caches: those of installations gone go first, never the ones just made', () => {
  const dir = bundles();
  const cache = join(dir, 'cache');
  try {
    mkdirSync(cache);
    // Caches of other installations (other paths), written earlier, the oldest first.
    const stale = Array.from({ length: MAX_CACHE_FILES + 5 }, (_, i) => join(cache, `${i.toString(16).padStart(16, '0')}-0000000000000000.bin`));
    stale.forEach((f, i) => {
      writeFileSync(f, 'an old cache');
      utimesSync(f, 1_000_000 + i, 1_000_000 + i);
    });
    writeFileSync(join(cache, 'notes.txt'), 'not a cache: left alone');
    const loader = cliLoader(cache, 'run');
    loader.load(join(dir, 'a.cjs'));
    loader.save();
    const left = new Set(readdirSync(cache));
    assert.equal([...left].filter((f) => f.endsWith('.bin')).length, MAX_CACHE_FILES);
    assert.ok(left.has('notes.txt'));
    // The 7 oldest went (5 over, plus room for the 2 new ones); the newest stayed.
    assert.deepEqual(stale.map((f) => left.has(basename(f))), stale.map((_, i) => i >= 7));
    // The new caches work.
    const next = cliLoader(cache, 'run');
    assert.equal((next.load(join(dir, 'a.cjs'))['answer'] as () => number)(), 42);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
