import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as C from '../../src/wasi/constants.js';
import { Errno } from '../../src/wasi/errno.js';
import { HostDir } from '../../src/wasi/fs/hostfs.js';
import type { OpenRequest } from '../../src/wasi/fs/types.js';

let base: string;
let root: string;
let dir: HostDir;
const READ: OpenRequest = { followFinal: true, oflags: 0, read: true, write: false, fdflags: 0 };

before(() => {
  base = mkdtempSync(join(tmpdir(), 'enarx-hostfs-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'sub', 'deep'), { recursive: true });
  writeFileSync(join(base, 'secret'), 'outside');
  writeFileSync(join(root, 'inside'), 'inside');
  dir = HostDir.openRoot(root);
});

after(() => {
  dir.close();
  rmSync(base, { recursive: true, force: true });
});

function errno(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof Errno) return e.errno;
    throw e;
  }
  assert.fail('expected an errno');
}

function readAll(path: string): string {
  const h = dir.open(path, READ);
  assert.equal(h.kind, 'file');
  const buf = new Uint8Array(64);
  const n = h.kind === 'file' ? h.read(buf, 0n) : 0;
  h.close();
  return Buffer.from(buf.subarray(0, n)).toString();
}

test('paths inside the root resolve, including .. that stays inside', () => {
  assert.equal(readAll('inside'), 'inside');
  assert.equal(readAll('sub/deep/../../inside'), 'inside');
  assert.equal(readAll('./sub//./../inside'), 'inside');
});

test('.. past the root, absolute paths and empty paths are refused', () => {
  assert.equal(errno(() => dir.open('../secret', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errno(() => dir.open('sub/../../secret', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errno(() => dir.open('sub/deep/../../../root/inside', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errno(() => dir.open(`${base}/secret`, READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errno(() => dir.open('', READ)), C.ERRNO_NOENT);
  assert.equal(errno(() => dir.statAt('..', true)), C.ERRNO_NOTCAPABLE);
});

test('symlinks that point out are never followed out', () => {
  symlinkSync(join(base, 'secret'), join(root, 'abs-link'));
  symlinkSync('../secret', join(root, 'rel-link'));
  symlinkSync('../../..', join(root, 'sub', 'up-link'));
  symlinkSync('sub/up-link', join(root, 'chain'));
  symlinkSync('sub', join(root, 'to-sub'));
  assert.equal(errno(() => dir.open('abs-link', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errno(() => dir.open('rel-link', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errno(() => dir.open('sub/up-link/secret', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errno(() => dir.open('chain/secret', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errno(() => dir.open('to-sub/../../secret', READ)), C.ERRNO_NOTCAPABLE);
  // ...but a symlink that stays inside works, and a final symlink without follow is ELOOP.
  assert.equal(readAll('to-sub/../inside'), 'inside');
  assert.equal(errno(() => dir.open('to-sub', { ...READ, followFinal: false })), C.ERRNO_LOOP);
  // stat without follow describes the link itself, even one pointing out.
  assert.equal(dir.statAt('abs-link', false).filetype, C.FILETYPE_SYMBOLIC_LINK);
});

test('symlink loops end in ELOOP', () => {
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  assert.equal(errno(() => dir.open('loop-a', READ)), C.ERRNO_LOOP);
});

test('creating a symlink with an absolute target is refused', () => {
  assert.equal(errno(() => dir.symlink('/etc/passwd', 'evil')), C.ERRNO_PERM);
  assert.equal(existsSync(join(root, 'evil')), false);
});

test('a directory swapped for an outward symlink after lookup cannot be used to escape (TOCTOU)', () => {
  mkdirSync(join(root, 'swap'));
  writeFileSync(join(root, 'swap', 'secret'), 'inside-swap');
  assert.equal(readAll('swap/secret'), 'inside-swap');
  // The host (or another process) replaces the directory with a symlink pointing outside.
  renameSync(join(root, 'swap'), join(base, 'moved'));
  symlinkSync(base, join(root, 'swap'));
  assert.equal(errno(() => dir.open('swap/secret', READ)), C.ERRNO_NOTCAPABLE);
});

test('rename and link cannot name anything outside', () => {
  assert.equal(errno(() => dir.rename('inside', dir, '../stolen')), C.ERRNO_NOTCAPABLE);
  assert.equal(errno(() => dir.link('../secret', false, dir, 'hard')), C.ERRNO_NOTCAPABLE);
  assert.equal(readFileSync(join(base, 'secret'), 'utf8'), 'outside');
  assert.equal(existsSync(join(base, 'stolen')), false);
});

test('NUL-free but odd names stay inside', () => {
  const h = dir.open('new file with spaces', { followFinal: false, oflags: C.OFLAGS_CREAT, read: true, write: true, fdflags: 0 });
  h.close();
  assert.ok(existsSync(join(root, 'new file with spaces')));
});
