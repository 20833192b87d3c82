/**
 * `enarx attest tls HOST:PORT`: connect to a keep's TLS endpoint and verify the evidence its
 * certificate carries (RA-TLS, client/keep-tls.ts) against what this user trusts. Exit status 0
 * when the keep is accepted, 1 (with `enarx: <message> [ERR_...]`) when not, 2 on a usage error.
 */
import type { AcceptedKeepTls } from '../client/keep-tls.js';
import { optionValue, parseArgs } from './args.js';
import type { OptionSpecs } from './args.js';
import { usageError } from './errors.js';
import { loadTrustPolicy, TRUST_OPTIONS, trustArgs } from './trust-options.js';

export const USAGE = `usage: enarx attest tls [options] HOST:PORT

Connects to a keep's TLS endpoint (an Enarx.toml listen socket with prot = "tls") and verifies
the evidence in its certificate: signed by a trusted platform, bound to the certificate's key
(which the TLS handshake proves the keep holds), from a runtime you accept. Nothing is sent.
Exit status 0: accepted; 1: refused (the error code says why).

options:
  --allow-sim              accept keeps on the simulated SEV-SNP platform (development only)
  --trust-root FILE        with --allow-sim: the only sim ARK(s) to trust (PEM/DER); without it,
                           the root the keep's certificate presents is accepted
  --reference-values FILE  the runtimes accepted (default: this installation's)
  --measurement HEX        accept this runtime measurement (repeatable); with or without
                           --reference-values, replaces the installation's
  --servername NAME        the TLS server name to send (default: HOST, when it is a name)
  --json                   print the result (or the error) as JSON
  -h, --help               print this help
`;

const SPECS: OptionSpecs = {
  ...TRUST_OPTIONS,
  servername: { value: true },
  json: { value: false },
  verbose: { value: false },
  help: { value: false, short: 'h' },
};

/** `HOST:PORT`, `[IPv6]:PORT`. @throws CliError ERR_USAGE */
export function parseEndpoint(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw usageError(`'${text}': expected HOST:PORT (an IPv6 address in brackets: [::1]:8443)`);
  return { host: (m[1] ?? m[2])!, port };
}

/** The human-readable result. */
export function formatAcceptedTls(endpoint: string, k: AcceptedKeepTls): string {
  const a = k.appraisal;
  const lines = [`accepted: the keep at ${endpoint}`];
  const row = (key: string, v: string): void => void lines.push(`  ${key.padEnd(20)} ${v}`);
  row('tee', a?.tee ?? 'none');
  row('product', a?.product ?? '-');
  row('runtime', k.reference ? `${k.reference.runtime} ${k.reference.release} (${k.reference.backend})` : 'a measurement given with --measurement');
  row('measurement', a?.measurement ?? '-');
  row('certificate sha256', k.fingerprintSha256);
  return lines.join('\n') + '\n';
}

/** Entry point of `enarx attest tls`. */
export async function attestTlsMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, SPECS);
  if (args.flags.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [target, ...extra] = args.positionals;
  if (target === undefined) throw usageError('missing HOST:PORT; see enarx attest tls --help');
  if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}'`);
  const { host, port } = parseEndpoint(target);
  const policy = await loadTrustPolicy(trustArgs(args));
  const servername = optionValue(args, 'servername');
  const { verifyKeepTls } = await import('../client/keep-tls.js');
  const accepted = await verifyKeepTls(host, port, policy, servername !== undefined ? { servername } : {});
  if (args.flags.has('json')) {
    const a = accepted.appraisal;
    const out = { host, port, tee: a?.tee ?? null, product: a?.product ?? null, measurement: a?.measurement ?? null, runtime: accepted.reference ?? null, fingerprintSha256: accepted.fingerprintSha256, appraisal: a ?? null };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    process.stdout.write(formatAcceptedTls(target, accepted));
  }
  return 0;
}
