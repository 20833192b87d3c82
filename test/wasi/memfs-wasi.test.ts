/**
 * MemFs behind the real WASI layer: a MemFs root is preopened in a Wasi instance and the
 * guest's view is driven through the `wasi_snapshot_preview1` imports, on the memory of a
 * hand-made module whose `_start` calls back into the test (so the descriptor table is live).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/wasi/constants.js';
import { MemFs } from '../../src/wasi/fs/memfs.js';
import type { DirHandle } from '../../src/wasi/fs/types.js';
import { runGuest } from '../support/guest.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

test('a guest reads package files and works in a MemFs preopen through the WASI imports', () => {
  const mfs = new MemFs({ dev: 77n });
  mfs.writeFile('app/config.txt', enc.encode('answer=42'));
  mfs.symlink('config.txt', 'app/current');
  mfs.symlink('/etc/passwd', 'app/abs');
  const other = new MemFs();
  const T = 1_700_000_000_123_456_789n;

  const code = runGuest([{ guestPath: '/pkg', dir: mfs.root() }, { guestPath: '/tmp', dir: other.root() }], (g) => {
    // The preopen.
    const pre = g.alloc(8);
    assert.equal(g.call('fd_prestat_get', 3, pre), C.ERRNO_SUCCESS);
    assert.deepEqual([g.view().getUint8(pre), g.u32(pre + 4)], [C.PREOPENTYPE_DIR, 4]);
    const name = g.alloc(4);
    assert.equal(g.call('fd_prestat_dir_name', 3, name, 4), C.ERRNO_SUCCESS);
    assert.equal(dec.decode(g.bytes(name, 4).slice()), '/pkg');

    // A package file through a symlink.
    const [e1, cfg] = g.open(3, 'app/current', { rights: C.RIGHTS_FD_READ | C.RIGHTS_FD_SEEK | C.RIGHTS_FD_FILESTAT_GET });
    assert.equal(e1, C.ERRNO_SUCCESS);
    assert.equal(g.read(cfg, 100), 'answer=42');
    assert.equal(g.read(cfg, 100), '');
    const [ep] = [g.call('fd_write', cfg, g.iovs(['x']).ptr, 1, g.alloc(4))];
    assert.equal(ep, C.ERRNO_NOTCAPABLE); // opened without the write right
    assert.equal(g.call('fd_close', cfg), C.ERRNO_SUCCESS);

    // Create, write (gathered), seek, read back, pread.
    const [e2, out] = g.open(3, 'out.txt', { oflags: C.OFLAGS_CREAT | C.OFLAGS_EXCL });
    assert.equal(e2, C.ERRNO_SUCCESS);
    assert.equal(g.write(out, 'hello ', 'world'), 11);
    const pos = g.alloc(8);
    assert.equal(g.call('fd_seek', out, 0n, C.WHENCE_SET, pos), C.ERRNO_SUCCESS);
    assert.equal(g.read(out, 5), 'hello');
    assert.equal(g.read(out, 100, 6n), 'world');
    assert.equal(g.call('fd_tell', out, pos), C.ERRNO_SUCCESS);
    assert.equal(g.u64(pos), 5n);
    const st = g.alloc(64);
    assert.equal(g.call('fd_filestat_get', out, st), C.ERRNO_SUCCESS);
    assert.deepEqual(
      (({ dev, filetype, nlink, size }) => ({ dev, filetype, nlink, size }))(g.filestat(st)),
      { dev: 77n, filetype: C.FILETYPE_REGULAR_FILE, nlink: 1n, size: 11n },
    );
    // O_APPEND writes land at the end whatever the offset.
    assert.equal(g.call('fd_fdstat_set_flags', out, C.FDFLAGS_APPEND), C.ERRNO_SUCCESS);
    g.write(out, '!');
    assert.equal(g.read(out, 100, 0n), 'hello world!');
    assert.equal(g.call('fd_filestat_set_size', out, 5n), C.ERRNO_SUCCESS);
    assert.equal(g.call('fd_allocate', out, 0n, 8n), C.ERRNO_SUCCESS);
    assert.equal(g.call('fd_filestat_get', out, st), C.ERRNO_SUCCESS);
    assert.equal(g.filestat(st).size, 8n);
    assert.equal(g.call('fd_filestat_set_size', out, 5n), C.ERRNO_SUCCESS);
    assert.equal(g.call('fd_close', out), C.ERRNO_SUCCESS);
    assert.equal(g.call('fd_close', out), C.ERRNO_BADF);

    // Exact times.
    const [tp, tl] = g.str('out.txt');
    assert.equal(g.call('path_filestat_set_times', 3, 0, tp, tl, T, T + 1n, C.FSTFLAGS_ATIM | C.FSTFLAGS_MTIM), C.ERRNO_SUCCESS);
    const [, times] = g.statPath(3, 'out.txt');
    assert.deepEqual([times!.atim, times!.mtim], [T, T + 1n]);

    // Directories, rename, readdir.
    const [dp, dl] = g.str('sub');
    assert.equal(g.call('path_create_directory', 3, dp, dl), C.ERRNO_SUCCESS);
    assert.equal(g.call('path_create_directory', 3, dp, dl), C.ERRNO_EXIST);
    const [np, nl] = g.str('sub/renamed.txt');
    assert.equal(g.call('path_rename', 3, tp, tl, 3, np, nl), C.ERRNO_SUCCESS);
    assert.equal(g.statPath(3, 'out.txt')[0], C.ERRNO_NOENT);
    const [e3, sub] = g.open(3, 'sub', { oflags: C.OFLAGS_DIRECTORY, rights: C.RIGHTS_DIRECTORY_BASE });
    assert.equal(e3, C.ERRNO_SUCCESS);
    assert.deepEqual(g.readdir(sub), [`.:${C.FILETYPE_DIRECTORY}`, `..:${C.FILETYPE_DIRECTORY}`, `renamed.txt:${C.FILETYPE_REGULAR_FILE}`]);
    assert.equal(g.open(sub, '../app/config.txt')[0], C.ERRNO_NOTCAPABLE);
    assert.equal(g.call('fd_close', sub), C.ERRNO_SUCCESS);

    // Links and symlinks.
    const [lp, ll] = g.str('sub/hard');
    assert.equal(g.call('path_link', 3, 0, np, nl, 3, lp, ll), C.ERRNO_SUCCESS);
    assert.equal(g.statPath(3, 'sub/hard')[1]!.nlink, 2n);
    const [sp, sl] = g.str('config.txt');
    const [slp, sll] = g.str('sub/link');
    assert.equal(g.call('path_symlink', sp, sl, 3, slp, sll), C.ERRNO_SUCCESS);
    const rl = g.alloc(64);
    const used = g.alloc(4);
    assert.equal(g.call('path_readlink', 3, slp, sll, rl, 64, used), C.ERRNO_SUCCESS);
    assert.equal(dec.decode(g.bytes(rl, g.u32(used)).slice()), 'config.txt');
    const [ap, al] = g.str('/etc');
    assert.equal(g.call('path_symlink', ap, al, 3, slp, sll), C.ERRNO_PERM);

    // Escapes and errnos.
    assert.equal(g.open(3, '../etc/passwd')[0], C.ERRNO_NOTCAPABLE);
    assert.equal(g.open(3, '/etc/passwd')[0], C.ERRNO_NOTCAPABLE);
    assert.equal(g.open(3, 'app/abs')[0], C.ERRNO_NOTCAPABLE);
    assert.equal(g.open(3, 'app/abs', { follow: false })[0], C.ERRNO_LOOP);
    const [app, appl] = g.str('app');
    assert.equal(g.call('path_remove_directory', 3, app, appl), C.ERRNO_NOTEMPTY);
    assert.equal(g.call('path_unlink_file', 3, app, appl), C.ERRNO_ISDIR);
    assert.equal(g.call('path_rename', 3, np, nl, 4, np, nl), C.ERRNO_XDEV);
    assert.equal(g.call('path_link', 3, 0, np, nl, 4, lp, ll), C.ERRNO_XDEV);

    // An unlinked file stays readable through its descriptor.
    const [e4, keep] = g.open(3, 'sub/hard');
    assert.equal(e4, C.ERRNO_SUCCESS);
    assert.equal(g.call('path_unlink_file', 3, lp, ll), C.ERRNO_SUCCESS);
    assert.equal(g.call('path_unlink_file', 3, np, nl), C.ERRNO_SUCCESS);
    assert.equal(g.read(keep, 100, 0n), 'hello');
    assert.equal(g.call('fd_filestat_get', keep, st), C.ERRNO_SUCCESS);
    assert.equal(g.filestat(st).nlink, 0n);
    // Left open on purpose: exit closes every descriptor.
  });
  assert.equal(code, 0);

  // The host side sees what the guest did; the descriptors the guest left open were closed.
  const r = mfs.root();
  assert.deepEqual(
    r.readdir().map((e) => e.name),
    ['.', '..', 'app', 'sub'],
  );
  assert.deepEqual(
    (r.open('sub', { followFinal: false, oflags: 0, read: true, write: false, fdflags: 0 }) as DirHandle).readdir().map((e) => e.name),
    ['.', '..', 'link'],
  );
  r.close();
  // Only what is still linked is counted: the unlinked file was freed when its fd closed.
  assert.equal(mfs.usage().inodes, 7);
});

test('a guest hits ENOSPC, not the keep\'s memory limit', () => {
  const mfs = new MemFs({ maxBytes: 4096, maxInodes: 8 });
  const code = runGuest([{ guestPath: '/', dir: mfs.root() }], (g) => {
    const [e, fd] = g.open(3, 'big', { oflags: C.OFLAGS_CREAT });
    assert.equal(e, C.ERRNO_SUCCESS);
    // The inode limit (root and 'big' already use two of eight).
    let made = 0;
    for (;;) {
      const [dp, dl] = g.str(`d${made}`);
      const errno = g.call('path_create_directory', 3, dp, dl);
      if (errno !== C.ERRNO_SUCCESS) {
        assert.equal(errno, C.ERRNO_NOSPC);
        break;
      }
      made++;
    }
    assert.equal(made, 6);
    // The byte limit: writes succeed until the next one would not fit.
    const chunk = 'x'.repeat(1000);
    let total = 0;
    for (;;) {
      const v = g.iovs([chunk]);
      const n = g.alloc(4);
      const errno = g.call('fd_write', fd, v.ptr, v.len, n);
      if (errno !== C.ERRNO_SUCCESS) {
        assert.equal(errno, C.ERRNO_NOSPC);
        break;
      }
      total += g.u32(n);
    }
    assert.equal(total, 3000);
    const st = g.alloc(64);
    assert.equal(g.call('fd_filestat_get', fd, st), C.ERRNO_SUCCESS);
    assert.equal(g.filestat(st).size, 3000n);
  });
  assert.equal(code, 0);
  assert.ok(mfs.usage().bytes <= 4096);
});

test('file positions stop at 2^53 − 1: a seek past it is EINVAL, I/O past it EFBIG, and the offset is kept', () => {
  const mfs = new MemFs();
  const code = runGuest([{ guestPath: '/', dir: mfs.root() }], (g) => {
    const [e, fd] = g.open(3, 'f', { oflags: C.OFLAGS_CREAT });
    assert.equal(e, C.ERRNO_SUCCESS);
    const pos = g.alloc(8);
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    assert.equal(g.call('fd_seek', fd, max, C.WHENCE_SET, pos), C.ERRNO_SUCCESS);
    assert.equal(g.u64(pos), max);
    assert.equal(g.call('fd_seek', fd, 1n, C.WHENCE_CUR, pos), C.ERRNO_INVAL);
    assert.equal(g.call('fd_seek', fd, 1n << 62n, C.WHENCE_SET, pos), C.ERRNO_INVAL);
    assert.equal(g.call('fd_tell', fd, pos), C.ERRNO_SUCCESS);
    assert.equal(g.u64(pos), max); // a refused seek leaves the offset where it was
    const iov = g.iovs(['x']);
    const n = g.alloc(4);
    assert.equal(g.call('fd_pwrite', fd, iov.ptr, 1, max + 1n, n), C.ERRNO_FBIG);
    assert.equal(g.call('fd_pread', fd, iov.ptr, 1, 1n << 60n, n), C.ERRNO_FBIG);
    // Exact where positions are numbers: a read just below the limit is an ordinary end of file.
    assert.equal(g.call('fd_pread', fd, iov.ptr, 1, max - 1n, n), C.ERRNO_SUCCESS);
    assert.equal(g.u32(n), 0);
  });
  assert.equal(code, 0);
});
