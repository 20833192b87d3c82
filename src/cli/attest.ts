/**
 * `enarx attest verify`: verify SEV-SNP, TDX or SGX evidence from files and print the appraisal.
 * Exit status 0 when the evidence is accepted, 1 (with `enarx: <message> [ERR_...]`) when not,
 * 2 on a usage error. `enarx attest tls` (a keep's TLS endpoint) is attest-tls.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { StewardTrust } from '../client/steward.js';
import type { Evidence } from '../protocol/evidence.js';
import type { Appraisal, TcbStatus } from '../attestation/appraisal.js';
import { parseCollateral } from '../attestation/dcap/collateral.js';
import { TCB_STATUSES } from '../attestation/dcap/tcb-info.js';
import { decodeEvidenceText, detectEvidenceFormat, EVIDENCE_FORMATS, type EvidenceFormat } from '../attestation/detect.js';
import { verifyEvidence, type VerifyEvidenceOptions } from '../attestation/verify.js';
import { codeOf } from '../errors.js';
import { optionValue, optionValues, parseArgs, runSubcommand, type OptionSpecs } from './args.js';
import { CliError, usageError } from './errors.js';
import { loadStewardTrust, STEWARD_OPTIONS } from './trust-options.js';

const USAGE = `usage: enarx attest verify [options] EVIDENCE
       enarx attest tls [options] HOST:PORT    verify a keep's TLS endpoint (see 'enarx attest tls --help')

Verifies attestation evidence (an SEV-SNP report, a TDX or SGX quote; raw, hex or base64) and
prints the appraisal. Exit status 0: accepted; 1: rejected (the error code says why).

options:
  --format snp|tdx|sgx     skip format detection
  --cert FILE              SNP: the VCEK/VLEK (DER/PEM), optionally its ASK/ARK; DCAP: the PCK
                           chain when the quote lacks it (repeatable)
  --trust-root FILE        SNP: an extra trusted ARK; DCAP: a root replacing Intel's (repeatable)
  --collateral FILE        DCAP: TCB info + QE identity bundle (dcap-qvl JSON)
  --crl FILE               a CRL, DER or PEM (repeatable)
  --now ISO-8601           verification time (default: now)
  --allow-debug            accept debug guests / enclaves
  --accept-status S        DCAP: accept TCB status S as well as UpToDate (repeatable)
  --allow-no-collateral    DCAP: verify signatures and chain only, without TCB evaluation
  --measurement HEX        allowed measurement (repeatable; default: any)
  --report-data HEX        expected report data
  --steward URL            let this steward appraise the evidence (with --report-data; its EAR
                           token decides, the runtimes it knows name the measurement)
  --steward-jwks FILE      the steward's keys (its /.well-known/jwks.json, saved beforehand)
  --json                   print the appraisal (or the error) as JSON
  -h, --help               print this help
`;

const SPECS: OptionSpecs = {
  format: { value: true },
  cert: { value: true, multiple: true },
  'trust-root': { value: true, multiple: true },
  collateral: { value: true },
  crl: { value: true, multiple: true },
  now: { value: true },
  'allow-debug': { value: false },
  'accept-status': { value: true, multiple: true },
  'allow-no-collateral': { value: false },
  measurement: { value: true, multiple: true },
  'report-data': { value: true },
  ...STEWARD_OPTIONS,
  json: { value: false },
  verbose: { value: false },
  help: { value: false, short: 'h' },
};

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') throw new CliError('ERR_NOT_FOUND', `${what} '${path}': no such file`, { cause: err });
    if (code === 'EACCES' || code === 'EPERM') throw new CliError('ERR_ACCESS', `${what} '${path}': permission denied`, { cause: err });
    throw new CliError('ERR_IO', `cannot read ${what} '${path}': ${(err as Error).message}`, { cause: err });
  }
}

function parseNow(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(d.getTime())) throw usageError(`--now '${value}': expected an ISO-8601 time such as 2025-06-01T00:00:00Z`);
  return d;
}

function hexOption(value: string, name: string): string {
  const h = value.startsWith('0x') ? value.slice(2) : value;
  if (!/^[0-9a-fA-F]*$/.test(h) || h.length % 2 !== 0 || h.length === 0) throw usageError(`--${name} '${value}': expected hex`);
  return h.toLowerCase();
}

/** Builds the verifier options from parsed arguments, reading the files they name. */
async function optionsFrom(args: ReturnType<typeof parseArgs>): Promise<VerifyEvidenceOptions> {
  const format = optionValue(args, 'format');
  if (format !== undefined && !EVIDENCE_FORMATS.includes(format as EvidenceFormat)) throw usageError(`--format '${format}': expected snp, tdx or sgx`);
  const statuses = optionValues(args, 'accept-status');
  for (const s of statuses) if (!(TCB_STATUSES as readonly string[]).includes(s)) throw usageError(`--accept-status '${s}': expected one of ${TCB_STATUSES.join(', ')}`);
  const measurements = optionValues(args, 'measurement').map((m) => hexOption(m, 'measurement'));
  const reportData = optionValue(args, 'report-data');
  const collateralPath = optionValue(args, 'collateral');
  const read = (paths: readonly string[], what: string): Promise<Uint8Array[]> => Promise.all(paths.map((p) => readInput(p, what)));
  const opts: { -readonly [K in keyof VerifyEvidenceOptions]: VerifyEvidenceOptions[K] } = {
    certs: await read(optionValues(args, 'cert'), 'certificate'),
    crls: await read(optionValues(args, 'crl'), 'CRL'),
    allowDebug: args.flags.has('allow-debug'),
  };
  if (args.flags.has('allow-no-collateral')) opts.allowNoCollateral = true;
  const roots = optionValues(args, 'trust-root');
  if (roots.length > 0) opts.trustRoots = await read(roots, 'trust root');
  if (format !== undefined) opts.format = format as EvidenceFormat;
  const now = parseNow(optionValue(args, 'now'));
  if (now !== undefined) opts.now = now;
  if (measurements.length > 0) opts.measurements = measurements;
  if (reportData !== undefined) opts.reportData = hexOption(reportData, 'report-data');
  if (statuses.length > 0) opts.acceptStatus = ['UpToDate', ...(statuses as TcbStatus[])];
  if (collateralPath !== undefined) opts.collateral = parseCollateral(await readInput(collateralPath, 'collateral'));
  return opts;
}

function scalar(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v === null || v === undefined) return '-';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The human-readable appraisal. */
export function formatAppraisal(a: Appraisal): string {
  const lines = [`accepted: ${a.tee} evidence from ${a.product}`];
  const row = (k: string, v: unknown): void => {
    lines.push(`  ${k.padEnd(20)} ${scalar(v)}`);
  };
  row('measurement', a.measurement);
  for (const [k, v] of Object.entries(a.measurements)) row(k, v);
  row('report data', a.reportData);
  row('tcb status', a.tcbStatus);
  row('advisories', a.advisories.length > 0 ? a.advisories.join(', ') : 'none');
  row('tcb', Object.entries(a.tcb).map(([k, v]) => `${k}=${v}`).join(' '));
  row('debug', a.debug);
  a.chain.forEach((c, i) => row(i === 0 ? 'chain' : '', `${c.subject} (sha256 ${c.sha256.slice(0, 16)}…, until ${c.notAfter})`));
  for (const [k, v] of Object.entries(a.details)) row(k, v);
  return lines.join('\n') + '\n';
}

/** Whether `evidence` is a DCAP quote being verified with neither collateral nor --allow-no-collateral. */
function withoutCollateral(evidence: Uint8Array, options: VerifyEvidenceOptions): boolean {
  if (options.collateral !== undefined || options.allowNoCollateral === true) return false;
  try {
    return (options.format ?? detectEvidenceFormat(decodeEvidenceText(evidence))) !== 'snp';
  } catch {
    return false;
  }
}

/** Entry point of `enarx attest`. */
export function attestMain(argv: readonly string[]): Promise<number> {
  return runSubcommand('attest', argv, USAGE, { verify: verifyMain, tls: async (rest) => (await import('./attest-tls.js')).attestTlsMain(rest) });
}

/** `enarx attest verify`. */
async function verifyMain(rest: readonly string[]): Promise<number> {
  const args = parseArgs(rest, SPECS);
  if (args.flags.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [evidencePath, ...extra] = args.positionals;
  if (evidencePath === undefined) throw usageError('missing EVIDENCE; see enarx attest verify --help');
  if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}'`);
  const options = await optionsFrom(args);
  const evidence = await readInput(evidencePath, 'evidence');
  const steward = await loadStewardTrust(args, (options.trustRoots ?? []).length > 0);
  if (steward !== undefined) return viaSteward(evidence, options, steward, args.flags.has('json'));
  let appraisal: Appraisal;
  try {
    appraisal = await verifyEvidence(evidence, options);
  } catch (err) {
    // A verifier's TypeError means an option it cannot use (e.g. report data of the wrong size).
    if (err instanceof TypeError) throw usageError(err.message);
    if (codeOf(err) === 'ERR_COLLATERAL' && withoutCollateral(evidence, options)) {
      // The verifier cannot know this command's flags; say which ones resolve it.
      throw new CliError('ERR_COLLATERAL', `${(err as Error).message}; give --collateral FILE, or --allow-no-collateral to verify signatures and chain only`, { cause: err });
    }
    throw err;
  }
  process.stdout.write(args.flags.has('json') ? JSON.stringify(appraisal, null, 2) + '\n' : formatAppraisal(appraisal));
  return 0;
}

/**
 * `attest verify --steward`: the steward appraises the evidence (with the certificates and, for
 * the simulated platform, the root given) for the report data given, under a fresh nonce.
 */
async function viaSteward(raw: Uint8Array, options: VerifyEvidenceOptions, steward: StewardTrust, json: boolean): Promise<number> {
  if (typeof options.reportData !== 'string') throw usageError('--steward needs --report-data HEX: the steward checks that the evidence binds what you expect');
  const report = decodeEvidenceText(raw);
  const format = options.format ?? detectEvidenceFormat(report);
  if (format === 'sgx') throw usageError('--steward: SGX quotes are not keep evidence');
  const { derObjects } = await import('../attestation/pki/pem.js');
  // The files as given (PEM or DER, one or more certificates each), as DER.
  const ders = (files: readonly unknown[] | undefined): Uint8Array[] => (files ?? []).flatMap((f) => derObjects(f as Uint8Array, ['CERTIFICATE']));
  const roots = ders(options.trustRoots);
  const evidence: Evidence = {
    backend: format === 'snp' ? (roots.length > 0 ? 'sim' : 'snp') : 'tdx',
    format: format === 'snp' ? 'sev-snp' : 'tdx',
    report,
    certs: ders(options.certs),
    ...(roots.length > 0 ? { trustRoots: roots } : {}),
  };
  const { attestWithSteward } = await import('../client/steward.js');
  const accepted = await attestWithSteward(evidence, Buffer.from(options.reportData, 'hex'), randomBytes(32), steward);
  const a = accepted.appraisal!;
  process.stdout.write(json ? JSON.stringify({ ...a, runtime: accepted.reference, ear: accepted.ear }, null, 2) + '\n' : formatAppraisal(a) + `  ${'runtime'.padEnd(20)} ${accepted.reference ? `${accepted.reference.runtime} ${accepted.reference.release} (${accepted.reference.backend})` : '-'}\n`);
  return 0;
}
