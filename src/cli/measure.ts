/**
 * `enarx measure [--backend NAME] [--json]`: the measurement a keep of this installation will
 * have, and the reference value that names it.
 */
import { VERSION } from '../version.js';
import { runtimeMeasurement } from '../runtime/measurement.js';
import { optionValue, parseArgs } from './args.js';
import { CliError, usageError } from './errors.js';

const USAGE = `usage: enarx measure [--backend NAME] [--json]

Prints the measurement (SHA-384, 96 hex digits) a keep launched from this installation has:
the keep runtime bundle and the pinned engine it runs on. The simulated SEV-SNP platform (sim)
reports exactly this value; clients accept it when it is in their reference values.
`;

/** Entry point of `enarx measure`. */
export async function measureMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { backend: { value: true }, json: { value: false }, verbose: { value: false }, help: { value: false, short: 'h' } });
  if (args.flags.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.positionals.length > 0) throw usageError(`unexpected argument '${args.positionals[0]}'`);
  const backend = optionValue(args, 'backend') ?? 'sim';
  if (backend !== 'sim') {
    throw new CliError(
      'ERR_BACKEND_UNSUPPORTED',
      `the measurement of a '${backend}' keep is taken by its hardware over the whole confidential VM; only 'sim' keeps are measured from this installation`,
    );
  }
  let m;
  try {
    m = await runtimeMeasurement();
  } catch (err) {
    throw new CliError('ERR_NOT_BUILT', `cannot measure the keep runtime (run 'npm run build'): ${(err as Error).message}`, { cause: err });
  }
  const hex = Buffer.from(m.measurement).toString('hex');
  if (args.flags.has('json')) {
    process.stdout.write(JSON.stringify({ measurement: hex, runtime: 'enarx-ts', release: VERSION, backend, engine: m.engine, flags: m.flags, files: m.files }, null, 2) + '\n');
  } else {
    process.stdout.write(`${hex}\n  enarx-ts ${VERSION} on ${backend}\n  engine ${m.engine}\n`);
  }
  return 0;
}
