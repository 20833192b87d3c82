// The keep runtime bundle: the files a keep's measurement covers (src/runtime/measurement.ts).
// Shared by the build and by the test that checks the bundle is reproducible.
//
//   keep.mjs         entry of the main thread: opens the control channel, loads the main thread's
//                    code (which then starts the worker thread)
//   keep-worker.mjs  entry of the worker thread (WASI and the workload)
//   keep-xwing.mjs   the X-Wing suite, built apart (see below)
//   keep-<hash>.mjs  chunks, each loaded when first needed (esbuild code splitting; the hash is
//                    of the content, so the same source gives the same names and bytes)
//   hostcalls.node   the WASI layer's system calls on host files (native/hostcalls.node, committed
//                    and rebuilt byte for byte by its test; src/wasi/fs/hostcalls.ts loads it from
//                    beside its own code)
//
// The code the keep needs before it can attest (the protocol, its key) is apart from what it
// needs only later (HPKE, the package, the compiler), which loads while the host and the client
// work.
import { copyFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';

/**
 * Node.js's built-in modules, taken with `process.getBuiltinModule` instead of `import`. An ESM
 * import of a built-in makes Node build a facade that reads every one of its exports, and that
 * wakes lazy ones: `import 'node:fs'` loads the whole streams stack (~3 ms), where taking the
 * module costs 0.2 ms; ten built-ins cost ~5 ms more through `import`, in each of the CLI, the
 * keep's main thread and its worker. A built-in becomes a small ES module that takes it so and
 * exports each of its members by name: esbuild keeps only the members a bundle uses (and a
 * bundle that uses none does not load it). Each importer gets its own copy (keyed by its path),
 * so that code splitting makes no chunk of these.
 */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(['default', 'eval', 'arguments', 'await', 'yield', 'let', 'static', 'enum', 'implements', 'interface', 'package', 'private', 'protected', 'public']);
export const builtinsWithoutImport = {
  name: 'node-builtins-without-import',
  setup(build) {
    const root = build.initialOptions.absWorkingDir ?? '.';
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      const id = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      // Keyed by the importer's path relative to the project: the bytes are the same in any checkout.
      return { path: id, namespace: 'node-builtin', suffix: `?${relative(root, args.importer)}`, sideEffects: false };
    });
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => {
      const names = Object.keys(process.getBuiltinModule(args.path)).filter((n) => IDENTIFIER.test(n) && !RESERVED.has(n));
      const lines = [`const m = process.getBuiltinModule(${JSON.stringify(args.path)});`, 'export default m;', ...names.map((n) => `export const ${n} = /* @__PURE__ */ (() => m.${n})();`)];
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

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
    // Bundled CommonJS dependencies and the built-ins need `require`: one that resolves like
    // Node's, made without importing node:module (process.getBuiltinModule: Node >= 20.16).
    banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
    plugins: [builtinsWithoutImport],
  };
}

/**
 * The X-Wing suite is built as a file of its own, keep-xwing.mjs, with its own copy of the HPKE
 * library: in the same code-splitting build, the library's shared modules went into one chunk
 * with what only X-Wing uses (~27 KB of pure-JS hashes and curves), which the default suite's
 * path then loaded too.
 */
const XWING_SOURCE = 'dist/src/crypto/suite-x-wing.js';
const xwingApart = {
  name: 'x-wing-apart',
  setup(build) {
    build.onResolve({ filter: /suite-x-wing\.js$/ }, (args) => (args.kind === 'entry-point' ? undefined : { path: './keep-xwing.mjs', external: true }));
  },
};

/** The committed Node-API module of the WASI layer (native/build.sh). */
export const HOSTCALLS = 'native/hostcalls.node';

/** Builds the keep runtime bundle into `outdir`. Returns esbuild's result (its metafile covers every file). */
export async function buildKeepBundle(esbuild, root, outdir) {
  const options = commonOptions(root);
  const main = await esbuild.build({
    ...options,
    plugins: [...options.plugins, xwingApart],
    metafile: true,
    splitting: true,
    chunkNames: 'keep-[hash]',
    entryPoints: { keep: 'dist/src/keep/entry.js', 'keep-worker': 'dist/src/runtime/worker-entry.js' },
    outdir,
    outExtension: { '.js': '.mjs' },
  });
  copyFileSync(join(root, HOSTCALLS), join(outdir, 'hostcalls.node'));
  const xwing = await esbuild.build({
    ...options,
    metafile: true,
    entryPoints: { 'keep-xwing': XWING_SOURCE },
    outdir,
    outExtension: { '.js': '.mjs' },
  });
  return {
    ...main,
    metafile: {
      inputs: { ...main.metafile.inputs, ...xwing.metafile.inputs },
      outputs: { ...main.metafile.outputs, ...xwing.metafile.outputs },
    },
  };
}
