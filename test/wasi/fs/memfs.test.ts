/**
 * The in-memory filesystem on its own: what the shared conformance table cannot see (exact
 * times from the injected clock, inode numbers and link counts, limits, sparse storage, the
 * package helpers). Errno paths common to every DirHandle are in conformance.test.ts.
 */
import { test } from 'node:test';
import { errnoOf, readAt, writeAt } from '../../support/file-io.js';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as C from '../../../src/wasi/constants.js';
import { Errno } from '../../../src/wasi/errno.js';
import { HostDir } from '../../../src/wasi/fs/hostfs.js';
import { ENTRY_OVERHEAD } from '../../../src/wasi/fs/memfs-node.js';
import { DEFAULT_DEV, MemDir, MemFile, MemFs } from '../../../src/wasi/fs/memfs.js';
import type { DirHandle, FileHandle, OpenRequest } from '../../../src/wasi/fs/types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A clock the test moves by hand. */
function manualClock(start = 1_000n): { now: () => bigint; set(t: bigint): void } {
  let t = start;
  return { now: () => t, set: (v) => void (t = v) };
}

function req(o: Partial<OpenRequest> = {}): OpenRequest {
  return { followFinal: true, oflags: 0, read: true, write: false, fdflags: 0, ...o };
}

function openFile(dir: DirHandle, p: string, o: Partial<OpenRequest> = {}): FileHandle {
  const h = dir.open(p, req(o));
  assert.equal(h.kind, 'file');
  return h as FileHandle;
}

function readAll(h: FileHandle): string {
  const buf = new Uint8Array(Number(h.stat().size));
  return dec.decode(buf.subarray(0, readAt(h, buf, 0)));
}

function readPath(fs: MemFs, p: string): string {
  const r = fs.root();
  const h = openFile(r, p);
  try {
    return readAll(h);
  } finally {
    h.close();
    r.close();
  }
}

test('the root: its .. is itself, and nothing climbs above it', () => {
  const fs = new MemFs();
  const r = fs.root();
  const [dot, dotdot] = r.readdir();
  assert.deepEqual(dot, { name: '.', ino: r.stat().ino, filetype: C.FILETYPE_DIRECTORY });
  assert.deepEqual(dotdot, { name: '..', ino: r.stat().ino, filetype: C.FILETYPE_DIRECTORY });
  assert.equal(errnoOf(() => r.open('..', req())), C.ERRNO_NOTCAPABLE);
  assert.equal(r.stat().nlink, 2n);
  assert.equal(errnoOf(() => r.statAt('a/../..', false)), C.ERRNO_NOENT); // walked in order
  r.mkdir('a');
  assert.equal(errnoOf(() => r.statAt('a/../..', false)), C.ERRNO_NOTCAPABLE);
  r.close();
});

test('stat: dev, distinct inode numbers, sizes, link counts', () => {
  const fs = new MemFs({ dev: 42n });
  fs.writeFile('a/f', enc.encode('hello'));
  fs.symlink('f', 'a/s');
  const r = fs.root();
  const a = r.statAt('a', false);
  const f = r.statAt('a/f', false);
  const s = r.statAt('a/s', false);
  assert.equal(new MemFs().dev, DEFAULT_DEV);
  for (const st of [a, f, s]) assert.equal(st.dev, 42n);
  assert.equal(new Set([r.stat().ino, a.ino, f.ino, s.ino]).size, 4);
  assert.deepEqual([f.filetype, f.size, f.nlink], [C.FILETYPE_REGULAR_FILE, 5n, 1n]);
  assert.deepEqual([s.filetype, s.size], [C.FILETYPE_SYMBOLIC_LINK, 1n]);
  assert.deepEqual([a.filetype, a.nlink], [C.FILETYPE_DIRECTORY, 2n]);
  assert.equal(r.stat().nlink, 3n);
  r.link('a/f', false, r, 'g');
  assert.equal(r.statAt('a/f', false).nlink, 2n);
  assert.equal(r.statAt('g', false).ino, f.ino);
  r.close();
});

test('readdir: . and .., then entries in creation order; a renamed entry moves to the end', () => {
  const fs = new MemFs();
  const r = fs.root();
  for (const n of ['zeta', 'alpha', 'mid']) r.mkdir(n);
  const names = (): string[] => r.readdir().map((e) => e.name);
  assert.deepEqual(names(), ['.', '..', 'zeta', 'alpha', 'mid']);
  r.rename('zeta', r, 'omega');
  assert.deepEqual(names(), ['.', '..', 'alpha', 'mid', 'omega']);
  const sub = r.open('mid', req()) as DirHandle;
  const subDotDot = sub.readdir()[1]!;
  assert.equal(subDotDot.ino, r.stat().ino);
  sub.close();
  r.close();
});

test('times: creation, writes, truncation, links, renames and removal move them like Linux', () => {
  const clock = manualClock(100n);
  const fs = new MemFs({ now: clock.now });
  const r = fs.root();
  const t = (p: string): [bigint, bigint, bigint] => {
    const s = r.statAt(p, false);
    return [s.atim, s.mtim, s.ctim];
  };
  clock.set(200n);
  r.mkdir('d');
  assert.deepEqual(t('d'), [200n, 200n, 200n]);
  assert.deepEqual(t('.'), [100n, 200n, 200n]);

  clock.set(300n);
  const h = openFile(r, 'd/f', { oflags: C.OFLAGS_CREAT, write: true });
  assert.deepEqual(t('d/f'), [300n, 300n, 300n]);
  assert.deepEqual(t('d'), [200n, 300n, 300n]);

  clock.set(400n);
  writeAt(h, enc.encode('abc'), 0);
  assert.deepEqual(t('d/f'), [300n, 400n, 400n]);
  writeAt(h, new Uint8Array(0), 0); // an empty write changes nothing
  clock.set(450n);
  writeAt(h, new Uint8Array(0), 0);
  assert.deepEqual(t('d/f'), [300n, 400n, 400n]);

  clock.set(500n);
  h.setSize(3n); // ftruncate marks the file modified even when the size stays
  assert.deepEqual(t('d/f'), [300n, 500n, 500n]);

  clock.set(600n);
  readAt(h, new Uint8Array(2), 0); // relatime: atime ≤ mtime, so it moves
  assert.deepEqual(t('d/f'), [600n, 500n, 500n]);
  clock.set(700n);
  readAt(h, new Uint8Array(2), 0); // now atime > mtime and ctime: it stays
  assert.equal(t('d/f')[0], 600n);
  clock.set(600n + 86_400n * 1_000_000_000n);
  readAt(h, new Uint8Array(2), 0); // a day later it moves again
  assert.equal(t('d/f')[0], 600n + 86_400n * 1_000_000_000n);

  clock.set(10_000n);
  h.setTimes({ atim: 7n, mtim: 8n });
  assert.deepEqual(t('d/f'), [7n, 8n, 10_000n]);
  clock.set(11_000n);
  h.setTimes({});
  assert.deepEqual(t('d/f'), [7n, 8n, 10_000n]);
  r.setTimesAt('d/f', false, { mtim: 9n });
  assert.deepEqual(t('d/f'), [7n, 9n, 11_000n]);

  clock.set(12_000n);
  r.link('d/f', false, r, 'g');
  assert.deepEqual(t('g'), [7n, 9n, 12_000n]);
  assert.deepEqual(t('.').slice(1), [12_000n, 12_000n]);

  clock.set(13_000n);
  r.mkdir('e');
  clock.set(14_000n);
  r.rename('d/f', r, 'e/f2');
  assert.deepEqual(t('e/f2'), [7n, 9n, 14_000n]);
  assert.deepEqual(t('d').slice(1), [14_000n, 14_000n]);
  assert.deepEqual(t('e').slice(1), [14_000n, 14_000n]);

  clock.set(15_000n);
  r.unlink('g');
  assert.equal(h.stat().ctim, 15_000n);
  assert.deepEqual(t('.').slice(1), [15_000n, 15_000n]);

  clock.set(16_000n);
  openFile(r, 'e/f2', { oflags: C.OFLAGS_TRUNC, write: true }).close();
  assert.deepEqual(t('e/f2'), [7n, 16_000n, 16_000n]);
  h.close();
  r.close();
});

test('symlink times and readlink atime', () => {
  const clock = manualClock(5n);
  const fs = new MemFs({ now: clock.now });
  const r = fs.root();
  r.symlink('target', 'l');
  clock.set(9n);
  assert.equal(r.readlink('l'), 'target');
  assert.equal(r.statAt('l', false).atim, 9n);
  r.setTimesAt('l', false, { atim: 1n, mtim: 2n });
  assert.deepEqual([r.statAt('l', false).atim, r.statAt('l', false).mtim], [1n, 2n]);
  r.close();
});

test('files: positioned and stream I/O, sparse growth, zero fill', () => {
  const fs = new MemFs();
  const r = fs.root();
  const h = openFile(r, 'f', { oflags: C.OFLAGS_CREAT, write: true });
  assert.equal(h.seekable, true);
  assert.equal(h.isTty, false);
  assert.equal(writeAt(h, enc.encode('hello'), null), 5);
  assert.equal(writeAt(h, enc.encode(' world'), null), 6);
  assert.equal(readAll(h), 'hello world');
  assert.equal(writeAt(h, enc.encode('J'), 0), 1);
  const two = new Uint8Array(4);
  assert.equal(readAt(h, two, 0), 4);
  assert.equal(dec.decode(two), 'Jell');
  assert.deepEqual(h.poll('read'), { nbytes: 11n, hangup: false });

  // Growing with setSize stores nothing: a gigabyte of zeros costs no memory.
  const before = fs.usage().bytes;
  h.setSize(1n << 30n);
  assert.equal(h.stat().size, 1n << 30n);
  assert.equal(fs.usage().bytes, before);
  const mid = new Uint8Array(8).fill(0xff);
  assert.equal(readAt(h, mid, 2 ** 29), 8);
  assert.deepEqual(mid, new Uint8Array(8));
  const tail = new Uint8Array(8).fill(0xff);
  assert.equal(readAt(h, tail, 2 ** 30 - 3), 3);
  assert.deepEqual(tail, Uint8Array.of(0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff));
  assert.equal(readAt(h, tail, 2 ** 40), 0);

  // Shrinking forgets the cut-off bytes: growing again reads zeros there.
  h.setSize(3n);
  h.setSize(6n);
  const six = new Uint8Array(6);
  readAt(h, six, 0);
  assert.deepEqual([...six], [...enc.encode('Jel'), 0, 0, 0]);

  assert.equal(errnoOf(() => writeAt(h, enc.encode('x'), Number.MAX_SAFE_INTEGER)), C.ERRNO_FBIG);
  assert.equal(errnoOf(() => h.setSize(1n << 60n)), C.ERRNO_FBIG);
  assert.equal(errnoOf(() => h.allocate(0n, 0n)), C.ERRNO_INVAL);
  h.close();
  h.close(); // closing twice is harmless
  assert.equal(errnoOf(() => readAt(h, new Uint8Array(1), 0)), C.ERRNO_BADF);
  r.close();
});

test('appends grow the buffer by doubling: memory stays within twice the data', () => {
  const fs = new MemFs();
  const r = fs.root();
  const h = openFile(r, 'log', { oflags: C.OFLAGS_CREAT, write: true });
  const base = fs.usage().bytes;
  const line = enc.encode('0123456789abcdef\n');
  for (let i = 0; i < 5000; i++) writeAt(h, line, null);
  const size = 5000 * line.length;
  assert.equal(h.stat().size, BigInt(size));
  const used = fs.usage().bytes - base;
  assert.ok(used >= size && used <= 2 * size, `${used} bytes for ${size}`);
  // Truncating a large file gives most of the buffer back.
  h.setSize(10n);
  assert.ok(fs.usage().bytes - base < 1024, `${fs.usage().bytes - base} bytes after truncation`);
  h.close();
  r.close();
});

test('limits: bytes', () => {
  const fs = new MemFs({ maxBytes: 10_000 });
  const base = fs.usage().bytes;
  assert.equal(base, 0);
  fs.writeFile('a', new Uint8Array(4000));
  assert.equal(fs.usage().bytes, 4000 + 1 + ENTRY_OVERHEAD);
  // A write that does not fit fails whole and changes nothing.
  assert.equal(errnoOf(() => fs.writeFile('b', new Uint8Array(7000))), C.ERRNO_NOSPC);
  const r = fs.root();
  assert.equal(errnoOf(() => r.statAt('b', false)), C.ERRNO_NOENT); // not left behind
  assert.equal(fs.usage().bytes, 4000 + 1 + ENTRY_OVERHEAD);
  const h = openFile(r, 'b', { oflags: C.OFLAGS_CREAT, write: true });
  assert.equal(errnoOf(() => writeAt(h, new Uint8Array(7000), 0)), C.ERRNO_NOSPC);
  assert.equal(h.stat().size, 0n);
  // Doubling falls back to the exact size near the limit.
  writeAt(h, new Uint8Array(3000), 0);
  writeAt(h, new Uint8Array(2500), 3000);
  assert.equal(h.stat().size, 5500n);
  assert.ok(fs.usage().bytes <= 10_000);
  // Sparse growth is free; allocate reserves storage and says ENOSPC when it cannot.
  h.setSize(1_000_000n);
  assert.equal(errnoOf(() => h.allocate(0n, 1_000_000n)), C.ERRNO_NOSPC);
  h.close();
  // Unlinking gives the bytes back.
  r.unlink('a');
  r.unlink('b');
  assert.equal(fs.usage().bytes, 0);
  r.close();
});

test('limits: an unlinked file keeps its bytes until its last handle closes', () => {
  const fs = new MemFs({ maxBytes: 1000, maxInodes: 3 });
  fs.writeFile('f', new Uint8Array(800));
  const r = fs.root();
  const h = openFile(r, 'f');
  r.unlink('f');
  assert.equal(fs.usage().bytes, 800);
  assert.equal(fs.usage().inodes, 2);
  assert.equal(errnoOf(() => fs.writeFile('g', new Uint8Array(500))), C.ERRNO_NOSPC);
  assert.equal(readAll(h).length, 800);
  h.close();
  assert.deepEqual(fs.usage(), { bytes: 0, inodes: 1 });
  fs.writeFile('g', new Uint8Array(500));
  r.close();
});

test('limits: inodes', () => {
  const fs = new MemFs({ maxInodes: 4 });
  const r = fs.root();
  r.mkdir('d');
  r.symlink('d', 's');
  openFile(r, 'f', { oflags: C.OFLAGS_CREAT, write: true }).close();
  assert.equal(fs.usage().inodes, 4);
  assert.equal(errnoOf(() => r.mkdir('x')), C.ERRNO_NOSPC);
  assert.equal(errnoOf(() => r.symlink('d', 'x')), C.ERRNO_NOSPC);
  assert.equal(errnoOf(() => r.open('x', req({ oflags: C.OFLAGS_CREAT }))), C.ERRNO_NOSPC);
  assert.equal(errnoOf(() => r.statAt('x', false)), C.ERRNO_NOENT);
  // Hard links need no inode but their names cost bytes.
  r.link('f', false, r, 'f2');
  r.unlink('s');
  r.mkdir('x');
  // A directory handle keeps a removed directory's inode.
  const d = r.open('d', req()) as DirHandle;
  r.rmdir('d');
  assert.equal(errnoOf(() => r.mkdir('y')), C.ERRNO_NOSPC);
  d.close();
  r.mkdir('y');
  r.close();
});

test('limits: names cost bytes, so hard links and long names cannot grow memory without bound', () => {
  const fs = new MemFs({ maxBytes: 100 * (ENTRY_OVERHEAD + 10) });
  fs.writeFile('f', new Uint8Array(0));
  const r = fs.root();
  let made = 0;
  for (;;) {
    try {
      r.link('f', false, r, `link-${String(made).padStart(5, '0')}`);
      made++;
    } catch (err) {
      assert.ok(err instanceof Errno && err.errno === C.ERRNO_NOSPC);
      break;
    }
  }
  assert.equal(made, 99);
  // A rename to a longer name needs the difference.
  assert.equal(errnoOf(() => r.rename('link-00000', r, 'x'.repeat(200))), C.ERRNO_NOSPC);
  r.rename('link-00000', r, 'y');
  assert.equal(errnoOf(() => r.symlink('t'.repeat(100), 's')), C.ERRNO_NOSPC);
  r.close();
});

test('limits: options are checked', () => {
  assert.throws(() => new MemFs({ maxBytes: -1 }), TypeError);
  assert.throws(() => new MemFs({ maxInodes: 1.5 }), TypeError);
  assert.throws(() => new MemFs({ maxInodes: 0 }), TypeError); // the root needs one
});

test('rename and link across filesystems: EXDEV, nothing moves', () => {
  const a = new MemFs();
  const b = new MemFs();
  a.writeFile('f', enc.encode('x'));
  const ra = a.root();
  const rb = b.root();
  const host = HostDir.openRoot(os.tmpdir());
  for (const target of [rb, host] as DirHandle[]) {
    assert.equal(errnoOf(() => ra.rename('f', target, 'f')), C.ERRNO_XDEV);
    assert.equal(errnoOf(() => ra.link('f', false, target, 'f')), C.ERRNO_XDEV);
  }
  assert.equal(errnoOf(() => host.rename('x', ra, 'x')), C.ERRNO_XDEV);
  assert.equal(readPath(a, 'f'), 'x');
  // Two handles on the same filesystem are fine.
  const ra2 = a.root();
  ra.rename('f', ra2, 'g');
  assert.equal(readPath(a, 'g'), 'x');
  host.close();
  for (const h of [ra, ra2, rb]) h.close();
});

test('a directory handle follows its directory through renames', () => {
  const fs = new MemFs();
  fs.writeFile('a/b/f', enc.encode('in b'));
  const r = fs.root();
  const b = r.open('a/b', req()) as DirHandle;
  r.mkdir('z');
  r.rename('a/b', r, 'z/moved');
  const f = openFile(b, 'f');
  assert.equal(readAll(f), 'in b');
  f.close();
  assert.equal(r.statAt('a', false).nlink, 2n);
  assert.equal(r.statAt('z', false).nlink, 3n);
  assert.equal(b.readdir()[1]!.ino, r.statAt('z', false).ino);
  // Swapping a symlink in where the directory was cannot redirect the handle (no TOCTOU: the
  // handle holds the directory itself, and every call resolves its path in one step).
  r.symlink('../../escape', 'a/b');
  assert.equal(errnoOf(() => r.statAt('a/b/f', false)), C.ERRNO_NOTCAPABLE);
  assert.equal(b.statAt('f', false).size, 4n);
  b.close();
  r.close();
});

test('symlink expansion: 40 at most, relative to the link, trailing slash in the target', () => {
  const fs = new MemFs();
  fs.writeFile('dir/file', enc.encode('x'));
  const r = fs.root();
  // Each link adds one expansion: 40 in a path are fine, 41 loop.
  r.symlink('.', 'self');
  assert.equal(r.statAt(`${'self/'.repeat(40)}dir/file`, false).filetype, C.FILETYPE_REGULAR_FILE);
  assert.equal(errnoOf(() => r.statAt(`${'self/'.repeat(41)}dir/file`, false)), C.ERRNO_LOOP);
  r.symlink('../dir/file', 'dir/up');
  assert.equal(r.statAt('dir/up', true).filetype, C.FILETYPE_REGULAR_FILE);
  r.symlink('file/', 'dir/slash');
  assert.equal(errnoOf(() => r.statAt('dir/slash', true)), C.ERRNO_NOTDIR);
  r.close();
});

test('package helpers: writeFile, mkdirp, symlink', () => {
  const clock = manualClock(1n);
  const fs = new MemFs({ now: clock.now });
  const src = enc.encode('content');
  fs.writeFile('/etc/app/config.toml', src, { mtim: 1_600_000_000_000_000_000n });
  src.fill(0); // the filesystem keeps its own copy
  assert.equal(readPath(fs, 'etc/app/config.toml'), 'content');
  const r = fs.root();
  assert.equal(r.statAt('etc/app/config.toml', false).mtim, 1_600_000_000_000_000_000n);
  fs.writeFile('etc/app/config.toml', enc.encode('new'));
  assert.equal(readPath(fs, 'etc/app/config.toml'), 'new');

  fs.mkdirp('a/b/c');
  fs.mkdirp('a/b/c/');
  fs.mkdirp('');
  fs.symlink('a/b', 'ab');
  fs.mkdirp('ab/c/d'); // through a symlink
  assert.equal(r.statAt('a/b/c/d', false).filetype, C.FILETYPE_DIRECTORY);
  assert.equal(errnoOf(() => fs.mkdirp('etc/app/config.toml/x')), C.ERRNO_NOTDIR);
  assert.equal(errnoOf(() => fs.writeFile('a', new Uint8Array(1))), C.ERRNO_ISDIR);

  // A package may hold an absolute symlink; following it is refused.
  fs.symlink('/etc/passwd', 'lib/abs');
  assert.equal(r.readlink('lib/abs'), '/etc/passwd');
  assert.equal(errnoOf(() => r.open('lib/abs', req())), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => fs.symlink('', 'empty')), C.ERRNO_NOENT);
  assert.equal(errnoOf(() => fs.symlink('x', 'ab')), C.ERRNO_EXIST);
  assert.throws(() => fs.writeFile('a\0b', new Uint8Array(0)), TypeError);
  r.close();
});

test('package helpers take text and store its UTF-8 bytes; the guest sees those bytes', () => {
  const fs = new MemFs();
  fs.writeFile('café/ñ.txt', enc.encode('x'));
  fs.mkdirp('über');
  fs.symlink('ñ.txt', 'café/link');
  const r = fs.root();
  const names = (p: string): string[] => {
    const d = r.open(p, req({ oflags: C.OFLAGS_DIRECTORY })) as DirHandle;
    const out = d.readdir().map((e) => e.name).slice(2);
    d.close();
    return out;
  };
  // ByteStrings: one code unit per byte of the UTF-8 encoding.
  assert.deepEqual(names('.'), ['caf\xc3\xa9', '\xc3\xbcber']);
  assert.deepEqual(names('caf\xc3\xa9'), ['\xc3\xb1.txt', 'link']);
  assert.equal(r.readlink('caf\xc3\xa9/link'), '\xc3\xb1.txt');
  assert.equal(readPath(fs, 'caf\xc3\xa9/link'), 'x');
  r.close();
});

test('handles are the MemFs classes and report what they are', () => {
  const fs = new MemFs();
  fs.writeFile('f', new Uint8Array(0));
  const r = fs.root();
  assert.ok(r instanceof MemDir);
  const f = r.open('f', req());
  assert.ok(f instanceof MemFile);
  assert.deepEqual([r.kind, r.filetype, r.seekable], ['dir', C.FILETYPE_DIRECTORY, false]);
  assert.deepEqual([f.kind, f.filetype, f.seekable], ['file', C.FILETYPE_REGULAR_FILE, true]);
  f.sync();
  f.datasync();
  r.sync();
  r.datasync();
  f.close();
  r.close();
});
