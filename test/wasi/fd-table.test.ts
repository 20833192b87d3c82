/**
 * A full descriptor table: path_open must fail with EMFILE before it creates or truncates
 * anything, on host directories and on MemFs alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as C from '../../src/wasi/constants.js';
import { Errno } from '../../src/wasi/errno.js';
import { FdTable, MAX_FDS } from '../../src/wasi/fd-table.js';
import type { FdEntry } from '../../src/wasi/fd-table.js';
import { HostDir } from '../../src/wasi/fs/hostfs.js';
import { MemFs } from '../../src/wasi/fs/memfs.js';
import { NullFile } from '../../src/wasi/fs/null.js';
import type { DirHandle } from '../../src/wasi/fs/types.js';
import { Wasi, WASI_MODULE } from '../../src/wasi/wasi.js';
import { buildModule } from '../support/wasm.js';

type Fn = (...args: (number | bigint)[]) => number;

const enc = new TextEncoder();

function nullEntry(): FdEntry {
  return { handle: new NullFile(), rightsBase: 0n, rightsInheriting: 0n, fdflags: 0, offset: 0 };
}

/** Inserts placeholder descriptors until the table refuses one; returns that errno. */
function fill(fds: FdTable): number {
  for (let i = 0; i <= MAX_FDS; i++) {
    try {
      fds.insert(nullEntry());
    } catch (err) {
      if (err instanceof Errno) return err.errno;
      throw err;
    }
  }
  return assert.fail('the table never filled up');
}

/**
 * Runs a guest with `dir` preopened at fd 3 and the table then filled; `body` gets a path_open
 * on that preopen (returning its errno) while the guest is live.
 */
function withFullTable(dir: DirHandle, body: (open: (path: string, oflags: number) => number) => void): void {
  const wasi = new Wasi({ args: ['guest'], env: [], files: [new NullFile(), new NullFile(), new NullFile()], preopens: [{ guestPath: '/', dir }] });
  const bytes = buildModule([{ name: '_start', body: [0x10, 0x00] }], {
    memoryPages: 1,
    imports: [{ module: 'test', name: 'body', params: 0, results: 0 }],
  });
  const instance: WebAssembly.Instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    ...wasi.imports,
    test: {
      body: () => {
        assert.equal(fill(wasi.fds), C.ERRNO_MFILE);
        const memory = instance.exports['memory'] as WebAssembly.Memory;
        const pathOpen = (wasi.imports[WASI_MODULE] as Record<string, Fn>)['path_open']!;
        body((path, oflags) => {
          const b = enc.encode(path);
          new Uint8Array(memory.buffer, 64, b.length).set(b);
          const rights = C.RIGHTS_REGULAR_FILE_BASE;
          return pathOpen(3, C.LOOKUPFLAGS_SYMLINK_FOLLOW, 64, b.length, oflags, rights, rights, 0, 16);
        });
      },
    },
  });
  assert.equal(wasi.start(instance), 0);
}

test('FdTable.insert fails with EMFILE once MAX_FDS descriptors are open', () => {
  const fds = new FdTable();
  assert.equal(fill(fds), C.ERRNO_MFILE);
  fds.take(7);
  assert.equal(fds.insert(nullEntry()), 7);
});

test('a full table: path_open on a host directory creates and truncates nothing', () => {
  const base = mkdtempSync(join(tmpdir(), 'enarx-fdlimit-'));
  try {
    writeFileSync(join(base, 'kept'), 'content');
    withFullTable(HostDir.openRoot(base), (open) => {
      assert.equal(open('new', C.OFLAGS_CREAT), C.ERRNO_MFILE);
      assert.equal(open('kept', C.OFLAGS_TRUNC), C.ERRNO_MFILE);
      assert.equal(open('kept', C.OFLAGS_CREAT | C.OFLAGS_TRUNC), C.ERRNO_MFILE);
    });
    assert.equal(existsSync(join(base, 'new')), false);
    assert.equal(readFileSync(join(base, 'kept'), 'utf8'), 'content');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a full table: path_open on a MemFs directory creates and truncates nothing', () => {
  const mfs = new MemFs();
  mfs.writeFile('kept', enc.encode('content'));
  withFullTable(mfs.root(), (open) => {
    assert.equal(open('new', C.OFLAGS_CREAT), C.ERRNO_MFILE);
    assert.equal(open('kept', C.OFLAGS_TRUNC), C.ERRNO_MFILE);
    assert.equal(open('kept', C.OFLAGS_CREAT | C.OFLAGS_TRUNC), C.ERRNO_MFILE);
  });
  const root = mfs.root();
  assert.deepEqual(
    root.readdir().map((e) => e.name),
    ['.', '..', 'kept'],
  );
  const kept = root.open('kept', { followFinal: false, oflags: 0, read: true, write: false, fdflags: 0 });
  assert.equal(kept.stat().size, 7n);
  kept.close();
  root.close();
});
