/**
 * Conversions from host stat results (hostcalls.ts) to WASI values.
 */
import * as C from '../constants.js';
import type { HostStat } from './hostcalls.js';
import type { Filestat } from './types.js';

/**
 * The WASI filetype of a file-type number: a directory entry's d_type, which is st_mode's S_IFMT
 * bits shifted right by 12 (DTTOIF). DT_UNKNOWN (0) is unknown: ask stat.
 */
export function filetypeOfType(type: number): number {
  switch (type) {
    case 8:
      return C.FILETYPE_REGULAR_FILE;
    case 4:
      return C.FILETYPE_DIRECTORY;
    case 10:
      return C.FILETYPE_SYMBOLIC_LINK;
    case 2:
      return C.FILETYPE_CHARACTER_DEVICE;
    case 6:
      return C.FILETYPE_BLOCK_DEVICE;
    case 12:
      return C.FILETYPE_SOCKET_STREAM;
    default:
      // FIFOs (1) have no WASI type of their own; wasmtime reports them as unknown.
      return C.FILETYPE_UNKNOWN;
  }
}

/** The WASI filetype of a host stat result. */
export function filetypeOf(s: HostStat): number {
  return filetypeOfType((s.mode & 0o170000) >> 12);
}

/** A WASI filestat from a host stat result. */
export function filestatOf(s: HostStat): Filestat {
  return {
    dev: s.dev,
    ino: s.ino,
    filetype: filetypeOf(s),
    nlink: s.nlink,
    size: s.size,
    atim: s.atimeNs,
    mtim: s.mtimeNs,
    ctim: s.ctimeNs,
  };
}
