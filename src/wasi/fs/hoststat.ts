/**
 * Conversions from host stat results (hostcalls.ts) to WASI values.
 */
import * as C from '../constants.js';
import type { HostStat } from './hostcalls.js';
import type { Filestat } from './types.js';

/** The WASI filetype of a host stat result. */
export function filetypeOf(s: HostStat): number {
  if (s.isFile()) return C.FILETYPE_REGULAR_FILE;
  if (s.isDirectory()) return C.FILETYPE_DIRECTORY;
  if (s.isSymbolicLink()) return C.FILETYPE_SYMBOLIC_LINK;
  if (s.isCharacterDevice()) return C.FILETYPE_CHARACTER_DEVICE;
  if (s.isBlockDevice()) return C.FILETYPE_BLOCK_DEVICE;
  if (s.isSocket()) return C.FILETYPE_SOCKET_STREAM;
  // FIFOs have no WASI type of their own; wasmtime reports them as unknown.
  return C.FILETYPE_UNKNOWN;
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
