// The keep runtime bundle: the files a keep's measurement covers (src/runtime/measurement.ts).
// Shared by the build and by the test that checks the bundle is reproducible.
//
//   keep.mjs         entry of the main thread: starts the worker thread, then loads keep-main.mjs
//   keep-main.mjs    the main thread's protocol, crypto and compile code
//   keep-worker.mjs  the worker thread (WASI and the workload)
//
// keep.mjs is kept tiny so that the worker starts as early as possible: Node.js takes 40-55 ms
// to bootstrap a worker, and the workload cannot start before it is up.
import { join } from 'node:path';

/** esbuild options shared by every bundle of this project. */
export function commonOptions(root) {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: root,
    // Bundled CommonJS dependencies need `require`; give them one that resolves like Node's.
    banner: { js: "import { createRequire as __enarxCreateRequire } from 'node:module'; const require = __enarxCreateRequire(import.meta.url);" },
  };
}

/** Builds the keep runtime bundle into `outdir`. Returns esbuild's result (with a metafile). */
export async function buildKeepBundle(esbuild, root, outdir) {
  const main = join(root, 'dist/src/keep/main.js');
  return esbuild.build({
    ...commonOptions(root),
    metafile: true,
    entryPoints: { keep: 'dist/src/keep/entry.js', 'keep-main': 'dist/src/keep/main.js', 'keep-worker': 'dist/src/runtime/worker-entry.js' },
    outdir,
    outExtension: { '.js': '.mjs' },
    plugins: [
      {
        name: 'keep-main-separate',
        setup(build) {
          // The entry's `import('./main.js')` loads the keep-main.mjs bundle instead of inlining it.
          build.onResolve({ filter: /^\.\/main\.js$/ }, (args) =>
            args.kind !== 'entry-point' && join(args.resolveDir, args.path) === main ? { path: './keep-main.mjs', external: true } : undefined,
          );
        },
      },
    ],
  });
}
