/**
 * A tiny WebAssembly binary writer for tests that need hand-made modules without a toolchain.
 * Only what the tests use: one function type per function, i32 params/results.
 */

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** A length-prefixed name. */
export function name(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...leb(b.length), ...b];
}

/** A section: id, size, contents. */
export function section(id: number, contents: number[]): number[] {
  return [id, ...leb(contents.length)].concat(contents);
}

/** A vector: count then items. */
export function vec(items: number[][]): number[] {
  return leb(items.length).concat(...items);
}

/** One function of a hand-made module. */
export interface FuncSpec {
  readonly name: string;
  readonly params?: number;
  readonly results?: number;
  /** Body instructions, without locals or the final `end`. */
  readonly body: number[];
  readonly export?: boolean;
}

/** Builds a module with the given functions, an optional exported memory, and a name section. */
export function buildModule(funcs: readonly FuncSpec[], opts: { memoryPages?: number; memoryMax?: number; imports?: { module: string; name: string; params: number; results: number }[] } = {}): Uint8Array {
  const imports = opts.imports ?? [];
  const types = [
    ...imports.map((i) => [0x60, ...vec(Array.from({ length: i.params }, () => [0x7f])), ...vec(Array.from({ length: i.results }, () => [0x7f]))]),
    ...funcs.map((f) => [0x60, ...vec(Array.from({ length: f.params ?? 0 }, () => [0x7f])), ...vec(Array.from({ length: f.results ?? 0 }, () => [0x7f]))]),
  ];
  const out = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  out.push(...section(1, vec(types)));
  if (imports.length) out.push(...section(2, vec(imports.map((i, k) => [...name(i.module), ...name(i.name), 0, ...leb(k)]))));
  out.push(...section(3, vec(funcs.map((_, k) => leb(imports.length + k)))));
  if (opts.memoryPages !== undefined) {
    const limits = opts.memoryMax === undefined ? [0, ...leb(opts.memoryPages)] : [1, ...leb(opts.memoryPages), ...leb(opts.memoryMax)];
    out.push(...section(5, vec([limits])));
  }
  const exps: number[][] = [];
  if (opts.memoryPages !== undefined) exps.push([...name('memory'), 2, 0]);
  funcs.forEach((f, k) => {
    if (f.export !== false) exps.push([...name(f.name), 0, ...leb(imports.length + k)]);
  });
  out.push(...section(7, vec(exps)));
  const code = section(10, vec(funcs.map((f) => {
    const body = [0].concat(f.body, [0x0b]);
    return leb(body.length).concat(body);
  })));
  const names = vec(funcs.map((f, k) => [...leb(imports.length + k), ...name(f.name)]));
  return Uint8Array.from(out.concat(code, section(0, [...name('name'), 1, ...leb(names.length), ...names])));
}
