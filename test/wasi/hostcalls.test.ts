/**
 * The WASI layer's Node-API module (native/hostcalls.c through src/wasi/fs/hostcalls.ts): it
 * answers as the system calls it wraps, refuses what could leave a directory (AT_FDCWD, absolute
 * paths) and every malformed argument with an errno instead of touching memory, and the
 * committed native/hostcalls.node is what native/build.sh makes from the source.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as sys from '../../src/wasi/fs/hostcalls.js';
import { keepBundleDir, keepBundleFiles } from '../../src/runtime/measurement.js';

const E = constants.errno;
const O = fsConstants;
const NATIVE = fileURLToPath(new URL('../../../native/', import.meta.url));

let base: string;
let dirFd: number;

before(() => {
  base = mkdtempSync(join(tmpdir(), 'enarx-hostcalls-'));
  mkdirSync(join(base, 'sub'));
  writeFileSync(join(base, 'sub', 'file'), 'hello');
  symlinkSync('sub/file', join(base, 'link'));
  writeFileSync(Buffer.from(join(base, 'sub', 'caf\xe9'), 'latin1'), '');
  dirFd = openSync(base, 'r');
});

after(() => {
  closeSync(dirFd);
  rmSync(base, { recursive: true, force: true });
});

describe('hostcalls', () => {
  it('stat answers as lstat/stat do, following a final symlink only when asked', () => {
    const seen = sys.statAt(dirFd, 'link', false)!;
    const want = lstatSync(join(base, 'link'), { bigint: true });
    assert.deepEqual([seen.dev, seen.ino, seen.nlink, seen.size, seen.mtimeNs, seen.ctimeNs], [want.dev, want.ino, want.nlink, want.size, want.mtimeNs, want.ctimeNs]);
    assert.equal(seen.isSymbolicLink(), true);
    const followed = sys.statAt(dirFd, 'link', true)!;
    assert.equal(followed.ino, statSync(join(base, 'sub', 'file'), { bigint: true }).ino);
    assert.equal(followed.isFile(), true);
    assert.equal(sys.statAt(dirFd, 'missing', false), undefined);
    assert.equal(sys.fstat(dirFd).isDirectory(), true);
  });

  it('opens, reads and writes at a position or at the file offset, and closes', () => {
    const fd = sys.openAt(dirFd, 'new', O.O_CREAT | O.O_RDWR, 0o600);
    try {
      const bytes = new TextEncoder().encode('..abcdef..');
      assert.equal(sys.write(fd, bytes, 2, 6, null), 6);
      assert.equal(sys.write(fd, bytes, 2, 2, 10), 2);
      const back = new Uint8Array(16);
      assert.equal(sys.read(fd, back, 0, 16, 0), 12);
      assert.equal(Buffer.from(back.subarray(0, 12)).toString('latin1'), 'abcdef\0\0\0\0ab');
    } finally {
      sys.close(fd);
    }
  });

  it('names are bytes: a listing, a link target and a lookup keep a name that is not UTF-8', () => {
    const sub = sys.openAt(dirFd, 'sub', O.O_RDONLY | O.O_DIRECTORY, 0);
    try {
      // Each entry with its inode number and type (DT_REG) as lstat gives them.
      const inoOf = (name: string): bigint => lstatSync(Buffer.from(join(base, 'sub', name), 'latin1'), { bigint: true }).ino;
      const listed = sys.readdirAt(sub).map((e) => [e.name, e.ino === inoOf(e.name), e.type]);
      assert.deepEqual(listed.sort(), [['caf\xe9', true, 8], ['file', true, 8]]);
      assert.ok(sys.statAt(sub, 'caf\xe9', false)?.isFile());
    } finally {
      sys.close(sub);
    }
    sys.symlinkAt('caf\xe9', dirFd, 'sub/to-cafe');
    assert.equal(sys.readlinkAt(dirFd, 'sub/to-cafe'), 'caf\xe9');
  });

  it('sets times to the nanosecond', () => {
    sys.utimensAt(dirFd, 'sub/file', 1_700_000_000_123_456_789n, -1_000_000_001n, false);
    const s = lstatSync(join(base, 'sub', 'file'), { bigint: true });
    assert.equal(s.atimeNs, 1_700_000_000_123_456_789n);
    assert.equal(s.mtimeNs, -1_000_000_001n);
  });

  it('refuses the working directory, absolute paths and malformed arguments without a system call', () => {
    const n = sys.lib();
    const out = new BigInt64Array(8);
    const buf = new Uint8Array(8);
    assert.equal(n.stat(-100, 'etc/passwd', 0, out), -E.EINVAL, 'AT_FDCWD');
    assert.equal(n.open(dirFd, '/etc/passwd', 0, 0), -E.EINVAL, 'an absolute path');
    assert.equal(n.open(dirFd, 'sub\0/x', 0, 0), -E.EINVAL, 'a NUL');
    assert.equal(n.open(dirFd, '', 0, 0), -E.ENOENT);
    assert.equal(n.open(dirFd, 'a'.repeat(5000), 0, 0), -E.ENAMETOOLONG);
    assert.equal(n.read(dirFd, buf, 4, 5, 0), -E.EFAULT, 'past the end of the buffer');
    assert.equal(n.read(dirFd, buf, -1, 1, 0), -E.EINVAL);
    assert.equal(n.read(dirFd, buf, 0, 1, -2), -E.EINVAL);
    assert.equal(n.read(dirFd, new Uint16Array(4) as unknown as Uint8Array, 0, 1, 0), -E.EINVAL, 'not bytes');
    assert.equal(n.stat(dirFd, 'sub', 0, new BigInt64Array(2)), -E.EINVAL, 'a short stat buffer');
    assert.equal((n.stat as (...a: unknown[]) => number)(dirFd, 'sub', 0), -E.EINVAL, 'too few arguments');
    assert.equal((n.close as (...a: unknown[]) => number)('3'), -E.EINVAL, 'a string for a descriptor');
    assert.equal(n.utimens(dirFd, 'sub/file', 1n << 70n, 0n, 0), -E.EINVAL, 'a time beyond 64 bits');
    assert.throws(() => sys.close(1 << 30), { code: 'EBADF' });
  });

  it('throws one shared error per errno, made once (no stack trace captured per failing call)', () => {
    const caught = (): unknown => {
      try {
        sys.close(1 << 30);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const first = caught();
    assert.ok(first instanceof sys.HostCallError);
    assert.equal(caught(), first);
  });
});

describe('native/hostcalls.node', () => {
  it('is part of the keep runtime bundle, and so of its measurement', () => {
    const bundled = join(keepBundleDir(), 'hostcalls.node');
    assert.ok(keepBundleFiles(keepBundleDir()).includes('hostcalls.node'));
    assert.ok(readFileSync(bundled).equals(readFileSync(join(NATIVE, 'hostcalls.node'))));
  });

  const tools = ['/usr/bin/clang-19', '/usr/bin/ld.lld-19', '/usr/include/x86_64-linux-gnu/sys/stat.h'];
  const missing = tools.find((f) => !existsSync(f));
  it('rebuilds byte for byte from native/hostcalls.c', { skip: missing && `${missing} is not installed (apt-get install clang-19 lld-19 libc6-dev)`, timeout: 60_000 }, () => {
    const out = join(base, 'rebuilt.node');
    const r = spawnSync('bash', [join(NATIVE, 'build.sh'), out], { encoding: 'utf8', env: { ...process.env, CFLAGS: '-O0', CPATH: base } });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(join(NATIVE, 'hostcalls.node'))), 'run bash native/build.sh and commit native/hostcalls.node');
  });
});
