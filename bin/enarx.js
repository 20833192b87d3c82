#!/usr/bin/env node
// The CLI's entry point, on any Node.js >= 20.16 (bin/enarx, the `enarx` command, picks which).
// The CLI is compiled TypeScript; the build also bundles it (dist/bundle/cli/) so that `enarx`
// starts fast, and this falls back to the unbundled build when the bundle is absent.
// Built-ins by process.getBuiltinModule, not `import`: an ESM import of node:fs alone costs
// ~3 ms of start-up (see scripts/keep-bundle.mjs).
const { existsSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const { homedir } = process.getBuiltinModule('node:os');
const { join } = process.getBuiltinModule('node:path');

// V8's compile cache (Node.js >= 22.1) in the user's cache folder: the bundles are parsed and
// compiled once, not at every start. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'enarx', 'compile-cache'));

const bundle = new URL('../dist/bundle/cli/enarx.mjs', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/src/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`enarx: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
