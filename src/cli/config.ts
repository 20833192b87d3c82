/**
 * `enarx config`: write a commented Enarx.toml template (`init`) and validate a file (`check`).
 */
import { open, unlink } from 'node:fs/promises';
import { CONFIG_TEMPLATE, fdEnvironment, readEnarxToml, type EnarxConfig, type FileEntry } from '../config/index.js';
import { parseArgs } from './args.js';
import { CliError, usageError } from './errors.js';

const USAGE = `usage: enarx config <subcommand> [options]

subcommands:
  init [PATH]    write a commented Enarx.toml template to PATH (default ./Enarx.toml);
                 never overwrites an existing file
  check [PATH]   validate PATH (default ./Enarx.toml) and print what it configures

options:
  --json         print the result (or the error) as JSON
  --verbose      print stack traces on errors
  -h, --help     print this help
`;

const DEFAULT_PATH = 'Enarx.toml';

/** Maps a Node.js fs error on `path` to a CLI error with a stable code. */
function fsError(err: unknown, path: string): unknown {
  // Only Node.js system errors carry `syscall`; a ConfigError passes through untouched.
  if (!(err instanceof Error) || !('syscall' in err)) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'EEXIST') return new CliError('ERR_EXISTS', `${path} already exists; not overwriting it`, { cause: err });
  if (code === 'ENOENT') return new CliError('ERR_NOT_FOUND', `${path}: no such file or directory`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new CliError('ERR_ACCESS', `${path}: permission denied`, { cause: err });
  if (code === 'EISDIR') return new CliError('ERR_IO', `${path} is a directory`, { cause: err });
  return typeof code === 'string' ? new CliError('ERR_IO', `${path}: ${code}`, { cause: err }) : err;
}

/** Writes the template with an exclusive create, so that an existing file is never touched. */
async function init(path: string, json: boolean): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (err) {
    throw fsError(err, path);
  }
  try {
    await handle.writeFile(CONFIG_TEMPLATE, 'utf8');
  } catch (err) {
    // The file is ours (we just created it), so a half-written one may go.
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw fsError(err, path);
  }
  await handle.close();
  process.stdout.write(json ? JSON.stringify({ path, written: true }) + '\n' : `wrote ${path}\n`);
  return 0;
}

/** Shows an untrusted string on a terminal: as is when plain printable ASCII, else JSON-quoted. */
function show(s: string): string {
  return /^[\x21-\x7e]+$/.test(s) ? s : JSON.stringify(s);
}

function describeFile(file: FileEntry): string {
  switch (file.kind) {
    case 'listen':
      return `${file.prot} listen on ${file.addr.includes(':') ? `[${show(file.addr)}]` : show(file.addr)}:${file.port}`;
    case 'connect':
      return `${file.prot} connect to ${file.host.includes(':') ? `[${show(file.host)}]` : show(file.host)}:${file.port}`;
    case 'null':
      return '/dev/null';
    default:
      return `host ${file.kind}`;
  }
}

/** A human-readable summary; env values are left out since they may be secrets. */
function summary(path: string, config: EnarxConfig): string {
  const fd = fdEnvironment(config);
  const envNames = Object.keys(config.env);
  const lines = [
    `${show(path)}: valid`,
    `  steward  ${config.steward === undefined ? '(none: self-signed certificate with the keep\'s evidence)' : show(config.steward)}`,
    ...(config.dnsNames ? [`  names    ${config.dnsNames.join(', ')}`] : []),
    `  args     ${config.args.length === 0 ? '(none)' : config.args.map((a) => JSON.stringify(a)).join(' ')}`,
    `  env      ${envNames.length === 0 ? '(none)' : envNames.map(show).join(', ')}`,
    `  files    FD_COUNT=${fd.FD_COUNT} FD_NAMES=${show(fd.FD_NAMES)}`,
  ];
  const width = Math.max(0, ...config.files.map((f) => show(f.name).length));
  config.files.forEach((file, i) => {
    lines.push(`    fd ${String(i).padEnd(3)} ${show(file.name).padEnd(width)}  ${describeFile(file)}`);
  });
  return lines.join('\n') + '\n';
}

async function check(path: string, json: boolean): Promise<number> {
  let config: EnarxConfig;
  try {
    config = await readEnarxToml(path);
  } catch (err) {
    throw fsError(err, path);
  }
  const out = json ? JSON.stringify({ path, valid: true, config, fd: fdEnvironment(config) }) + '\n' : summary(path, config);
  process.stdout.write(out);
  return 0;
}

/** Entry point of `enarx config`; returns the exit status. @throws CliError, ConfigError. */
export async function configMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, {
    json: { value: false },
    verbose: { value: false },
    help: { value: false, short: 'h' },
  });
  const [sub, path = DEFAULT_PATH, ...extra] = args.positionals;
  if (args.flags.has('help') || sub === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (sub === undefined) throw usageError("missing subcommand; see 'enarx config --help'");
  if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}'`);
  const json = args.flags.has('json');
  switch (sub) {
    case 'init':
      return init(path, json);
    case 'check':
      return check(path, json);
    default:
      throw usageError(`unknown subcommand '${sub}'; see 'enarx config --help'`);
  }
}
