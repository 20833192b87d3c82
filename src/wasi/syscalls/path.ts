/**
 * path_* syscalls. Paths are resolved by the directory handle's filesystem, which guarantees
 * they stay beneath it; here we check rights, take the guest's path and shape the result.
 *
 * A path is bytes (fs/byte-string.ts): one that is not UTF-8 reaches the host name with those
 * very bytes, as on Linux. (wasmtime refuses such paths with EILSEQ; a guest such as CPython,
 * which lists a directory and then removes each name it was given, needs them to work.)
 */
import * as C from '../constants.js';
import { fail } from '../errno.js';
import type { WasiContext } from '../context.js';
import type { ByteString } from '../fs/byte-string.js';
import { timesFromFlags, writeFilestat } from './fd.js';

/** Longest path we accept from a guest (Linux PATH_MAX). */
const PATH_MAX = 4096;

const READ_RIGHTS = C.RIGHTS_FD_READ | C.RIGHTS_FD_READDIR;
const WRITE_RIGHTS = C.RIGHTS_FD_WRITE | C.RIGHTS_FD_ALLOCATE | C.RIGHTS_FD_FILESTAT_SET_SIZE;

/** path_* syscalls. */
export function pathSyscalls(ctx: WasiContext) {
  const { mem, fds } = ctx;
  const path = (ptr: number, len: number): ByteString => {
    if (len >>> 0 > PATH_MAX) fail(C.ERRNO_NAMETOOLONG);
    return mem.byteString(ptr, len);
  };
  const follow = (lookupflags: number): boolean => {
    if (lookupflags & ~C.LOOKUPFLAGS_SYMLINK_FOLLOW) fail(C.ERRNO_INVAL);
    return (lookupflags & C.LOOKUPFLAGS_SYMLINK_FOLLOW) !== 0;
  };

  return {
    path_create_directory: (fd: number, p: number, l: number) => {
      fds.dir(fd, C.RIGHTS_PATH_CREATE_DIRECTORY).handle.mkdir(path(p, l));
      return C.ERRNO_SUCCESS;
    },

    path_filestat_get: (fd: number, flags: number, p: number, l: number, out: number) => {
      const s = fds.dir(fd, C.RIGHTS_PATH_FILESTAT_GET).handle.statAt(path(p, l), follow(flags));
      writeFilestat(ctx, out, s);
      return C.ERRNO_SUCCESS;
    },

    path_filestat_set_times: (fd: number, flags: number, p: number, l: number, atim: bigint, mtim: bigint, fst: number) => {
      const dir = fds.dir(fd, C.RIGHTS_PATH_FILESTAT_SET_TIMES).handle;
      const times = timesFromFlags(ctx, atim, mtim, fst);
      dir.setTimesAt(path(p, l), follow(flags), times);
      return C.ERRNO_SUCCESS;
    },

    path_link: (oldFd: number, oldFlags: number, op: number, ol: number, newFd: number, np: number, nl: number) => {
      const src = fds.dir(oldFd, C.RIGHTS_PATH_LINK_SOURCE).handle;
      const dst = fds.dir(newFd, C.RIGHTS_PATH_LINK_TARGET).handle;
      src.link(path(op, ol), follow(oldFlags), dst, path(np, nl));
      return C.ERRNO_SUCCESS;
    },

    path_open: (
      fd: number,
      dirflags: number,
      p: number,
      l: number,
      oflags: number,
      rightsBase: bigint,
      rightsInheriting: bigint,
      fdflags: number,
      outFd: number,
    ) => {
      let needed = C.RIGHTS_PATH_OPEN;
      if (oflags & C.OFLAGS_CREAT) needed |= C.RIGHTS_PATH_CREATE_FILE;
      if (oflags & C.OFLAGS_TRUNC) needed |= C.RIGHTS_PATH_FILESTAT_SET_SIZE;
      const dir = fds.dir(fd, needed);
      if (oflags & ~C.OFLAGS_ALL || fdflags & ~C.FDFLAGS_ALL) return C.ERRNO_INVAL;
      if (oflags & C.OFLAGS_DIRECTORY && oflags & (C.OFLAGS_CREAT | C.OFLAGS_TRUNC)) return C.ERRNO_INVAL;
      // A descriptor can hand down only the rights it was given to inherit.
      const base = rightsBase & dir.rightsInheriting;
      const inheriting = rightsInheriting & dir.rightsInheriting;
      // Asking for write rights on a directory fails with EISDIR, as the conformance suite
      // (path_open_preopen) and wasmtime expect.
      const write = (base & WRITE_RIGHTS) !== 0n || (fdflags & C.FDFLAGS_APPEND) !== 0 || (oflags & C.OFLAGS_TRUNC) !== 0;
      const read = (base & READ_RIGHTS) !== 0n || !write;
      // The table and the result pointer are checked before the open: O_CREAT/O_TRUNC act at once.
      fds.checkRoom();
      mem.check(outFd >>> 0, 4);
      const handle = dir.handle.open(path(p, l), {
        followFinal: follow(dirflags),
        oflags,
        read,
        write,
        fdflags,
      });
      const typeRights =
        handle.kind === 'dir'
          ? C.RIGHTS_DIRECTORY_BASE
          : handle.filetype === C.FILETYPE_REGULAR_FILE
            ? C.RIGHTS_REGULAR_FILE_BASE
            : C.RIGHTS_CHARACTER_DEVICE_BASE;
      let newFd: number;
      try {
        newFd = fds.insert({
          handle,
          rightsBase: base & typeRights,
          rightsInheriting: handle.kind === 'dir' ? inheriting : 0n,
          fdflags: fdflags & (C.FDFLAGS_APPEND | C.FDFLAGS_NONBLOCK | C.FDFLAGS_SYNC | C.FDFLAGS_DSYNC | C.FDFLAGS_RSYNC),
          offset: 0,
        });
      } catch (err) {
        handle.close();
        throw err;
      }
      mem.u32set(outFd, newFd);
      return C.ERRNO_SUCCESS;
    },

    path_readlink: (fd: number, p: number, l: number, buf: number, bufLen: number, usedPtr: number) => {
      const target = fds.dir(fd, C.RIGHTS_PATH_READLINK).handle.readlink(path(p, l));
      const n = Math.min(target.length, bufLen >>> 0);
      mem.writeByteString(buf, target, n);
      mem.u32set(usedPtr, n);
      return C.ERRNO_SUCCESS;
    },

    path_remove_directory: (fd: number, p: number, l: number) => {
      fds.dir(fd, C.RIGHTS_PATH_REMOVE_DIRECTORY).handle.rmdir(path(p, l));
      return C.ERRNO_SUCCESS;
    },

    path_rename: (fd: number, op: number, ol: number, newFd: number, np: number, nl: number) => {
      const src = fds.dir(fd, C.RIGHTS_PATH_RENAME_SOURCE).handle;
      const dst = fds.dir(newFd, C.RIGHTS_PATH_RENAME_TARGET).handle;
      src.rename(path(op, ol), dst, path(np, nl));
      return C.ERRNO_SUCCESS;
    },

    path_symlink: (op: number, ol: number, fd: number, np: number, nl: number) => {
      const dir = fds.dir(fd, C.RIGHTS_PATH_SYMLINK).handle;
      const target = path(op, ol);
      dir.symlink(target, path(np, nl));
      return C.ERRNO_SUCCESS;
    },

    path_unlink_file: (fd: number, p: number, l: number) => {
      fds.dir(fd, C.RIGHTS_PATH_UNLINK_FILE).handle.unlink(path(p, l));
      return C.ERRNO_SUCCESS;
    },
  };
}
