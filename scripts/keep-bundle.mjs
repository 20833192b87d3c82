// The keep runtime bundle: the files a keep's measurement covers (src/runtime/measurement.ts).
// Shared by the build and by the test that checks the bundle is reproducible.
//
//   keep.mjs         entry of the main thread: starts the worker thread, then loads the rest
//   keep-worker.mjs  entry of the worker thread (WASI and the workload)
//   keep-<hash>.mjs  chunks, each loaded when first needed (esbuild code splitting; the hash is
//                    of the content, so the same source gives the same names and bytes)
//
// keep.mjs is tiny so that the worker starts as early as possible (Node.js bootstraps a whole
// environment for it), and the code the keep needs before it can attest (the protocol, its key)
// is apart from what it needs only later (HPKE, the package, the compiler), which loads while
// the host and the client work.
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
  return esbuild.build({
    ...commonOptions(root),
    metafile: true,
    splitting: true,
    chunkNames: 'keep-[hash]',
    entryPoints: { keep: 'dist/src/keep/entry.js', 'keep-worker': 'dist/src/runtime/worker-entry.js' },
    outdir,
    outExtension: { '.js': '.mjs' },
  });
}
