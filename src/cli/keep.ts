/**
 * `enarx keep ls|logs|kill [--host URL] [--token T] [--json]`: a tenant's keeps on a host agent.
 * `logs` reads a keep's sealed records with the keys its deploying client kept (keep-keys.ts);
 * without them it shows what the host knows (record sizes, states) and says why it cannot show
 * more.
 */
import { keepKeysDir, keepKeysFile, loadKeepKeys } from '../client/keep-keys.js';
import type { KeptKeys } from '../client/keep-keys.js';
import type { HttpHost } from '../client/http-host.js';
import { b64 } from '../protocol/evidence.js';
import { encodeKeepInfo } from '../protocol/http.js';
import type { KeepInfo } from '../protocol/http.js';
import { optionValue, parseArgs } from './args.js';
import type { OptionSpecs } from './args.js';
import { CliError, reportError, usageError } from './errors.js';
import type { ReportOptions } from './errors.js';
import { reportOutcome, writeOutput } from './workload-io.js';

const SPECS: OptionSpecs = { host: { value: true }, token: { value: true }, json: { value: false }, verbose: { value: false }, help: { value: false, short: 'h' } };

const USAGE = `usage: enarx keep ls|logs ID|kill ID [--host URL] [--token T] [--json]

  ls         list this tenant's keeps (state, sealed output records and bytes, failure)
  logs ID    the keep's stdout and stderr (what the host still holds, then live) and how it ended,
             opened with the keys its deploying client kept (~/.local/share/enarx/keep-keys/);
             without them, what the host knows: record sizes and states
  kill ID    stop a keep
--host defaults to $ENARX_HOST, --token to $ENARX_TOKEN. --json: one JSON object per line.
exit status of logs: the workload's, as for enarx deploy; 1 when the output cannot be shown.
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
  const report = { json: args.flags.has('json'), verbose: args.flags.has('verbose') };
  switch (sub) {
    case 'ls':
      return listKeeps(await host.listKeeps(), report.json);
    case 'logs': {
      if (!id) throw usageError('keep logs needs a keep ID');
      const dir = keepKeysDir();
      const kept = loadKeepKeys(dir, id);
      return kept ? showLogs(host, kept, report) : showSizes(host, id, keepKeysFile(dir, id), report);
    }
    case 'kill': {
      if (!id) throw usageError('keep kill needs a keep ID');
      const info = await host.killKeep(id);
      if (report.json) process.stdout.write(JSON.stringify(encodeKeepInfo(info)) + '\n');
      else process.stdout.write(`keep ${id}: ${info.state}\n`);
      return 0;
    }
    default:
      throw usageError(`unknown subcommand '${sub}'; see enarx keep --help`);
  }
}

function listKeeps(keeps: readonly KeepInfo[], json: boolean): number {
  if (json) {
    process.stdout.write(JSON.stringify({ keeps: keeps.map(encodeKeepInfo) }, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(`${'ID'.padEnd(36)}  ${'BACKEND'.padEnd(7)}  ${'STATE'.padEnd(8)}  ${'OUTPUT'.padEnd(20)}  ERROR\n`);
  for (const k of keeps) {
    const output = k.output ? `${k.output.records} rec, ${k.output.bytes} B` : '';
    process.stdout.write(`${k.id.padEnd(36)}  ${k.backend.padEnd(7)}  ${k.state.padEnd(8)}  ${output.padEnd(20)}  ${k.error?.code ?? ''}\n`);
  }
  return 0;
}

const line = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');

/** The keep's output and outcome, opened with its kept keys. */
async function showLogs(host: HttpHost, kept: KeptKeys, report: ReportOptions): Promise<number> {
  const { followKeep } = await import('../client/session.js');
  try {
    const outcome = await followKeep(host.events(kept.keepId), kept.output, {
      onOutput: report.json ? (stream, data) => line({ type: 'output', stream, data: b64(data) }) : writeOutput,
      onDropped: (records, bytes) => {
        if (report.json) line({ type: 'dropped', records, bytes });
        else process.stderr.write(`enarx: the host no longer holds the first ${records} records (${bytes} bytes) of this keep's output (its retention is bounded): what they said is lost\n`);
      },
    });
    if (report.json) line({ type: 'outcome', outcome });
    return reportOutcome(outcome, report);
  } catch (err) {
    return reportError(err, report);
  }
}

/** What the host knows of a keep whose keys this client does not hold. */
async function showSizes(host: HttpHost, id: string, keysFile: string, report: ReportOptions): Promise<number> {
  let records = 0;
  let bytes = 0;
  for await (const e of host.events(id)) {
    if (e.type === 'record') {
      records++;
      bytes += e.record.length;
      if (report.json) line({ type: 'record', kind: e.record[4] === 2 ? 'outcome' : 'output', bytes: e.record.length });
    } else if (report.json) line({ ...e });
    else if (e.type === 'state') process.stderr.write(`keep ${id}: ${e.state}\n`);
    else if (e.type === 'error') process.stderr.write(`keep ${id}: the host says: ${e.message} [${e.code}]\n`);
    else if (e.type === 'dropped') process.stderr.write(`keep ${id}: the host no longer holds ${e.records} records (${e.bytes} bytes)\n`);
    else process.stderr.write(`keep ${id}: its workload asked for input\n`);
  }
  if (!report.json) process.stderr.write(`keep ${id}: ${records} sealed records (${bytes} bytes) held by the host\n`);
  return reportError(
    new CliError(
      'ERR_NO_KEYS',
      `cannot show keep ${id}'s output: it is sealed to the client that deployed it, and this client has no keys for it (${keysFile}); deploy with 'enarx deploy --host' from this account to keep them`,
    ),
    report,
  );
}
