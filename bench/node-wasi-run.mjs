// The peer for benchmarks: run a WASI command with Node's own node:wasi, the way a user of
// plain Node.js would. Usage: node node-wasi-run.mjs [--dir HOST::GUEST]... MODULE [ARGS...]
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const argv = process.argv.slice(2);
const preopens = {};
while (argv[0] === '--dir') {
  const [host, guest] = argv[1].split('::');
  preopens[guest] = host;
  argv.splice(0, 2);
}
const wasi = new WASI({ version: 'preview1', args: argv, env: {}, preopens, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(argv[0]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
