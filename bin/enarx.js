#!/usr/bin/env node
// Launcher. The CLI is compiled TypeScript; the build also bundles it (dist/bundle/cli/) so
// that `enarx` starts fast, and falls back to the unbundled build when the bundle is absent.
import { existsSync } from 'node:fs';

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
