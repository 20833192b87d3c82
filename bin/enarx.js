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

/**
 * How long the event loop may take to run dry once the command is done, before the CLI leaves
 * anyway: only something left open by mistake can hold it that long.
 */
const EXIT_GRACE_MS = 1000;

/**
 * Leaves once the command is done, by letting the event loop run dry rather than by process.exit:
 * the engine's process.exit can hang for ever (nodejs/node#54918: it joins V8's helper threads
 * while one, compiling in the background, waits for a collection that only the main thread could
 * make; seen after 100 MiB through `enarx run`), where a natural exit disposes of the engine
 * first. A command stops what it started (a pending read of stdin, servers, keeps), so nothing is
 * left to run; should something hold the loop still, process.exit after EXIT_GRACE_MS.
 */
function leave(code) {
  process.exitCode = code;
  setTimeout(() => {
    if (process.env.ENARX_TRACE) process.stderr.write(`enarx-trace forced exit: ${JSON.stringify(process.getActiveResourcesInfo())}\n`);
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
}

main(process.argv.slice(2)).then(leave, (err) => {
  process.stderr.write(`enarx: internal error: ${err?.stack ?? err}\n`);
  leave(70);
});
