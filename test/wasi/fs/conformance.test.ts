/**
 * One table of directory-handle operations run against every DirHandle implementation: the
 * in-memory filesystem and host directories (a temp dir). Expected outcomes are Linux's
 * (checked against the kernel with the same calls through *at(2)); where an implementation
 * knowingly differs, its skip list says why.
 */
import { test } from 'node:test';
import { readAt, writeAt } from '../../support/file-io.js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as C from '../../../src/wasi/constants.js';
import { Errno } from '../../../src/wasi/errno.js';
import { HostDir } from '../../../src/wasi/fs/hostfs.js';
import { MemFs } from '../../../src/wasi/fs/memfs.js';
import type { DirHandle, FileHandle, OpenRequest } from '../../../src/wasi/fs/types.js';

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(C)
    .filter(([k, v]) => k.startsWith('ERRNO_') && typeof v === 'number')
    .map(([k, v]) => [v as number, 'E' + k.slice(6)]),
);

/** What one case works on: a fixture directory and a directory of another implementation. */
interface World {
  readonly root: DirHandle;
  readonly foreign: DirHandle;
}

/** An implementation under test. */
interface Impl {
  readonly name: string;
  /** A fresh fixture; `outside` (a file next to the fixture) must stay unreachable. */
  make(): World & { dispose(): void };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function req(o: Partial<OpenRequest> = {}): OpenRequest {
  return { followFinal: true, oflags: 0, read: true, write: false, fdflags: 0, ...o };
}

function kindName(filetype: number): string {
  switch (filetype) {
    case C.FILETYPE_REGULAR_FILE:
      return 'file';
    case C.FILETYPE_DIRECTORY:
      return 'dir';
    case C.FILETYPE_SYMBOLIC_LINK:
      return 'symlink';
    default:
      return `type${filetype}`;
  }
}

/** Opens and closes; the outcome is the kind of handle. */
function open(root: DirHandle, p: string, o: Partial<OpenRequest> = {}): string {
  const h = root.open(p, req(o));
  h.close();
  return h.kind;
}

function stat(root: DirHandle, p: string, follow = false): string {
  return kindName(root.statAt(p, follow).filetype);
}

function writeText(root: DirHandle, p: string, text: string, oflags = C.OFLAGS_CREAT | C.OFLAGS_TRUNC): void {
  const h = root.open(p, req({ oflags, write: true, followFinal: false })) as FileHandle;
  try {
    writeAt(h, enc.encode(text), 0);
  } finally {
    h.close();
  }
}

function readText(root: DirHandle, p: string): string {
  const h = root.open(p, req()) as FileHandle;
  try {
    const buf = new Uint8Array(4096);
    const n = readAt(h, buf, 0);
    return dec.decode(buf.subarray(0, n));
  } finally {
    h.close();
  }
}

/** Sorted names (without `.`/`..`) of a directory. */
function ls(root: DirHandle, p = '.'): string {
  const h = root.open(p, req({ oflags: C.OFLAGS_DIRECTORY })) as DirHandle;
  try {
    return h
      .readdir()
      .map((e) => e.name)
      .filter((n) => n !== '.' && n !== '..')
      .sort()
      .join(',');
  } finally {
    h.close();
  }
}

/** Runs `fn`; its value (`ok` for undefined) or the errno name it failed with. */
function outcome(fn: () => unknown): string {
  try {
    const v = fn();
    return v === undefined ? 'ok' : String(v);
  } catch (err) {
    if (err instanceof Errno) return ERRNO_NAMES.get(err.errno) ?? `errno${err.errno}`;
    throw err;
  }
}

/** The fixture every case starts from, built through the interface itself. */
function populate(root: DirHandle, rawSymlink: (target: string, p: string) => void): void {
  root.mkdir('d');
  writeText(root, 'd/f', 'hi');
  root.mkdir('d/sub');
  root.mkdir('e');
  writeText(root, 'f', 'data');
  root.symlink('f', 'l_f');
  root.symlink('d', 'l_d');
  root.symlink('e', 'l_e');
  root.symlink('d/', 'l_dslash');
  root.symlink('nowhere', 'l_dangling');
  root.symlink('l_loop', 'l_loop');
  root.symlink('../outside', 'l_up');
  root.symlink('d/..', 'l_dd');
  root.symlink('../f', 'd/l_par');
  root.symlink('../../outside', 'd/l_up2');
  rawSymlink('/etc', 'l_abs');
}

const memImpl: Impl = {
  name: 'MemFs',
  make() {
    const mfs = new MemFs();
    mfs.writeFile('outside', enc.encode('secret'));
    mfs.mkdirp('jail');
    const top = mfs.root();
    const root = top.open('jail', req()) as DirHandle;
    top.close();
    populate(root, (target, p) => mfs.symlink(target, `jail/${p}`));
    const foreign = HostDir.openRoot(os.tmpdir());
    return {
      root,
      foreign,
      dispose() {
        root.close();
        foreign.close();
      },
    };
  },
};

const hostImpl: Impl = {
  name: 'HostDir',
  make() {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'enarx-conf-'));
    fs.writeFileSync(path.join(base, 'outside'), 'secret');
    fs.mkdirSync(path.join(base, 'root'));
    const root = HostDir.openRoot(path.join(base, 'root'));
    populate(root, (target, p) => fs.symlinkSync(target, path.join(base, 'root', p)));
    const foreign = new MemFs().root();
    return {
      root,
      foreign,
      dispose() {
        root.close();
        foreign.close();
        fs.rmSync(base, { recursive: true, force: true });
      },
    };
  },
};

type Case = readonly [name: string, run: (w: World) => unknown, expected: string];

const long = (n: number): string => 'a'.repeat(n);
/** A present-day time in ns (2023-11-14). */
const T = 1_700_000_000_000_000_000n;

/** Makes, lists, reads and removes names whose bytes are not UTF-8: what it saw, then what is left. */
function oddNames(root: DirHandle): string {
  const odd = (): string => ls(root).split(',').filter((n) => /[^\x00-\x7f]/.test(n)).join(',');
  writeText(root, 'n\xff', 'x');
  root.mkdir('d\xfe');
  root.symlink('t\xfd/\xfb', 'l\xfc');
  const seen = `${odd()} ${root.readlink('l\xfc')} ${readText(root, 'n\xff')}`;
  root.unlink('n\xff');
  root.unlink('l\xfc');
  root.rmdir('d\xfe');
  return `${seen} [${odd()}]`;
}

/** A symlink chain c0 → c1 → … → c{n-1} → f. */
function chain(root: DirHandle, n: number): void {
  for (let i = 0; i < n; i++) root.symlink(i === n - 1 ? 'f' : `c${i + 1}`, `c${i}`);
}

const CASES: readonly Case[] = [
  // open
  ['open file', ({ root }) => open(root, 'f'), 'file'],
  ['open dir', ({ root }) => open(root, 'd'), 'dir'],
  ['open .', ({ root }) => open(root, '.'), 'dir'],
  ['open d/..', ({ root }) => open(root, 'd/..'), 'dir'],
  ['open d/', ({ root }) => open(root, 'd/'), 'dir'],
  ['open missing', ({ root }) => open(root, 'nope'), 'ENOENT'],
  ['open in missing dir', ({ root }) => open(root, 'nope/x'), 'ENOENT'],
  ['open through a file', ({ root }) => open(root, 'f/x'), 'ENOTDIR'],
  ['open file/', ({ root }) => open(root, 'f/'), 'ENOTDIR'],
  ['open file O_DIRECTORY', ({ root }) => open(root, 'f', { oflags: C.OFLAGS_DIRECTORY }), 'ENOTDIR'],
  ['open dir for writing', ({ root }) => open(root, 'd', { write: true }), 'EISDIR'],
  ['open dir O_TRUNC', ({ root }) => open(root, 'd', { oflags: C.OFLAGS_TRUNC, write: true }), 'EISDIR'],
  ['open dir O_CREAT', ({ root }) => open(root, 'd', { oflags: C.OFLAGS_CREAT }), 'EISDIR'],
  ['open . O_CREAT', ({ root }) => open(root, '.', { oflags: C.OFLAGS_CREAT }), 'EISDIR'],
  ['open . O_CREAT|O_EXCL', ({ root }) => open(root, '.', { oflags: C.OFLAGS_CREAT | C.OFLAGS_EXCL }), 'EEXIST'],
  ['open file O_CREAT|O_EXCL', ({ root }) => open(root, 'f', { oflags: C.OFLAGS_CREAT | C.OFLAGS_EXCL }), 'EEXIST'],
  ['open dir O_CREAT|O_EXCL', ({ root }) => open(root, 'd', { oflags: C.OFLAGS_CREAT | C.OFLAGS_EXCL }), 'EEXIST'],
  ['open symlink O_CREAT|O_EXCL', ({ root }) => open(root, 'l_f', { oflags: C.OFLAGS_CREAT | C.OFLAGS_EXCL }), 'EEXIST'],
  ['open O_CREAT creates', ({ root }) => `${open(root, 'new', { oflags: C.OFLAGS_CREAT })} ${stat(root, 'new')}`, 'file file'],
  ['open O_CREAT in missing dir', ({ root }) => open(root, 'nope/new', { oflags: C.OFLAGS_CREAT }), 'ENOENT'],
  ['open new/ O_CREAT', ({ root }) => open(root, 'new/', { oflags: C.OFLAGS_CREAT }), 'EISDIR'],
  ['open d/ O_CREAT', ({ root }) => open(root, 'd/', { oflags: C.OFLAGS_CREAT }), 'EISDIR'],
  ['open f/ O_CREAT', ({ root }) => open(root, 'f/', { oflags: C.OFLAGS_CREAT }), 'EISDIR'],
  ['open d/../ O_CREAT|O_EXCL', ({ root }) => open(root, 'd/../', { oflags: C.OFLAGS_CREAT | C.OFLAGS_EXCL }), 'EEXIST'],
  ['open ./ O_CREAT|O_EXCL', ({ root }) => open(root, './', { oflags: C.OFLAGS_CREAT | C.OFLAGS_EXCL }), 'EEXIST'],
  ['open loop/ O_CREAT', ({ root }) => open(root, 'l_loop/', { oflags: C.OFLAGS_CREAT }), 'EISDIR'],
  ['open symlink climbing out/ O_CREAT', ({ root }) => open(root, 'l_up/', { oflags: C.OFLAGS_CREAT }), 'EISDIR'],
  ['open symlink to d/ O_CREAT', ({ root }) => open(root, 'l_dslash', { oflags: C.OFLAGS_CREAT }), 'EISDIR'],
  ['open O_TRUNC empties', ({ root }) => `${open(root, 'f', { oflags: C.OFLAGS_TRUNC, write: true })}:${readText(root, 'f')}`, 'file:'],
  ['open symlink followed', ({ root }) => open(root, 'l_f'), 'file'],
  ['open symlink not followed', ({ root }) => open(root, 'l_f', { followFinal: false }), 'ELOOP'],
  ['open symlink not followed, O_DIRECTORY', ({ root }) => open(root, 'l_d', { followFinal: false, oflags: C.OFLAGS_DIRECTORY }), 'ENOTDIR'],
  ['open symlink not followed, O_CREAT', ({ root }) => open(root, 'l_f', { followFinal: false, oflags: C.OFLAGS_CREAT }), 'ELOOP'],
  ['open symlink/ not followed: slash follows', ({ root }) => open(root, 'l_d/', { followFinal: false }), 'dir'],
  ['open symlink to dir', ({ root }) => open(root, 'l_d'), 'dir'],
  ['open symlink to d/..', ({ root }) => open(root, 'l_dd'), 'dir'],
  ['open dangling symlink', ({ root }) => open(root, 'l_dangling'), 'ENOENT'],
  ['open dangling symlink O_CREAT creates its target', ({ root }) => `${open(root, 'l_dangling', { oflags: C.OFLAGS_CREAT })} ${stat(root, 'nowhere')}`, 'file file'],
  ['open dangling symlink O_CREAT|O_EXCL', ({ root }) => open(root, 'l_dangling', { oflags: C.OFLAGS_CREAT | C.OFLAGS_EXCL }), 'EEXIST'],
  ['open self loop', ({ root }) => open(root, 'l_loop'), 'ELOOP'],
  ['open self loop not followed', ({ root }) => open(root, 'l_loop', { followFinal: false }), 'ELOOP'],
  ['open through a loop', ({ root }) => open(root, 'l_loop/x'), 'ELOOP'],
  ['open through a symlink to a file', ({ root }) => open(root, 'l_f/x'), 'ENOTDIR'],
  ['symlink chain of 40 resolves', ({ root }) => (chain(root, 40), open(root, 'c0')), 'file'],
  ['symlink chain of 41 loops', ({ root }) => (chain(root, 41), open(root, 'c0')), 'ELOOP'],
  ['two symlinks in a cycle', ({ root }) => (root.symlink('b', 'a'), root.symlink('a', 'b'), stat(root, 'a', true)), 'ELOOP'],

  // escapes
  ['open ..', ({ root }) => open(root, '..'), 'ENOTCAPABLE'],
  ['open ../outside', ({ root }) => open(root, '../outside'), 'ENOTCAPABLE'],
  ['open d/../../outside', ({ root }) => open(root, 'd/../../outside'), 'ENOTCAPABLE'],
  ['stat ..', ({ root }) => stat(root, '..'), 'ENOTCAPABLE'],
  ['open absolute path', ({ root }) => open(root, '/etc/passwd'), 'ENOTCAPABLE'],
  ['stat /', ({ root }) => stat(root, '/'), 'ENOTCAPABLE'],
  ['open absolute symlink', ({ root }) => open(root, 'l_abs'), 'ENOTCAPABLE'],
  ['open through absolute symlink', ({ root }) => open(root, 'l_abs/passwd'), 'ENOTCAPABLE'],
  ['lstat absolute symlink', ({ root }) => stat(root, 'l_abs'), 'symlink'],
  ['open symlink climbing out', ({ root }) => open(root, 'l_up'), 'ENOTCAPABLE'],
  ['open symlink climbing out from a subdir', ({ root }) => open(root, 'd/l_up2'), 'ENOTCAPABLE'],
  ['symlink to ../f inside the tree', ({ root }) => readText(root, 'd/l_par'), 'data'],
  ['subdir handle: .. is out of reach', ({ root }) => withDir(root, 'd', (d) => open(d, '..')), 'ENOTCAPABLE'],
  ['subdir handle: sub/../.. is out of reach', ({ root }) => withDir(root, 'd', (d) => open(d, 'sub/../..')), 'ENOTCAPABLE'],
  ['subdir handle: symlink to ../f is out of reach', ({ root }) => withDir(root, 'd', (d) => open(d, 'l_par')), 'ENOTCAPABLE'],
  ['subdir handle: sub/.. stays inside', ({ root }) => withDir(root, 'd', (d) => readText(d, 'sub/../f')), 'hi'],
  ['mkdir ../x', ({ root }) => root.mkdir('../x'), 'ENOTCAPABLE'],
  ['symlink at ../x', ({ root }) => root.symlink('f', '../x'), 'ENOTCAPABLE'],
  ['rename to ../x', ({ root }) => root.rename('f', root, '../x'), 'ENOTCAPABLE'],
  ['unlink ../outside', ({ root }) => root.unlink('../outside'), 'ENOTCAPABLE'],
  ['creating through a symlink climbing out', ({ root }) => (root.symlink('../newfile', 'l_new'), open(root, 'l_new', { oflags: C.OFLAGS_CREAT })), 'ENOTCAPABLE'],

  // paths
  ['stat empty path', ({ root }) => stat(root, ''), 'ENOENT'],
  ['stat with . and empty components', ({ root }) => stat(root, './d//./f'), 'file'],
  ['stat with .. inside', ({ root }) => stat(root, 'd/sub/../f'), 'file'],
  ['stat symlink', ({ root }) => stat(root, 'l_f'), 'symlink'],
  ['stat symlink followed', ({ root }) => stat(root, 'l_f', true), 'file'],
  ['stat symlink/ to file', ({ root }) => stat(root, 'l_f/'), 'ENOTDIR'],
  ['stat symlink/ to dir', ({ root }) => stat(root, 'l_d/'), 'dir'],
  ['stat dangling symlink', ({ root }) => stat(root, 'l_dangling'), 'symlink'],
  ['stat dangling symlink followed', ({ root }) => stat(root, 'l_dangling', true), 'ENOENT'],
  ['stat dangling symlink/', ({ root }) => stat(root, 'l_dangling/'), 'ENOENT'],
  ['stat 256-byte name', ({ root }) => stat(root, long(256)), 'ENAMETOOLONG'],
  ['mkdir 255-byte name', ({ root }) => root.mkdir(long(255)), 'ok'],
  ['mkdir 256-byte name', ({ root }) => root.mkdir(long(256)), 'ENAMETOOLONG'],
  ['mkdir 256-byte name in a missing dir', ({ root }) => root.mkdir(`nope/${long(256)}`), 'ENOENT'],
  ['deep path', ({ root }) => deep(root, 200), 'file'],
  // Names are bytes (as ByteStrings, one code unit per byte): ones that are not UTF-8 work as any other.
  ['names that are not UTF-8', ({ root }) => oddNames(root), 'd\xfe,l\xfc,n\xff t\xfd/\xfb x []'],
  ['mkdir 255-byte name of 2-byte UTF-8 characters', ({ root }) => root.mkdir(`${'\xc3\xa9'.repeat(127)}a`), 'ok'],
  ['mkdir 256-byte name of 2-byte UTF-8 characters', ({ root }) => root.mkdir('\xc3\xa9'.repeat(128)), 'ENAMETOOLONG'],

  // mkdir
  ['mkdir', ({ root }) => (root.mkdir('new'), stat(root, 'new')), 'dir'],
  ['mkdir new/', ({ root }) => (root.mkdir('new/'), stat(root, 'new')), 'dir'],
  ['mkdir existing dir', ({ root }) => root.mkdir('d'), 'EEXIST'],
  ['mkdir existing file', ({ root }) => root.mkdir('f'), 'EEXIST'],
  ['mkdir existing file/', ({ root }) => root.mkdir('f/'), 'EEXIST'],
  ['mkdir dangling symlink', ({ root }) => root.mkdir('l_dangling'), 'EEXIST'],
  ['mkdir dangling symlink/', ({ root }) => root.mkdir('l_dangling/'), 'EEXIST'],
  ['mkdir .', ({ root }) => root.mkdir('.'), 'EEXIST'],
  ['mkdir d/..', ({ root }) => root.mkdir('d/..'), 'EEXIST'],
  ['mkdir in missing dir', ({ root }) => root.mkdir('nope/x'), 'ENOENT'],
  ['mkdir under a file', ({ root }) => root.mkdir('f/x'), 'ENOTDIR'],
  ['mkdir through a symlink', ({ root }) => (root.mkdir('l_d/x'), stat(root, 'd/x')), 'dir'],
  ['mkdir adds a link to the parent', ({ root }) => nlinkDelta(root, 'd', () => root.mkdir('d/x')), '1'],

  // rmdir
  ['rmdir', ({ root }) => (root.rmdir('e'), outcome(() => stat(root, 'e'))), 'ENOENT'],
  ['rmdir e/', ({ root }) => root.rmdir('e/'), 'ok'],
  ['rmdir non-empty', ({ root }) => root.rmdir('d'), 'ENOTEMPTY'],
  ['rmdir file', ({ root }) => root.rmdir('f'), 'ENOTDIR'],
  ['rmdir symlink to dir', ({ root }) => root.rmdir('l_e'), 'ENOTDIR'],
  ['rmdir symlink/ to dir', ({ root }) => `${outcome(() => root.rmdir('l_e/'))} ${stat(root, 'e')}`, 'ENOTDIR dir'],
  ['rmdir missing', ({ root }) => root.rmdir('nope'), 'ENOENT'],
  ['rmdir .', ({ root }) => root.rmdir('.'), 'EINVAL'],
  ['rmdir d/.', ({ root }) => root.rmdir('d/.'), 'EINVAL'],
  ['rmdir e/..', ({ root }) => root.rmdir('e/..'), 'ENOTEMPTY'],
  ['rmdir ..', ({ root }) => root.rmdir('..'), 'ENOTCAPABLE'],
  ['rmdir removes a link from the parent', ({ root }) => nlinkDelta(root, '.', () => root.rmdir('e')), '-1'],

  // unlink
  ['unlink', ({ root }) => (root.unlink('f'), outcome(() => stat(root, 'f'))), 'ENOENT'],
  ['unlink symlink keeps its target', ({ root }) => (root.unlink('l_f'), stat(root, 'f')), 'file'],
  ['unlink dangling symlink', ({ root }) => root.unlink('l_dangling'), 'ok'],
  ['unlink dir', ({ root }) => root.unlink('d'), 'EISDIR'],
  ['unlink dir/', ({ root }) => root.unlink('d/'), 'EISDIR'],
  ['unlink file/', ({ root }) => root.unlink('f/'), 'ENOTDIR'],
  ['unlink symlink/ to file', ({ root }) => root.unlink('l_f/'), 'ENOTDIR'],
  ['unlink symlink/ to dir', ({ root }) => root.unlink('l_d/'), 'ENOTDIR'],
  ['unlink .', ({ root }) => root.unlink('.'), 'EISDIR'],
  ['unlink d/..', ({ root }) => root.unlink('d/..'), 'EISDIR'],
  ['unlink missing', ({ root }) => root.unlink('nope'), 'ENOENT'],
  ['unlink missing/', ({ root }) => root.unlink('nope/'), 'ENOENT'],

  // rename
  ['rename file', ({ root }) => (root.rename('f', root, 'g'), `${ls(root)}:${readText(root, 'g')}`), 'd,e,g,l_abs,l_d,l_dangling,l_dd,l_dslash,l_e,l_f,l_loop,l_up:data'],
  ['rename file over file', ({ root }) => (root.rename('d/f', root, 'f'), `${readText(root, 'f')}:${ls(root, 'd')}`), 'hi:l_par,l_up2,sub'],
  ['rename file over dir', ({ root }) => root.rename('f', root, 'e'), 'EISDIR'],
  ['rename dir over file', ({ root }) => root.rename('e', root, 'f'), 'ENOTDIR'],
  ['rename dir over non-empty dir', ({ root }) => root.rename('e', root, 'd'), 'ENOTEMPTY'],
  ['rename dir over empty dir', ({ root }) => (root.rename('d', root, 'e'), ls(root, 'e')), 'f,l_par,l_up2,sub'],
  ['rename dir into itself', ({ root }) => root.rename('d', root, 'd/sub/x'), 'EINVAL'],
  ['rename dir to a child of itself', ({ root }) => root.rename('d', root, 'd/x'), 'EINVAL'],
  ['rename file over its parent dir', ({ root }) => root.rename('d/f', root, 'd'), 'ENOTEMPTY'],
  ['rename dir over its parent dir', ({ root }) => root.rename('d/sub', root, 'd'), 'ENOTEMPTY'],
  ['rename dir onto itself', ({ root }) => (root.rename('d', root, 'd'), stat(root, 'd')), 'dir'],
  ['rename dir onto itself/', ({ root }) => root.rename('d', root, 'd/'), 'ok'],
  ['rename dir to new/', ({ root }) => (root.rename('d', root, 'd2/'), stat(root, 'd2/f')), 'file'],
  ['rename file to new/', ({ root }) => root.rename('f', root, 'x/'), 'ENOTDIR'],
  ['rename file onto file/', ({ root }) => root.rename('f', root, 'f/'), 'ENOTDIR'],
  ['rename symlink/ to dir', ({ root }) => `${outcome(() => root.rename('l_d/', root, 'x'))} ${stat(root, 'd')}`, 'ENOTDIR dir'],
  ['rename symlink renames the link', ({ root }) => (root.rename('l_f', root, 'x'), `${stat(root, 'x')} ${stat(root, 'f')}`), 'symlink file'],
  ['rename .', ({ root }) => root.rename('.', root, 'x'), 'EBUSY'],
  ['rename onto .', ({ root }) => root.rename('f', root, '.'), 'EBUSY'],
  ['rename onto d/..', ({ root }) => root.rename('d/f', root, 'd/..'), 'EBUSY'],
  ['rename missing onto ./', ({ root }) => root.rename('nope', root, './'), 'EBUSY'],
  ['rename missing', ({ root }) => root.rename('nope', root, 'x'), 'ENOENT'],
  ['rename missing into missing dir', ({ root }) => root.rename('nope', root, 'nodir/x'), 'ENOENT'],
  ['rename missing under a file', ({ root }) => root.rename('nope', root, 'f/x'), 'ENOTDIR'],
  ['rename between hard links of one file', ({ root }) => (root.link('f', false, root, 'f2'), root.rename('f', root, 'f2'), `${stat(root, 'f')} ${stat(root, 'f2')}`), 'file file'],
  ['rename dir across parents moves a link', ({ root }) => nlinkDelta(root, 'd', () => root.rename('e', root, 'd/e')), '1'],
  ['rename through two handles', ({ root }) => withDir(root, 'd', (d) => (root.rename('f', d, 'moved'), readText(d, 'moved'))), 'data'],
  ['rename to another filesystem', ({ root, foreign }) => root.rename('f', foreign, 'x'), 'EXDEV'],

  // link
  ['link', ({ root }) => (root.link('f', false, root, 'g'), `${readText(root, 'g')} ${root.statAt('f', false).nlink}`), 'data 2'],
  ['link dir', ({ root }) => root.link('d', false, root, 'new'), 'EPERM'],
  ['link dir/', ({ root }) => root.link('d/', false, root, 'new'), 'EPERM'],
  ['link .', ({ root }) => root.link('.', false, root, 'new'), 'EPERM'],
  ['link dir onto existing', ({ root }) => root.link('d', false, root, 'f'), 'EEXIST'],
  ['link onto existing', ({ root }) => root.link('f', false, root, 'e'), 'EEXIST'],
  ['link onto existing/', ({ root }) => root.link('f', false, root, 'e/'), 'EEXIST'],
  ['link onto .', ({ root }) => root.link('f', false, root, '.'), 'EEXIST'],
  ['link onto new/', ({ root }) => root.link('f', false, root, 'new/'), 'ENOENT'],
  ['link dir onto new/', ({ root }) => root.link('.', false, root, 'new/'), 'ENOENT'],
  ['link ./ onto .', ({ root }) => root.link('./', false, root, '.'), 'EEXIST'],
  ['link dir/ onto existing', ({ root }) => root.link('d/', false, root, 'e'), 'EEXIST'],
  ['link missing onto ./', ({ root }) => root.link('nope', false, root, './'), 'ENOENT'],
  ['link file/', ({ root }) => root.link('f/', false, root, 'new'), 'ENOTDIR'],
  ['link missing', ({ root }) => root.link('nope', false, root, 'x'), 'ENOENT'],
  ['link missing into missing dir', ({ root }) => root.link('nope', false, root, 'nodir/x'), 'ENOENT'],
  ['link symlink itself', ({ root }) => (root.link('l_dangling', false, root, 'new'), stat(root, 'new')), 'symlink'],
  ['link dangling symlink followed', ({ root }) => root.link('l_dangling', true, root, 'new'), 'ENOENT'],
  ['link symlink followed', ({ root }) => (root.link('l_f', true, root, 'new'), stat(root, 'new')), 'file'],
  ['link to another filesystem', ({ root, foreign }) => root.link('f', false, foreign, 'x'), 'EXDEV'],

  // symlink
  ['symlink', ({ root }) => (root.symlink('d/f', 's'), `${root.readlink('s')}:${readText(root, 's')}`), 'd/f:hi'],
  ['symlink absolute target', ({ root }) => root.symlink('/etc', 's'), 'EPERM'],
  ['symlink empty target', ({ root }) => root.symlink('', 's'), 'ENOENT'],
  ['symlink 4095-byte target', ({ root }) => root.symlink(long(4095), 's'), 'ok'],
  ['symlink 4096-byte target', ({ root }) => root.symlink(long(4096), 's'), 'ENAMETOOLONG'],
  ['symlink climbing out may be created', ({ root }) => (root.symlink('../x', 's'), root.readlink('s')), '../x'],
  ['symlink onto existing', ({ root }) => root.symlink('x', 'f'), 'EEXIST'],
  ['symlink onto existing/', ({ root }) => root.symlink('x', 'f/'), 'EEXIST'],
  ['symlink onto dangling symlink/', ({ root }) => root.symlink('x', 'l_dangling/'), 'EEXIST'],
  ['symlink onto new/', ({ root }) => root.symlink('x', 'new/'), 'ENOENT'],
  ['symlink onto .', ({ root }) => root.symlink('x', '.'), 'EEXIST'],
  ['symlink in missing dir', ({ root }) => root.symlink('x', 'nope/s'), 'ENOENT'],

  // readlink
  ['readlink', ({ root }) => root.readlink('l_f'), 'f'],
  ['readlink absolute', ({ root }) => root.readlink('l_abs'), '/etc'],
  ['readlink climbing out', ({ root }) => root.readlink('l_up'), '../outside'],
  ['readlink through a symlink', ({ root }) => root.readlink('l_d/l_par'), '../f'],
  ['readlink file', ({ root }) => root.readlink('f'), 'EINVAL'],
  ['readlink .', ({ root }) => root.readlink('.'), 'EINVAL'],
  ['readlink missing', ({ root }) => root.readlink('nope'), 'ENOENT'],
  ['readlink missing/', ({ root }) => root.readlink('nope/'), 'ENOENT'],
  ['readlink symlink/ to file', ({ root }) => root.readlink('l_f/'), 'ENOTDIR'],
  ['readlink symlink/ to dir', ({ root }) => root.readlink('l_d/'), 'EINVAL'],
  ['readlink dangling symlink/', ({ root }) => root.readlink('l_dangling/'), 'ENOENT'],

  // times
  ['setTimesAt exact ns', ({ root }) => (root.setTimesAt('f', false, { atim: T + 123_456_789n, mtim: T - 987_654_321n }), times(root, 'f')), `${T + 123_456_789n} ${T - 987_654_321n}`],
  ['setTimesAt exact ns near the epoch', ({ root }) => (root.setTimesAt('f', false, { atim: 5n, mtim: 12n }), times(root, 'f')), '5 12'],
  ['setTimesAt atime only', ({ root }) => (root.setTimesAt('f', false, { mtim: T + 1n }), root.setTimesAt('f', false, { atim: T + 7n }), times(root, 'f')), `${T + 7n} ${T + 1n}`],
  ['setTimesAt symlink itself', ({ root }) => (root.setTimesAt('f', false, { atim: T + 5n, mtim: T + 5n }), root.setTimesAt('l_f', false, { atim: T + 9n, mtim: T + 9n }), `${times(root, 'l_f')} ${times(root, 'f')}`), `${T + 9n} ${T + 9n} ${T + 5n} ${T + 5n}`],
  ['setTimesAt symlink followed', ({ root }) => (root.setTimesAt('l_f', true, { atim: T + 11n, mtim: T + 12n }), times(root, 'f')), `${T + 11n} ${T + 12n}`],
  ['setTimesAt missing', ({ root }) => root.setTimesAt('nope', false, { atim: 1n }), 'ENOENT'],
  ['setTimesAt file/', ({ root }) => root.setTimesAt('f/', false, { atim: 1n }), 'ENOTDIR'],
  ['handle setTimes', ({ root }) => withFile(root, 'f', (h) => (h.setTimes({ atim: T + 3n, mtim: T + 4n }), `${h.stat().atim} ${h.stat().mtim}`)), `${T + 3n} ${T + 4n}`],
  ['write moves mtime and ctime', ({ root }) => (root.setTimesAt('f', false, { atim: 1n, mtim: 1n }), writeText(root, 'f', 'x', 0), root.statAt('f', false).mtim > 1n), 'true'],
  ['creating moves the parent mtime', ({ root }) => (root.setTimesAt('d', false, { mtim: 1n }), writeText(root, 'd/new', 'x'), root.statAt('d', false).mtim > 1n), 'true'],
  ['unlink moves the parent mtime', ({ root }) => (root.setTimesAt('d', false, { mtim: 1n }), root.unlink('d/f'), root.statAt('d', false).mtim > 1n), 'true'],
  ['rename moves both parents mtime', ({ root }) => (root.setTimesAt('d', false, { mtim: 1n }), root.setTimesAt('e', false, { mtim: 1n }), root.rename('d/f', root, 'e/f'), root.statAt('d', false).mtim > 1n && root.statAt('e', false).mtim > 1n), 'true'],

  // readdir
  ['readdir lists . and ..', ({ root }) => withDir(root, 'd', (d) => d.readdir().map((e) => `${e.name}:${kindName(e.filetype)}`).sort().join(',')), '..:dir,.:dir,f:file,l_par:symlink,l_up2:symlink,sub:dir'],
  ['readdir inode numbers', ({ root }) => withDir(root, 'd', (d) => inodes(root, d)), 'ok'],

  // open files
  ['write past the end zero-fills', ({ root }) => withFile(root, 'f', (h) => (writeAt(h, enc.encode('Z'), 6), `${h.stat().size} ${[...readAll(h)].join('.')}`), true), '7 100.97.116.97.0.0.90'],
  ['read at and past the end', ({ root }) => withFile(root, 'f', (h) => `${readAt(h, new Uint8Array(4), 4)} ${readAt(h, new Uint8Array(4), 100)} ${readAt(h, new Uint8Array(8), 2)}`), '0 0 2'],
  ['setSize grows with zeros and shrinks', ({ root }) => withFile(root, 'f', (h) => (h.setSize(6n), h.setSize(3n), h.setSize(5n), [...readAll(h)].join('.')), true), '100.97.116.0.0'],
  ['allocate grows', ({ root }) => withFile(root, 'f', (h) => (h.allocate(0n, 10n), h.allocate(2n, 2n), h.stat().size), true), '10'],
  ['write on a read-only handle', ({ root }) => withFile(root, 'f', (h) => writeAt(h, enc.encode('x'), 0)), 'EBADF'],
  ['read on a write-only handle', ({ root }) => withFile(root, 'f', (h) => readAt(h, new Uint8Array(1), 0), true, false), 'EBADF'],
  ['setSize on a read-only handle', ({ root }) => withFile(root, 'f', (h) => h.setSize(0n)), 'EINVAL'],
  ['unlinked file stays open', ({ root }) => withFile(root, 'f', (h) => (root.unlink('f'), `${dec.decode(readAll(h))} ${h.stat().nlink} ${outcome(() => stat(root, 'f'))}`)), 'data 0 ENOENT'],
  ['file replaced by rename stays open', ({ root }) => withFile(root, 'f', (h) => (root.rename('d/f', root, 'f'), `${dec.decode(readAll(h))} ${readText(root, 'f')}`)), 'data hi'],

  // a directory handle on a removed directory
  ['removed dir: mkdir inside', ({ root }) => withDir(root, 'e', (e) => (root.rmdir('e'), e.mkdir('x'))), 'ENOENT'],
  ['removed dir: create inside', ({ root }) => withDir(root, 'e', (e) => (root.rmdir('e'), open(e, 'x', { oflags: C.OFLAGS_CREAT, write: true }))), 'ENOENT'],
  ['removed dir: symlink inside', ({ root }) => withDir(root, 'e', (e) => (root.rmdir('e'), e.symlink('t', 'x'))), 'ENOENT'],
  ['removed dir: link into', ({ root }) => withDir(root, 'e', (e) => (root.rmdir('e'), root.link('f', false, e, 'x'))), 'ENOENT'],
  ['removed dir: rename into', ({ root }) => withDir(root, 'e', (e) => (root.rmdir('e'), root.rename('f', e, 'x'))), 'ENOENT'],
  ['removed dir: readdir is empty', ({ root }) => withDir(root, 'e', (e) => (root.rmdir('e'), e.readdir().map((x) => x.name).join(','))), '.,..'],
  ['removed dir: stat', ({ root }) => withDir(root, 'e', (e) => (root.rmdir('e'), `${e.stat().nlink} ${stat(e, '.')}`)), '0 dir'],
  ['removed dir: mkdir .', ({ root }) => withDir(root, 'e', (e) => (root.rmdir('e'), e.mkdir('.'))), 'EEXIST'],
  ['removed dir: rmdir .', ({ root }) => withDir(root, 'e', (e) => (root.rmdir('e'), e.rmdir('.'))), 'EINVAL'],
];

function withDir<T>(root: DirHandle, p: string, fn: (d: DirHandle) => T): T {
  const d = root.open(p, req({ oflags: C.OFLAGS_DIRECTORY })) as DirHandle;
  try {
    return fn(d);
  } finally {
    d.close();
  }
}

function withFile<T>(root: DirHandle, p: string, fn: (h: FileHandle) => T, write = false, read = true): T {
  const h = root.open(p, req({ write, read })) as FileHandle;
  try {
    return fn(h);
  } finally {
    h.close();
  }
}

function readAll(h: FileHandle): Uint8Array {
  const buf = new Uint8Array(Number(h.stat().size));
  const n = readAt(h, buf, 0);
  return buf.subarray(0, n);
}

function times(root: DirHandle, p: string): string {
  const s = root.statAt(p, false);
  return `${s.atim} ${s.mtim}`;
}

function nlinkDelta(root: DirHandle, p: string, fn: () => void): string {
  const before = root.statAt(p, false).nlink;
  fn();
  return String(root.statAt(p, false).nlink - before);
}

function deep(root: DirHandle, depth: number): string {
  let p = '';
  for (let i = 0; i < depth; i++) {
    p += `${i % 10}/`;
    root.mkdir(p);
  }
  writeText(root, `${p}leaf`, 'x');
  return stat(root, `${p}leaf`);
}

/** `.` is the directory itself and `..` its parent; entries carry their inode numbers. */
function inodes(root: DirHandle, d: DirHandle): string {
  const byName = new Map(d.readdir().map((e) => [e.name, e.ino]));
  assert.equal(byName.get('.'), d.stat().ino);
  assert.equal(byName.get('..'), root.stat().ino);
  assert.equal(byName.get('f'), root.statAt('d/f', false).ino);
  return 'ok';
}

/**
 * Cases where HostDir knowingly differs from Linux, each with the reason (skipped for HostDir;
 * the test below fails once a listed case starts to agree, so the list cannot go stale).
 */
/** Cases where HostDir differs from Linux: none left (each one found here was fixed). */
const HOST_KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {};

const IMPLS: readonly { impl: Impl; skip: Readonly<Record<string, string>> }[] = [
  { impl: memImpl, skip: {} },
  { impl: hostImpl, skip: HOST_KNOWN_DIFFERENCES },
];

for (const { impl, skip } of IMPLS) {
  test(`DirHandle conformance: ${impl.name}`, async (t) => {
    for (const [name, run, expected] of CASES) {
      const reason = skip[name];
      await t.test(name, reason === undefined ? {} : { skip: reason }, () => {
        const w = impl.make();
        try {
          assert.equal(outcome(() => run(w)), expected);
        } finally {
          w.dispose();
        }
      });
    }
  });
}

test('case names are unique and every known difference names a case', () => {
  const names = new Set(CASES.map(([n]) => n));
  assert.equal(names.size, CASES.length);
  for (const n of Object.keys(HOST_KNOWN_DIFFERENCES)) assert.ok(names.has(n), n);
});

test('HostDir known differences are still differences (drop them from the list once fixed)', () => {
  for (const [name, run, expected] of CASES) {
    if (HOST_KNOWN_DIFFERENCES[name] === undefined) continue;
    const w = hostImpl.make();
    try {
      assert.notEqual(outcome(() => run(w)), expected, name);
    } finally {
      w.dispose();
    }
  }
});
