// The peer for benchmarks: run a WASI command with Node's own node:wasi, the way a user of
// plain Node.js would.
// Usage: node node-wasi-run.mjs [--dir HOST::GUEST]... [--env KEY=VALUE]... [--argv0 NAME] MODULE [ARGS...]
// The workload sees only the given environment (as under `enarx run`), its argv[0] is NAME
// (default: MODULE as given), and it inherits this process's stdin, stdout and stderr.
import { readFile } from 'node:fs/promises';

// node:wasi is "experimental" and says so on stderr when it loads; the benchmarks compare the
// workload's stderr byte for byte, so that notice is dropped here (not with a flag: the peer
// runs with none) before node:wasi is loaded.
process.removeAllListeners('warning');
const { WASI } = await import('node:wasi');

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let argv0;
for (;;) {
  if (argv[0] === '--dir') {
    const [host, guest] = argv[1].split('::');
    preopens[guest ?? host] = host;
  } else if (argv[0] === '--env') {
    const eq = argv[1].indexOf('=');
    env[argv[1].slice(0, eq)] = argv[1].slice(eq + 1);
  } else if (argv[0] === '--argv0') {
    argv0 = argv[1];
  } else break;
  argv.splice(0, 2);
}
const file = argv[0];
if (argv0 !== undefined) argv[0] = argv0;
const wasi = new WASI({ version: 'preview1', args: argv, env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
