/**
 * `enarx keep ls|logs|kill [--host URL] [--token T] [--json]`: a tenant's keeps on a host agent.
 */
import { optionValue, parseArgs } from './args.js';
import type { OptionSpecs } from './args.js';
import { usageError } from './errors.js';

const SPECS: OptionSpecs = { host: { value: true }, token: { value: true }, json: { value: false }, verbose: { value: false }, help: { value: false, short: 'h' } };

const USAGE = `usage: enarx keep ls|logs ID|kill ID [--host URL] [--token T] [--json]

  ls         list this tenant's keeps
  logs ID    print a keep's stdout and stderr (what the host still holds, then live) and its outcome
  kill ID    stop a keep
--host defaults to $ENARX_HOST, --token to $ENARX_TOKEN.
`;

/** Entry point of `enarx keep`. */
export async function keepMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, SPECS);
  const [sub, id] = args.positionals;
  if (args.flags.has('help') || sub === undefined) {
    process.stdout.write(USAGE);
    return sub === undefined && !args.flags.has('help') ? 2 : 0;
  }
  const url = optionValue(args, 'host') ?? process.env['ENARX_HOST'];
  if (!url) throw usageError('--host URL (or $ENARX_HOST) is needed');
  const { HttpHost } = await import('../client/http-host.js');
  const host = new HttpHost(url, optionValue(args, 'token') ?? process.env['ENARX_TOKEN']);
  const json = args.flags.has('json');
  switch (sub) {
    case 'ls': {
      const keeps = await host.listKeeps();
      if (json) process.stdout.write(JSON.stringify({ keeps }, null, 2) + '\n');
      else {
        process.stdout.write(`${'ID'.padEnd(38)} ${'BACKEND'.padEnd(8)} ${'STATE'.padEnd(9)} EXIT\n`);
        for (const k of keeps) process.stdout.write(`${k.id.padEnd(38)} ${k.backend.padEnd(8)} ${k.state.padEnd(9)} ${k.exitCode ?? k.error?.code ?? ''}\n`);
      }
      return 0;
    }
    case 'logs': {
      if (!id) throw usageError('keep logs needs a keep ID');
      for await (const ev of host.events(id)) {
        if (ev.type === 'stdout') process.stdout.write(ev.data);
        else if (ev.type === 'stderr') process.stderr.write(ev.data);
        else if (json) process.stderr.write(JSON.stringify(ev) + '\n');
        else if (ev.type === 'exit') process.stderr.write(`keep ${id} exited with ${ev.code}\n`);
        else if (ev.type === 'trap') process.stderr.write(`keep ${id} trapped: ${ev.trap}\n`);
        else process.stderr.write(`keep ${id} failed: ${ev.message} [${ev.code}]\n`);
      }
      return 0;
    }
    case 'kill': {
      if (!id) throw usageError('keep kill needs a keep ID');
      await host.killKeep(id);
      const info = await host.getKeep(id).catch(() => undefined);
      if (json) process.stdout.write(JSON.stringify(info ?? { id, state: 'killed' }) + '\n');
      else process.stdout.write(`keep ${id}: ${info?.state ?? 'killed'}\n`);
      return 0;
    }
    default:
      throw usageError(`unknown subcommand '${sub}'; see enarx keep --help`);
  }
}
