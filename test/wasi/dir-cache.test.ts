/**
 * The folders a HostDir's walks keep open (src/wasi/fs/dir-cache.ts): a cached folder is used
 * only while its path still names it, whoever changed the tree since, and never lets a walk
 * reach what an uncached walk would refuse to leave the root for.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import * as C from '../../src/wasi/constants.js';
import { DIR_CACHE_ENTRIES, DIR_CACHE_TOTAL, heldFolders, plainDir } from '../../src/wasi/fs/dir-cache.js';
import { lib } from '../../src/wasi/fs/hostcalls.js';
import { HostDir } from '../../src/wasi/fs/hostfs.js';
import type { OpenRequest } from '../../src/wasi/fs/types.js';
import { errnoOf, readSmall } from '../support/file-io.js';

const READ: OpenRequest = { followFinal: true, oflags: 0, read: true, write: false, fdflags: 0 };
const CREATE: OpenRequest = { followFinal: true, oflags: C.OFLAGS_CREAT, read: false, write: true, fdflags: 0 };

let base: string;
let root: string;
let dir: HostDir;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'enarx-dircache-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  writeFileSync(join(root, 'a', 'b', 'f'), 'first');
  writeFileSync(join(base, 'f'), 'outside');
  dir = HostDir.openRoot(root);
});

afterEach(() => {
  dir.close();
  rmSync(base, { recursive: true, force: true });
});

/** Descriptors this process has open. */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test('a folder replaced on the host after a walk through it is not used: the path names the new one', () => {
  assert.equal(readSmall(dir, 'a/b/f'), 'first');
  renameSync(join(root, 'a', 'b'), join(root, 'a', 'old'));
  mkdirSync(join(root, 'a', 'b'));
  writeFileSync(join(root, 'a', 'b', 'f'), 'second');
  assert.equal(readSmall(dir, 'a/b/f'), 'second');
  assert.equal(readSmall(dir, 'a/old/f'), 'first');
});

test('a folder removed after a walk through it is missing, for reads and for creation', () => {
  assert.equal(readSmall(dir, 'a/b/f'), 'first');
  rmSync(join(root, 'a', 'b'), { recursive: true });
  assert.equal(errnoOf(() => dir.open('a/b/f', READ)), C.ERRNO_NOENT);
  assert.equal(errnoOf(() => dir.open('a/b/new', CREATE)), C.ERRNO_NOENT);
  assert.equal(errnoOf(() => dir.statAt('a/b/f', true)), C.ERRNO_NOENT);
});

test('a folder the guest renames is found under its new name, and its old name is free', () => {
  assert.equal(readSmall(dir, 'a/b/f'), 'first');
  dir.rename('a/b', dir, 'a/c');
  assert.equal(readSmall(dir, 'a/c/f'), 'first');
  assert.equal(errnoOf(() => dir.open('a/b/f', READ)), C.ERRNO_NOENT);
  dir.mkdir('a/b');
  dir.open('a/b/f', CREATE).close();
  assert.equal(readFileSync(join(root, 'a', 'b', 'f'), 'utf8'), '');
  assert.equal(readFileSync(join(root, 'a', 'c', 'f'), 'utf8'), 'first');
});

test('a cached folder swapped for a symlink out of the root is refused, as on the first walk', () => {
  assert.equal(readSmall(dir, 'a/b/f'), 'first');
  renameSync(join(root, 'a'), join(root, 'moved'));
  // a -> ../ : the root's parent, where `b/f` does not exist but `f` does (outside).
  symlinkSync('..', join(root, 'a'));
  mkdirSync(join(base, 'b'));
  writeFileSync(join(base, 'b', 'f'), 'outside');
  assert.equal(errnoOf(() => dir.open('a/b/f', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.statAt('a/b/f', true)), C.ERRNO_NOTCAPABLE);
});

test('a cached folder swapped for a symlink inside the root is followed to where it points now', () => {
  assert.equal(readSmall(dir, 'a/b/f'), 'first');
  mkdirSync(join(root, 'other'));
  writeFileSync(join(root, 'other', 'f'), 'other');
  rmSync(join(root, 'a', 'b'), { recursive: true });
  symlinkSync('../other', join(root, 'a', 'b'));
  assert.equal(readSmall(dir, 'a/b/f'), 'other');
});

test('a final symlink in a cached folder is followed from the root, so its target may climb', () => {
  assert.equal(readSmall(dir, 'a/b/f'), 'first');
  writeFileSync(join(root, 'top'), 'top');
  symlinkSync('../../top', join(root, 'a', 'b', 'up'));
  assert.equal(readSmall(dir, 'a/b/up'), 'top');
  symlinkSync('../../../f', join(root, 'a', 'b', 'out'));
  assert.equal(errnoOf(() => dir.open('a/b/out', READ)), C.ERRNO_NOTCAPABLE);
});

test('the cache holds a bounded number of folders, and a closed HostDir holds none', () => {
  const before = openFds();
  const n = DIR_CACHE_ENTRIES * 3;
  for (let i = 0; i < n; i++) {
    mkdirSync(join(root, 'many', `d${i}`), { recursive: true });
    dir.open(`many/d${i}/x`, CREATE).close();
  }
  assert.ok(openFds() - before <= DIR_CACHE_ENTRIES, `${openFds() - before} descriptors held`);
  const other = HostDir.openRoot(root);
  const withOther = openFds();
  for (let i = 0; i < n; i++) other.statAt(`many/d${i}/x`, false);
  assert.ok(openFds() > withOther, 'the second HostDir cached some folders');
  other.close();
  assert.equal(openFds(), withOther - 1);
});

test('all caches together hold at most DIR_CACHE_TOTAL folders, and give them back when closed', () => {
  const roots: HostDir[] = [];
  const start = heldFolders();
  for (let r = 0; r * 4 < DIR_CACHE_TOTAL * 2; r++) {
    for (let i = 0; i < 4; i++) mkdirSync(join(root, `r${r}`, `d${i}`), { recursive: true });
    const h = HostDir.openRoot(join(root, `r${r}`));
    roots.push(h);
    for (let i = 0; i < 4; i++) h.open(`d${i}/x`, CREATE).close();
  }
  assert.equal(heldFolders(), DIR_CACHE_TOTAL);
  // A walk that finds every cache full still works, uncached.
  writeFileSync(join(root, 'a', 'b', 'g'), 'g');
  assert.equal(readSmall(dir, 'a/b/g'), 'g');
  for (const h of roots) h.close();
  assert.equal(heldFolders(), start);
});

/** Runs `fn` and counts the `open`s and the `stat`s of a name (not of a descriptor) made meanwhile through hostcalls.ts. */
function countCalls(fn: () => void): { open: number; lstat: number } {
  const calls = { open: 0, lstat: 0 };
  const native = lib();
  const { open, stat } = native;
  native.open = (...a) => (calls.open++, open(...a));
  native.stat = (...a) => (a[1] !== '' && calls.lstat++, stat(...a));
  try {
    fn();
  } finally {
    native.open = open;
    native.stat = stat;
  }
  return calls;
}

test('a walk through cached folders opens none of them: one lstat checks them all', () => {
  mkdirSync(join(root, 'a', 'b', 'c'));
  writeFileSync(join(root, 'a', 'b', 'c', 'g'), 'g');
  assert.deepEqual(countCalls(() => dir.statAt('a/b/c/g', false)), { open: 3, lstat: 1 });
  assert.deepEqual(countCalls(() => dir.statAt('a/b/c/g', false)), { open: 0, lstat: 2 });
  // Opening the file itself is the one open left.
  assert.deepEqual(countCalls(() => dir.open('a/b/c/g', READ).close()), { open: 1, lstat: 1 });
});

test('a missing name looked up through a symlink-following walk is asked for once', () => {
  assert.deepEqual(countCalls(() => assert.equal(errnoOf(() => dir.statAt('missing', true)), C.ERRNO_NOENT)), { open: 0, lstat: 1 });
  readSmall(dir, 'a/b/f');
  assert.deepEqual(countCalls(() => assert.equal(errnoOf(() => dir.statAt('a/b/missing', true)), C.ERRNO_NOENT)), { open: 0, lstat: 2 });
});

test('only plain relative folder paths are cache keys', () => {
  for (const ok of ['a', 'a/b', 'a/b.c/..d']) assert.equal(plainDir(ok), true, ok);
  for (const bad of ['', '/a', 'a/', 'a//b', '.', '..', 'a/./b', 'a/../b', './a', 'a/..']) assert.equal(plainDir(bad), false, bad);
});
