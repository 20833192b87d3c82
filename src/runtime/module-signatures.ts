/**
 * Function signatures of a module's imports and exports, read from its binary (Core spec 2.0
 * §5.5: type section 1, import section 2, function section 3, export section 7). The JS API
 * links any JS function to any import type, so the keep checks WASI imports and `_start`
 * against their specified types itself.
 *
 *   functype ::= 0x60 vec(valtype) vec(valtype)      valtype: 0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64, ...
 */
import { ModuleFormatError, sections, u32 } from './module-info.js';
import type { Reader } from './module-info.js';

/** A function type as value-type names, e.g. `(i32, i64) -> (i32)`. */
export interface FuncType {
  readonly params: readonly string[];
  readonly results: readonly string[];
}

const VALTYPES: Readonly<Record<number, string>> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

function name(r: Reader): string {
  const len = u32(r);
  if (r.pos + len > r.b.length) throw new ModuleFormatError('name runs past the end of its section');
  const s = Buffer.from(r.b.subarray(r.pos, r.pos + len)).toString('utf8');
  r.pos += len;
  return s;
}

function valtypes(r: Reader): string[] | undefined {
  const n = u32(r);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = VALTYPES[r.b[r.pos++]!];
    if (t === undefined) return undefined;
    out.push(t);
  }
  return out;
}

/** Signatures of function imports and exports; undefined when the types use encodings we do not read (GC proposal). */
export interface ModuleSignatures {
  readonly imports: readonly { module: string; name: string; type: FuncType }[];
  readonly exports: ReadonlyMap<string, FuncType>;
}

/** Reads the signatures, or returns undefined if the module's types are beyond MVP encodings. */
export function moduleSignatures(bytes: Uint8Array): ModuleSignatures | undefined {
  const types: FuncType[] = [];
  const importedTypes: number[] = [];
  const imports: { module: string; name: string; type: FuncType }[] = [];
  const exported: { field: string; index: number }[] = [];
  let functions: Reader | undefined;
  for (const s of sections(bytes)) {
    const r: Reader = { b: bytes.subarray(0, s.end), pos: s.start };
    if (s.id === 1) {
      if (!readTypes(r, types)) return undefined;
    } else if (s.id === 2) {
      const n = u32(r);
      for (let i = 0; i < n; i++) {
        const module = name(r);
        const field = name(r);
        const kind = r.b[r.pos++];
        if (kind === 0) {
          const index = u32(r);
          const t = types[index];
          if (!t) throw new ModuleFormatError('import refers to a missing type');
          imports.push({ module, name: field, type: t });
          importedTypes.push(index);
        } else if (!skipImport(r, kind)) return undefined;
      }
    } else if (s.id === 3) {
      functions = r;
    } else if (s.id === 7) {
      const n = u32(r);
      for (let i = 0; i < n; i++) {
        const field = name(r);
        const kind = r.b[r.pos++];
        const index = u32(r);
        if (kind === 0) exported.push({ field, index });
      }
    }
  }
  const typeOf = functionTypes(exported.map((e) => e.index), importedTypes, functions);
  const exports = new Map<string, FuncType>();
  for (const e of exported) {
    const t = types[typeOf.get(e.index) ?? -1];
    if (t) exports.set(e.field, t);
  }
  return { imports, exports };
}

function readTypes(r: Reader, types: FuncType[]): boolean {
  const n = u32(r);
  for (let i = 0; i < n; i++) {
    if (r.b[r.pos++] !== 0x60) return false;
    const params = valtypes(r);
    const results = params && valtypes(r);
    if (!params || !results) return false;
    types.push({ params, results });
  }
  return true;
}

/** Skips a table, memory, global or tag import; false for an unknown kind. */
function skipImport(r: Reader, kind: number | undefined): boolean {
  if (kind === 1) r.pos++;
  else if (kind === 3) {
    r.pos += 2;
    return true;
  } else if (kind === 4) {
    r.pos++;
    u32(r);
    return true;
  } else if (kind !== 2) return false;
  const flags = u32(r);
  u32(r);
  if (flags & 1) u32(r);
  return true;
}

/**
 * The type index of each function in `wanted` (imported ones first, then the function section's
 * entries). One pass over the section, skipping the entries not wanted without decoding them: a
 * large program has hundreds of thousands (pandoc: 620 000).
 */
function functionTypes(wanted: readonly number[], importedTypes: readonly number[], functions: Reader | undefined): Map<number, number> {
  const out = new Map<number, number>();
  const local: number[] = [];
  for (const index of wanted) {
    if (index < importedTypes.length) out.set(index, importedTypes[index]!);
    else local.push(index - importedTypes.length);
  }
  if (functions === undefined || local.length === 0) return out;
  local.sort((a, b) => a - b);
  const r = functions;
  const n = u32(r);
  const b = r.b;
  let k = 0;
  for (let i = 0; i < n && k < local.length; i++) {
    if (i === local[k]) {
      const t = u32(r);
      while (local[k] === i) out.set(importedTypes.length + local[k++]!, t);
    } else {
      while (r.pos < b.length && b[r.pos++]! & 0x80);
    }
  }
  return out;
}

/** `(i32, i64) -> (i32)` */
export function formatType(t: FuncType): string {
  return `(${t.params.join(', ')}) -> (${t.results.join(', ')})`;
}
