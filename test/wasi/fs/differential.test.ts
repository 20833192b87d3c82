/**
 * Random operation sequences run on MemFs and on a host directory side by side: every step must
 * have the same outcome (value or errno) and the trees must end up the same. Paths come from a
 * tiny name space (a, b, c, ., .., and the byte 0xff, which is not UTF-8) so that collisions,
 * symlink chains, loops and escapes are frequent; an empty component gives doubled and trailing
 * slashes.
 */
import { test } from 'node:test';
import { writeAt } from '../../support/file-io.js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import * as C from '../../../src/wasi/constants.js';
import { Errno } from '../../../src/wasi/errno.js';
import { HostDir } from '../../../src/wasi/fs/hostfs.js';
import { MemFs } from '../../../src/wasi/fs/memfs.js';
import type { DirHandle, FileHandle } from '../../../src/wasi/fs/types.js';

type Op =
  | { op: 'mkdir' | 'rmdir' | 'unlink' | 'readlink'; p: string }
  | { op: 'stat'; p: string; follow: boolean }
  | { op: 'symlink'; target: string; p: string }
  | { op: 'rename'; p: string; q: string }
  | { op: 'link'; p: string; q: string; follow: boolean }
  | { op: 'open'; p: string; follow: boolean; oflags: number; write: boolean };

const comp = fc.constantFrom('a', 'b', 'c', '.', '..', '', '\xff');
const pathArb = fc.array(comp, { minLength: 1, maxLength: 3 }).map((cs) => cs.join('/'));
const targetArb = fc.constantFrom('a', 'b', 'c', 'a/b', '../a', '.', 'c/..', 'b/c', 'a/../b', 'a/', 'b//c/', '\xff', 'a/\xff');
const oflagsArb = fc.constantFrom(
  0,
  C.OFLAGS_CREAT,
  C.OFLAGS_CREAT | C.OFLAGS_EXCL,
  C.OFLAGS_CREAT | C.OFLAGS_TRUNC,
  C.OFLAGS_TRUNC,
  C.OFLAGS_DIRECTORY,
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('mkdir' as const), p: pathArb }),
  fc.record({ op: fc.constant('rmdir' as const), p: pathArb }),
  fc.record({ op: fc.constant('unlink' as const), p: pathArb }),
  fc.record({ op: fc.constant('readlink' as const), p: pathArb }),
  fc.record({ op: fc.constant('stat' as const), p: pathArb, follow: fc.boolean() }),
  fc.record({ op: fc.constant('symlink' as const), target: targetArb, p: pathArb }),
  fc.record({ op: fc.constant('rename' as const), p: pathArb, q: pathArb }),
  fc
    .record({ op: fc.constant('link' as const), p: pathArb, q: pathArb, follow: fc.boolean() }),
  fc
    .record({ op: fc.constant('open' as const), p: pathArb, follow: fc.boolean(), oflags: oflagsArb, write: fc.boolean() }),
);

function apply(root: DirHandle, o: Op): string {
  switch (o.op) {
    case 'mkdir':
      return root.mkdir(o.p), 'ok';
    case 'rmdir':
      return root.rmdir(o.p), 'ok';
    case 'unlink':
      return root.unlink(o.p), 'ok';
    case 'readlink':
      return root.readlink(o.p);
    case 'stat': {
      const s = root.statAt(o.p, o.follow);
      const size = s.filetype === C.FILETYPE_DIRECTORY ? '' : ` size=${s.size}`;
      return `type=${s.filetype} nlink=${s.nlink}${size}`;
    }
    case 'symlink':
      return root.symlink(o.target, o.p), 'ok';
    case 'rename':
      return root.rename(o.p, root, o.q), 'ok';
    case 'link':
      return root.link(o.p, o.follow, root, o.q), 'ok';
    case 'open': {
      const write = o.write || (o.oflags & C.OFLAGS_TRUNC) !== 0;
      const h = root.open(o.p, { followFinal: o.follow, oflags: o.oflags, read: !write, write, fdflags: 0 });
      try {
        if (h.kind === 'file' && write) writeAt(h as FileHandle, Uint8Array.of(120), Number(h.stat().size));
        return h.kind;
      } finally {
        h.close();
      }
    }
  }
}

function outcome(root: DirHandle, o: Op): string {
  try {
    return apply(root, o);
  } catch (err) {
    if (err instanceof Errno) return `errno ${err.errno}`;
    throw err;
  }
}

/** The whole tree as text: names, types, sizes of files, symlink targets. */
function snapshot(root: DirHandle, prefix = ''): string[] {
  const dir = prefix === '' ? root : (root.open(prefix, { followFinal: false, oflags: C.OFLAGS_DIRECTORY, read: true, write: false, fdflags: 0 }) as DirHandle);
  try {
    const names = dir
      .readdir()
      .map((e) => e.name)
      .filter((n) => n !== '.' && n !== '..')
      .sort();
    const out: string[] = [];
    for (const n of names) {
      const p = prefix + n;
      const s = root.statAt(p, false);
      if (s.filetype === C.FILETYPE_DIRECTORY) out.push(`${p}/`, ...snapshot(root, `${p}/`));
      else if (s.filetype === C.FILETYPE_SYMBOLIC_LINK) out.push(`${p} -> ${root.readlink(p)}`);
      else out.push(`${p} (${s.size}, ${s.nlink} links)`);
    }
    return out;
  } finally {
    if (dir !== root) dir.close();
  }
}

test('MemFs and HostDir agree on random operation sequences', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'enarx-diff-'));
  let run = 0;
  try {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => {
        const hostPath = path.join(base, String(run++));
        fs.mkdirSync(hostPath);
        const host = HostDir.openRoot(hostPath);
        const mem = new MemFs().root();
        try {
          for (const [i, o] of ops.entries()) {
            const m = outcome(mem, o);
            const h = outcome(host, o);
            assert.equal(m, h, `step ${i}: ${JSON.stringify(o)}`);
          }
          assert.deepEqual(snapshot(mem), snapshot(host));
        } finally {
          host.close();
          mem.close();
          fs.rmSync(hostPath, { recursive: true, force: true });
        }
      }),
      { seed: 0x6d656d, numRuns: 300 },
    );
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
