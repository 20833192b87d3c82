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
  const funcTypes: number[] = [];
  const imports: { module: string; name: string; type: FuncType }[] = [];
  const exports = new Map<string, FuncType>();
  for (const s of sections(bytes)) {
    const r: Reader = { b: bytes.subarray(0, s.end), pos: s.start };
    if (s.id === 1) {
      const n = u32(r);
      for (let i = 0; i < n; i++) {
        if (r.b[r.pos++] !== 0x60) return undefined;
        const params = valtypes(r);
        const results = params && valtypes(r);
        if (!params || !results) return undefined;
        types.push({ params, results });
      }
    } else if (s.id === 2) {
      const n = u32(r);
      for (let i = 0; i < n; i++) {
        const module = name(r);
        const field = name(r);
        const kind = r.b[r.pos++];
        if (kind === 0) {
          const t = types[u32(r)];
          if (!t) throw new ModuleFormatError('import refers to a missing type');
          imports.push({ module, name: field, type: t });
          funcTypes.push(types.indexOf(t));
        } else if (kind === 1) {
          r.pos++;
          const f = u32(r);
          u32(r);
          if (f & 1) u32(r);
        } else if (kind === 2) {
          const f = u32(r);
          u32(r);
          if (f & 1) u32(r);
        } else if (kind === 3) r.pos += 2;
        else if (kind === 4) {
          r.pos++;
          u32(r);
        } else return undefined;
      }
    } else if (s.id === 3) {
      const n = u32(r);
      for (let i = 0; i < n; i++) funcTypes.push(u32(r));
    } else if (s.id === 7) {
      const n = u32(r);
      for (let i = 0; i < n; i++) {
        const field = name(r);
        const kind = r.b[r.pos++];
        const idx = u32(r);
        if (kind === 0) {
          const t = types[funcTypes[idx] ?? -1];
          if (t) exports.set(field, t);
        }
      }
    }
  }
  return { imports, exports };
}

/** `(i32, i64) -> (i32)` */
export function formatType(t: FuncType): string {
  return `(${t.params.join(', ')}) -> (${t.results.join(', ')})`;
}
