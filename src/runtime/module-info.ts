/**
 * Just enough of the WebAssembly binary format (Core spec 2.0, §5.5) to enforce a memory cap
 * before the engine sees a module: find the memory section and memory imports, and rewrite each
 * memory's maximum so that `memory.grow` past the cap fails inside the guest (returns -1, so
 * `malloc` returns NULL) instead of exhausting the keep.
 *
 *   module   ::= magic(\0asm) version(01 00 00 00) section*
 *   section  ::= id:u8 size:u32(LEB128) contents
 *   limits   ::= 0x00 min:u32 | 0x01 min:u32 max:u32   (0x02/0x03: shared; 0x04–0x07: memory64)
 *   memsec   ::= vec(limits)                            (section id 5)
 *   import   ::= module:name name:name desc            (section id 2; desc 0x02 = memory limits)
 */
import { RuntimeError, RuntimeErrorCode } from './errors.js';

/** 64 KiB: the WebAssembly page size. */
export const PAGE_SIZE = 65536;
/** wasm32 can address at most 65536 pages (4 GiB). */
export const MAX_PAGES_32 = 65536;

/** A module that is not well-formed enough to inspect. */
export class ModuleFormatError extends RuntimeError {
  override readonly name = 'ModuleFormatError';
  constructor(message: string) {
    super(RuntimeErrorCode.MODULE_INVALID, message);
  }
}

/** A module whose declared memory does not fit the cap. */
export class MemoryLimitError extends RuntimeError {
  override readonly name = 'MemoryLimitError';
  constructor(message: string) {
    super(RuntimeErrorCode.MEMORY_LIMIT, message);
  }
}

/** A cursor over module bytes (shared with module-signatures.ts). */
export interface Reader {
  readonly b: Uint8Array;
  pos: number;
}

/** Reads an unsigned LEB128 u32. */
export function u32(r: Reader): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (r.pos >= r.b.length) throw new ModuleFormatError('unexpected end of module');
    const byte = r.b[r.pos++]!;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result >>> 0;
    shift += 7;
  }
  throw new ModuleFormatError('malformed LEB128 integer');
}

/** `n` as unsigned LEB128. */
export function encodeU32(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Skips a length-prefixed name. */
export function skipName(r: Reader): void {
  const len = u32(r);
  r.pos += len;
  if (r.pos > r.b.length) throw new ModuleFormatError('name runs past the end of its section');
}

/** Memory limits of one memory (declared or imported). */
export interface MemoryLimits {
  readonly min: number;
  readonly max: number | undefined;
  readonly shared: boolean;
  readonly memory64: boolean;
}

function readLimits(r: Reader): { limits: MemoryLimits; start: number; end: number } {
  const start = r.pos;
  const flags = u32(r);
  if (flags > 7) throw new ModuleFormatError(`unknown memory limits flags 0x${flags.toString(16)}`);
  const memory64 = (flags & 4) !== 0;
  if (memory64) throw new ModuleFormatError('64-bit memories (memory64) are not supported');
  const min = u32(r);
  const max = flags & 1 ? u32(r) : undefined;
  return { limits: { min, max, shared: (flags & 2) !== 0, memory64 }, start, end: r.pos };
}

function encodeLimits(l: MemoryLimits, max: number): number[] {
  return [(l.shared ? 2 : 0) | 1, ...encodeU32(l.min), ...encodeU32(max)];
}

/** Where one section sits. */
export interface Section {
  readonly id: number;
  /** Offset of the section's contents and their end. */
  readonly start: number;
  readonly end: number;
  /** Offset of the section id byte. */
  readonly headerStart: number;
}

/** The module's sections (after checking magic and version). */
export function sections(b: Uint8Array): Section[] {
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) {
    throw new ModuleFormatError('not a WebAssembly module (bad magic number)');
  }
  if (b[4] !== 1 || b[5] !== 0 || b[6] !== 0 || b[7] !== 0) {
    throw new ModuleFormatError('unsupported WebAssembly binary version (components are not supported)');
  }
  const r: Reader = { b, pos: 8 };
  const out: Section[] = [];
  while (r.pos < b.length) {
    const headerStart = r.pos;
    const id = b[r.pos++]!;
    const size = u32(r);
    const start = r.pos;
    const end = start + size;
    if (end > b.length) throw new ModuleFormatError(`section ${id} runs past the end of the module`);
    out.push({ id, start, end, headerStart });
    r.pos = end;
  }
  return out;
}

/** Where each memory's limits sit in the binary. */
interface MemorySite {
  readonly limits: MemoryLimits;
  readonly start: number;
  readonly end: number;
  readonly imported: boolean;
}

function memorySites(b: Uint8Array, secs: readonly Section[]): MemorySite[] {
  const sites: MemorySite[] = [];
  for (const s of secs) {
    const r: Reader = { b: b.subarray(0, s.end), pos: s.start };
    if (s.id === 2) {
      const n = u32(r);
      for (let i = 0; i < n; i++) {
        skipName(r);
        skipName(r);
        const kind = b[r.pos++];
        if (kind === 0) u32(r);
        else if (kind === 1) {
          r.pos++; // reftype
          const f = u32(r);
          u32(r);
          if (f & 1) u32(r);
        } else if (kind === 2) {
          const l = readLimits(r);
          sites.push({ ...l, imported: true });
        } else if (kind === 3) r.pos += 2; // valtype, mut
        else if (kind === 4) {
          r.pos++;
          u32(r);
        } else throw new ModuleFormatError(`unknown import kind ${kind}`);
      }
    } else if (s.id === 5) {
      const n = u32(r);
      for (let i = 0; i < n; i++) {
        const l = readLimits(r);
        sites.push({ ...l, imported: false });
      }
    }
  }
  return sites;
}

/** The memories a module declares or imports. */
export function moduleMemories(bytes: Uint8Array): MemoryLimits[] {
  return memorySites(bytes, sections(bytes)).map((s) => s.limits);
}

/**
 * Returns the module with every memory's maximum lowered to `maxPages` (or the original bytes
 * when nothing needs to change). Fails when a memory needs more than `maxPages` to start.
 *
 * Only the sections up to the last memory change are rewritten. With `spare` > 0 the caller
 * gives up `bytes` and the `spare` bytes just before them in their buffer (an opened package's
 * parsed header): the rewritten head is written in place, growing into those bytes, and the rest
 * of the module (its code: nearly all of it) stays where it is. The result is then a view of the
 * same buffer: a large module is not copied (a 58 MB copy took 250 ms here, most of it touching
 * fresh memory). Otherwise, or without room, the result is a copy and `bytes` is left as it was.
 */
export function capMemory(bytes: Uint8Array, maxPages: number, spare = 0): Uint8Array {
  const secs = sections(bytes);
  const edits: { start: number; end: number; bytes: number[] }[] = [];
  for (const s of memorySites(bytes, secs)) {
    if (s.limits.min > maxPages) {
      throw new MemoryLimitError(
        `module needs ${mib(s.limits.min)} of memory to start, more than the limit of ${mib(maxPages)}`,
      );
    }
    if (s.limits.max === undefined || s.limits.max > maxPages) {
      edits.push({ start: s.start, end: s.end, bytes: encodeLimits(s.limits, maxPages) });
    }
  }
  if (edits.length === 0) return bytes;
  const { head, oldEnd } = rebuildHead(bytes, secs, edits);
  const tail = bytes.subarray(oldEnd);
  const grow = head.length - oldEnd;
  if (spare > 0 && grow <= Math.min(spare, bytes.byteOffset)) {
    const out = new Uint8Array(bytes.buffer, bytes.byteOffset - grow, bytes.length + grow);
    out.set(head, 0);
    return out;
  }
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

/**
 * The module's bytes from its start to the end of the last section with an edit, with the
 * edits applied and those sections' sizes re-encoded; `oldEnd`: where that part ended before.
 */
function rebuildHead(bytes: Uint8Array, secs: readonly Section[], edits: readonly { start: number; end: number; bytes: number[] }[]): { head: Uint8Array; oldEnd: number } {
  const pieces: Uint8Array[] = [];
  let cursor = 0;
  for (const s of secs) {
    const inside = edits.filter((e) => e.start >= s.start && e.end <= s.end);
    if (inside.length === 0) continue;
    pieces.push(bytes.subarray(cursor, s.headerStart));
    const body: Uint8Array[] = [];
    let p = s.start;
    for (const e of inside) {
      body.push(bytes.subarray(p, e.start), Uint8Array.from(e.bytes));
      p = e.end;
    }
    body.push(bytes.subarray(p, s.end));
    pieces.push(Uint8Array.from([s.id, ...encodeU32(body.reduce((n, b) => n + b.length, 0))]), ...body);
    cursor = s.end;
  }
  const head = new Uint8Array(pieces.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of pieces) {
    head.set(b, at);
    at += b.length;
  }
  return { head, oldEnd: cursor };
}

function mib(pages: number): string {
  return `${(pages * PAGE_SIZE) / (1024 * 1024)} MiB`;
}
