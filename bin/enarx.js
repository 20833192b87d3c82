#!/usr/bin/env node
// The CLI's entry point, on any Node.js >= 20.16 (bin/enarx, the `enarx` command, picks which).
// The CLI is compiled TypeScript; the build also bundles it (dist/bundle/cli/) so that `enarx`
// starts fast, and this falls back to the unbundled build when the bundle is absent.
// Built-ins by process.getBuiltinModule, not `import`: an ESM import of node:fs alone costs
// ~3 ms of start-up (see scripts/keep-bundle.mjs).
if (typeof process.getBuiltinModule !== 'function') {
  process.stderr.write(`enarx: needs Node.js >= 20.16 (this is ${process.version})\n`);
  process.exit(1);
}
const { existsSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const { homedir } = process.getBuiltinModule('node:os');
const { join } = process.getBuiltinModule('node:path');

const cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'enarx');
const cacheOff = process.env.NODE_DISABLE_COMPILE_CACHE === '1';
const bundle = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'dist', 'bundle', 'cli', 'enarx.cjs');
let main;
let saveCodeCache = () => {};
if (existsSync(bundle)) {
  // The bundles, with a code cache made after a first run of each command (bin/cli-loader.js).
  const { cliLoader } = await import('./cli-loader.js');
  const loader = cliLoader(cacheOff ? undefined : join(cacheRoot, 'code-cache'), process.argv[2] ?? '');
  saveCodeCache = loader.save;
  ({ main } = loader.load(bundle));
} else {
  // No build: the compiled modules, with V8's compile cache (Node.js >= 22.1).
  if (!cacheOff) module.enableCompileCache?.(join(cacheRoot, 'compile-cache'));
  ({ main } = await import('../dist/src/cli/main.js'));
}
process.on('exit', () => saveCodeCache());

// Leaves as soon as the command is done: a read of stdin still pending (the workload did not
// want more input) must not hold the process (output is written synchronously, nothing is lost).
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`enarx: internal error: ${err?.stack ?? err}\n`);
    process.exit(70);
  },
);
