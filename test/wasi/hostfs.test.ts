import assert from 'node:assert/strict';
import { errnoOf, readSmall } from '../support/file-io.js';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as C from '../../src/wasi/constants.js';
import { lib } from '../../src/wasi/fs/hostcalls.js';
import { HostDir } from '../../src/wasi/fs/hostfs.js';
import type { OpenRequest } from '../../src/wasi/fs/types.js';
import { runGuest } from '../support/guest.js';

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

test('paths inside the root resolve, including .. that stays inside', () => {
  assert.equal(readSmall(dir, 'inside'), 'inside');
  assert.equal(readSmall(dir, 'sub/deep/../../inside'), 'inside');
  assert.equal(readSmall(dir, './sub//./../inside'), 'inside');
});

test('.. past the root, absolute paths and empty paths are refused', () => {
  assert.equal(errnoOf(() => dir.open('../secret', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.open('sub/../../secret', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.open('sub/deep/../../../root/inside', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.open(`${base}/secret`, READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.open('', READ)), C.ERRNO_NOENT);
  assert.equal(errnoOf(() => dir.statAt('..', true)), C.ERRNO_NOTCAPABLE);
});

test('symlinks that point out are never followed out', () => {
  symlinkSync(join(base, 'secret'), join(root, 'abs-link'));
  symlinkSync('../secret', join(root, 'rel-link'));
  symlinkSync('../../..', join(root, 'sub', 'up-link'));
  symlinkSync('sub/up-link', join(root, 'chain'));
  symlinkSync('sub', join(root, 'to-sub'));
  assert.equal(errnoOf(() => dir.open('abs-link', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.open('rel-link', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.open('sub/up-link/secret', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.open('chain/secret', READ)), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.open('to-sub/../../secret', READ)), C.ERRNO_NOTCAPABLE);
  // ...but a symlink that stays inside works, and a final symlink without follow is ELOOP.
  assert.equal(readSmall(dir, 'to-sub/../inside'), 'inside');
  assert.equal(errnoOf(() => dir.open('to-sub', { ...READ, followFinal: false })), C.ERRNO_LOOP);
  // stat without follow describes the link itself, even one pointing out.
  assert.equal(dir.statAt('abs-link', false).filetype, C.FILETYPE_SYMBOLIC_LINK);
});

test('symlink loops end in ELOOP', () => {
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  assert.equal(errnoOf(() => dir.open('loop-a', READ)), C.ERRNO_LOOP);
});

test('creating a symlink with an absolute target is refused', () => {
  assert.equal(errnoOf(() => dir.symlink('/etc/passwd', 'evil')), C.ERRNO_PERM);
  assert.equal(existsSync(join(root, 'evil')), false);
});

test('a directory swapped for an outward symlink after lookup cannot be used to escape (TOCTOU)', () => {
  mkdirSync(join(root, 'swap'));
  writeFileSync(join(root, 'swap', 'secret'), 'inside-swap');
  assert.equal(readSmall(dir, 'swap/secret'), 'inside-swap');
  // The host (or another process) replaces the directory with a symlink pointing outside.
  renameSync(join(root, 'swap'), join(base, 'moved'));
  symlinkSync(base, join(root, 'swap'));
  assert.equal(errnoOf(() => dir.open('swap/secret', READ)), C.ERRNO_NOTCAPABLE);
});

test('rename and link cannot name anything outside', () => {
  assert.equal(errnoOf(() => dir.rename('inside', dir, '../stolen')), C.ERRNO_NOTCAPABLE);
  assert.equal(errnoOf(() => dir.link('../secret', false, dir, 'hard')), C.ERRNO_NOTCAPABLE);
  assert.equal(readFileSync(join(base, 'secret'), 'utf8'), 'outside');
  assert.equal(existsSync(join(base, 'stolen')), false);
});

test('NUL-free but odd names stay inside', () => {
  const h = dir.open('new file with spaces', { followFinal: false, oflags: C.OFLAGS_CREAT, read: true, write: true, fdflags: 0 });
  h.close();
  assert.ok(existsSync(join(root, 'new file with spaces')));
});

/** Names that are not text: Latin-1 'é', a lone 0xff, and (for contrast) UTF-8 'é'. */
const ODD_NAMES = [Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from([0x66, 0xff]), Buffer.from([0xc3, 0xa9])];
/** A symlink whose name and target are not UTF-8. */
const ODD_LINK = Buffer.from([0x6c, 0xfe]);
const ODD_TARGET = Buffer.from([0x74, 0xfd, 0x2f, 0x78]);

/** A fresh host directory `odd` under the root holding the odd names, made with Buffer paths. */
function oddDir(): { host: Buffer; names: Buffer[] } {
  const host = Buffer.from(join(root, 'odd'));
  mkdirSync(host);
  const inside = (name: Buffer): Buffer => Buffer.concat([host, Buffer.from('/'), name]);
  for (const n of ODD_NAMES) writeFileSync(inside(n), n);
  symlinkSync(ODD_TARGET, inside(ODD_LINK));
  return { host, names: [...ODD_NAMES, ODD_LINK].map(inside) };
}

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

test('host names that are not UTF-8 are listed, opened, read as links and removed by their exact bytes', () => {
  const { host, names } = oddDir();
  const d = dir.open('odd', { ...READ, oflags: C.OFLAGS_DIRECTORY });
  assert.equal(d.kind, 'dir');
  const listed = d.kind === 'dir' ? d.readdir().map((e) => e.name).filter((n) => n !== '.' && n !== '..') : [];
  d.close();
  assert.deepEqual(listed.map(bytes).sort(Buffer.compare), [...ODD_NAMES, ODD_LINK].sort(Buffer.compare));
  // Each file holds its own name: the right file is reached.
  for (const n of ODD_NAMES) assert.equal(readSmall(dir, `odd/${n.toString('latin1')}`), n.toString());
  assert.deepEqual(bytes(dir.readlink(`odd/${ODD_LINK.toString('latin1')}`)), ODD_TARGET);
  assert.equal(dir.statAt(`odd/${ODD_LINK.toString('latin1')}`, false).filetype, C.FILETYPE_SYMBOLIC_LINK);
  for (const n of listed) dir.unlink(`odd/${n}`);
  for (const p of names) assert.equal(existsSync(p), false);
  dir.rmdir('odd');
  assert.equal(existsSync(host), false);
});

test('a guest lists, reads and removes host names that are not UTF-8, byte for byte', () => {
  const { host } = oddDir();
  const code = runGuest([{ guestPath: '/', dir: HostDir.openRoot(root) }], (g) => {
    const [e, fd] = g.open(3, 'odd', { oflags: C.OFLAGS_DIRECTORY, rights: C.RIGHTS_DIRECTORY_BASE });
    assert.equal(e, C.ERRNO_SUCCESS);
    const names = g.readdirBytes(fd).filter((n) => n.toString('latin1') !== '.' && n.toString('latin1') !== '..');
    assert.deepEqual([...names].sort(Buffer.compare), [...ODD_NAMES, ODD_LINK].sort(Buffer.compare));
    const link = Buffer.concat([Buffer.from('odd/'), ODD_LINK]);
    const [lp, ll] = g.str(link);
    const out = g.alloc(64);
    const used = g.alloc(4);
    assert.equal(g.call('path_readlink', 3, lp, ll, out, 64, used), C.ERRNO_SUCCESS);
    assert.deepEqual(Buffer.from(g.bytes(out, g.u32(used))), ODD_TARGET);
    // Each name as the listing gave it reaches the same host file.
    for (const n of names) {
      const [p, l] = g.str(Buffer.concat([Buffer.from('odd/'), n]));
      assert.equal(g.call('path_unlink_file', 3, p, l), C.ERRNO_SUCCESS);
    }
    assert.equal(g.call('fd_close', fd), C.ERRNO_SUCCESS);
    const [dp, dl] = g.str('odd');
    assert.equal(g.call('path_remove_directory', 3, dp, dl), C.ERRNO_SUCCESS);
    // A guest path that is not UTF-8 names the host file with those very bytes.
    const made = Buffer.from([0x6e, 0xff, 0xfe]);
    const [e2, f] = g.open(3, made, { oflags: C.OFLAGS_CREAT });
    assert.equal(e2, C.ERRNO_SUCCESS);
    assert.equal(g.call('fd_close', f), C.ERRNO_SUCCESS);
    assert.equal(g.statPath(3, made)[0], C.ERRNO_SUCCESS);
  });
  assert.equal(code, 0);
  assert.equal(existsSync(host), false);
  const made = Buffer.concat([Buffer.from(root), Buffer.from('/'), Buffer.from([0x6e, 0xff, 0xfe])]);
  assert.equal(existsSync(made), true);
  rmSync(made);
});

test('a listing takes each entry type from the directory, and asks lstat when the file system gives none', () => {
  const folder = join(base, 'listing');
  mkdirSync(join(folder, 'sub'), { recursive: true });
  writeFileSync(join(folder, 'file'), '');
  symlinkSync('file', join(folder, 'link'));
  const listing = HostDir.openRoot(folder);
  const types = (): Record<string, number> => Object.fromEntries(listing.readdir().map((e) => [e.name, e.filetype]));
  const want = { '.': C.FILETYPE_DIRECTORY, '..': C.FILETYPE_DIRECTORY, file: C.FILETYPE_REGULAR_FILE, sub: C.FILETYPE_DIRECTORY, link: C.FILETYPE_SYMBOLIC_LINK };
  try {
    assert.deepEqual(types(), want);
    // A file system without d_type (DT_UNKNOWN for every entry), as some network ones are.
    const native = lib();
    const { readdir } = native;
    native.readdir = (fd) => {
      const flat = readdir(fd);
      return typeof flat === 'number' ? flat : flat.map((v, i) => (i % 3 === 2 ? 0 : v));
    };
    try {
      assert.deepEqual(types(), want);
    } finally {
      native.readdir = readdir;
    }
  } finally {
    listing.close();
  }
});

test('an APPEND descriptor appends in one step, whoever else appends meanwhile', () => {
  const log = join(base, 'shared.log');
  writeFileSync(log, '');
  const code = runGuest([{ guestPath: '/', dir: HostDir.openRoot(base) }], (g) => {
    const [e, fd] = g.open(3, 'shared.log', { fdflags: C.FDFLAGS_APPEND, rights: C.RIGHTS_REGULAR_FILE_BASE });
    assert.equal(e, C.ERRNO_SUCCESS);
    // Another process appends just before each of our writes reaches the kernel: a layer that
    // took the end from an earlier stat would write over its lines.
    const native = lib();
    const { write } = native;
    native.write = (...a) => (appendFileSync(log, 'other\n'), write(...a));
    try {
      g.write(fd, 'mine 1\n');
      g.write(fd, 'mine 2\n');
    } finally {
      native.write = write;
    }
    assert.equal(readFileSync(log, 'utf8'), 'other\nmine 1\nother\nmine 2\n');
    // The descriptor's offset is the end of our last write; without APPEND, writes go there again.
    const tell = g.alloc(8);
    assert.equal(g.call('fd_tell', fd, tell), C.ERRNO_SUCCESS);
    assert.equal(g.u64(tell), 26n);
    assert.equal(g.call('fd_fdstat_set_flags', fd, 0), C.ERRNO_SUCCESS);
    assert.equal(g.call('fd_seek', fd, 0n, C.WHENCE_SET, tell), C.ERRNO_SUCCESS);
    g.write(fd, 'MINE');
    assert.equal(readFileSync(log, 'utf8'), 'MINEr\nmine 1\nother\nmine 2\n');
  });
  assert.equal(code, 0);
});
