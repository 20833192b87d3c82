/**
 * Turns an engine error raised while a guest runs into a WebAssembly trap description:
 * the trap's name in the spec's words (as wasmtime prints them) and the function it hit.
 */

/** A classified trap. */
export interface TrapInfo {
  /** e.g. `unreachable`, `out of bounds memory access`, `call stack exhausted`. */
  readonly trap: string;
  /** The wasm function the trap happened in: its name when the module has one, else `wasm-function[N]`. */
  readonly func?: string;
}

/** V8's RuntimeError messages → the spec's trap names. */
const V8_TRAPS: readonly (readonly [RegExp, string])[] = [
  [/^unreachable/, 'unreachable'],
  [/memory access out of bounds/, 'out of bounds memory access'],
  [/divide by zero|remainder by zero/, 'integer divide by zero'],
  [/integer overflow/, 'integer overflow'],
  [/float unrepresentable|invalid conversion/, 'invalid conversion to integer'],
  [/signature mismatch|null function/, 'indirect call type mismatch'],
  [/table index is out of bounds|element segment out of bounds/, 'undefined element: out of bounds table access'],
  [/data segment out of bounds/, 'out of bounds memory access'],
  [/dereferencing a null pointer|null/, 'null reference'],
  [/array element access out of bounds/, 'out of bounds array access'],
];

/** Classifies `err` as a trap, or returns undefined when it is not one. */
export function classifyTrap(err: unknown): TrapInfo | undefined {
  if (!(err instanceof Error)) return undefined;
  let trap: string | undefined;
  if (err instanceof RangeError && /call stack/i.test(err.message)) trap = 'call stack exhausted';
  else if (err instanceof WebAssembly.RuntimeError) {
    trap = V8_TRAPS.find(([re]) => re.test(err.message))?.[1] ?? err.message;
  }
  if (trap === undefined) return undefined;
  const func = wasmFunction(err.stack ?? '');
  return func === undefined ? { trap } : { trap, func };
}

/** The first wasm frame of a V8 stack trace. */
function wasmFunction(stack: string): string | undefined {
  for (const line of stack.split('\n')) {
    if (!line.includes('wasm://')) continue;
    const named = /at (?:.*\.)?([^\s(]+) \(wasm:\/\/[^)]*wasm-function\[(\d+)\]/.exec(line);
    if (named) return named[1]!.startsWith('$') ? named[1]!.slice(1) : named[1]!;
    const anon = /wasm-function\[(\d+)\]/.exec(line);
    if (anon) return `wasm-function[${anon[1]}]`;
  }
  return undefined;
}
