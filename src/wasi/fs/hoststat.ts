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
  return FILETYPE_OF_TYPE[type] ?? C.FILETYPE_UNKNOWN;
}

/** By d_type; FIFOs (1) have no WASI type of their own, and wasmtime reports them as unknown. */
const FILETYPE_OF_TYPE: Readonly<Record<number, number>> = {
  2: C.FILETYPE_CHARACTER_DEVICE,
  4: C.FILETYPE_DIRECTORY,
  6: C.FILETYPE_BLOCK_DEVICE,
  8: C.FILETYPE_REGULAR_FILE,
  10: C.FILETYPE_SYMBOLIC_LINK,
  12: C.FILETYPE_SOCKET_STREAM,
};

/** The WASI filetype of a host stat result. */
export function filetypeOf(s: HostStat): number {
  return filetypeOfType(s.type);
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
