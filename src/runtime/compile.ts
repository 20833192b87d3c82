/**
 * From untrusted bytes to a compiled module the keep will run: format checks, the memory cap,
 * compilation, and a check that every import is something we provide.
 */
import { WASI_FUNCTIONS, WASI_MODULE, wasiType } from '../wasi/functions.js';
import { RuntimeError, RuntimeErrorCode } from './errors.js';
import { formatType, moduleSignatures } from './module-signatures.js';
import { type EngineStrategy, engineStrategy } from './engine.js';
import { PAGE_SIZE, capMemory, sections } from './module-info.js';


const KNOWN = new Set(WASI_FUNCTIONS);
const SYNC_COMPILE_MAX_BYTES = 4 * 1024 * 1024;

/** The section id of a module's code (function bodies). */
const CODE_SECTION = 10;

/**
 * How the keep should compile `bytes`: by the size of its code (runtime/engine.ts). Bytes too
 * malformed to size get `optimizing`; compiling them then says what is wrong.
 */
export function strategyFor(bytes: Uint8Array): EngineStrategy {
  let code: { start: number; end: number } | undefined;
  try {
    code = sections(bytes).find((s) => s.id === CODE_SECTION);
  } catch {
    // Reported by compileModule.
  }
  return engineStrategy(code ? code.end - code.start : 0);
}

/**
 * Compiles `bytes` with every memory capped at `maxMemoryBytes`; `spare`: how many bytes just
 * before `bytes` in its buffer the cap may overwrite (module-info.ts `capMemory`). @throws RuntimeError
 */
export async function compileModule(bytes: Uint8Array, maxMemoryBytes: number, spare = 0): Promise<WebAssembly.Module> {
  let capped: Uint8Array;
  try {
    capped = capMemory(bytes, Math.floor(maxMemoryBytes / PAGE_SIZE), spare);
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RuntimeError(RuntimeErrorCode.MODULE_INVALID, (err as Error).message, { cause: err });
  }
  let module: WebAssembly.Module;
  try {
    // Functions compile lazily, at their first call: compiling decodes and validates. A small
    // module is done in well under a millisecond, less than the thread round trips of the
    // asynchronous API cost; a large one is compiled off this thread.
    module = capped.length <= SYNC_COMPILE_MAX_BYTES ? new WebAssembly.Module(capped) : await WebAssembly.compile(capped);
  } catch (err) {
    throw new RuntimeError(RuntimeErrorCode.MODULE_INVALID, `invalid WebAssembly module: ${(err as Error).message}`, { cause: err });
  }
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== WASI_MODULE || imp.kind !== 'function' || !KNOWN.has(imp.name)) {
      throw new RuntimeError(
        RuntimeErrorCode.MODULE_IMPORT,
        `module imports ${imp.kind} '${imp.module}::${imp.name}', which a keep does not provide (only ${WASI_MODULE} functions)`,
      );
    }
  }
  // The JS API would link a WASI function to an import of any type; check the types ourselves.
  const sigs = moduleSignatures(capped);
  if (sigs) {
    for (const imp of sigs.imports) {
      const want = wasiType(imp.name);
      if (want && formatType(want) !== formatType(imp.type)) {
        throw new RuntimeError(
          RuntimeErrorCode.MODULE_IMPORT,
          `module imports '${imp.module}::${imp.name}' with type ${formatType(imp.type)}; WASI defines ${formatType(want)}`,
        );
      }
    }
    const start = sigs.exports.get('_start');
    if (start && (start.params.length > 0 || start.results.length > 0)) {
      throw new RuntimeError(RuntimeErrorCode.MODULE_NO_START, `module's _start has type ${formatType(start)}; a WASI command's _start takes and returns nothing`);
    }
  }
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    throw new RuntimeError(RuntimeErrorCode.MODULE_NO_START, 'module has no _start function (is it a WASI command?)');
  }
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw new RuntimeError(RuntimeErrorCode.MODULE_NO_MEMORY, "module does not export its memory as 'memory'");
  }
  return module;
}
