/**
 * `enarx` command dispatcher. Each command group lives in its own module and is imported only
 * when used, so that `enarx run` pays only for what it needs at start-up.
 */
import { trace } from '../trace.js';
import { CliError, reportError, usageError } from './errors.js';

/** A command group: receives the arguments after its name, returns the exit status. */
export type CommandMain = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<CommandMain> }>> = {
  run: { summary: 'run a WebAssembly module in a local keep', load: async () => (await import('./run.js')).runMain },
  deploy: { summary: 'deploy a workload into an attested keep (encrypted to it)', load: async () => (await import('./deploy.js')).deployMain },
  keep: { summary: "list, follow or stop a host's keeps", load: async () => (await import('./keep.js')).keepMain },
  config: { summary: 'Enarx.toml helpers (init, check)', load: async () => (await import('./config.js')).configMain },
  attest: { summary: "verify attestation evidence (SEV-SNP, TDX, SGX) or a keep's TLS endpoint", load: async () => (await import('./attest.js')).attestMain },
  measure: { summary: "print this installation's keep measurement", load: async () => (await import('./measure.js')).measureMain },
  platform: { summary: 'what this machine offers (TEEs, backends)', load: async () => (await import('./platform.js')).platformMain },
  host: { summary: 'run the host agent (HTTP API for remote deploys)', load: async () => (await import('./host.js')).hostMain },
  package: { summary: 'publish, fetch, sign and verify workload packages (OCI registries, local store)', load: async () => (await import('./package.js')).packageMain },
  steward: { summary: 'run the attestation CA (certificates and EAR tokens for attested keeps)', load: async () => (await import('./steward.js')).stewardMain },
};

function usage(): string {
  const lines = ['usage: enarx <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', "run 'enarx <command> --help' for a command's options");
  return lines.join('\n') + '\n';
}

/** Entry point of the `enarx` binary. Returns the process exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  trace(`cli on Node.js ${process.version}`);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    const { VERSION } = await import('../version.js');
    process.stdout.write(`enarx ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  const json = rest.includes('--json');
  const verbose = rest.includes('--verbose');
  try {
    if (!command) throw usageError(`unknown command '${name}'; see 'enarx --help'`);
    const run = await command.load();
    trace('command code loaded');
    return await run(rest);
  } catch (err) {
    return reportError(err, { json, verbose });
  }
}

export { CliError };
