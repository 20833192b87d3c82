/**
 * A small, strict command-line option parser. Options may appear before the first positional
 * argument only when `stopAtPositional` is set (so that `enarx run app.wasm --flag` hands
 * `--flag` to the workload, like wasmtime does).
 */
import { usageError } from './errors.js';

export interface OptionSpec {
  /** `true`: takes a value (`--x V` or `--x=V`); `false`: a boolean flag. */
  readonly value: boolean;
  /** May be given more than once; values are collected in order. */
  readonly multiple?: boolean;
  /** A one-letter alias, e.g. `h` for `-h`. */
  readonly short?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface ParsedArgs {
  readonly options: ReadonlyMap<string, readonly string[]>;
  readonly flags: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/** Parses `argv` against `specs`. @throws CliError ERR_USAGE on an unknown option or missing value. */
export function parseArgs(
  argv: readonly string[],
  specs: OptionSpecs,
  opts: { stopAtPositional?: boolean } = {},
): ParsedArgs {
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  const shorts = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) shorts.set(spec.short, name);

  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    i++;
    if (arg === '--') {
      positionals.push(...argv.slice(i));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else if (arg.startsWith('-') && arg.length === 2 && arg !== '-') {
      name = shorts.get(arg.slice(1));
      if (name === undefined) throw usageError(`unknown option '${arg}'`);
    }
    if (name === undefined) {
      positionals.push(arg);
      if (opts.stopAtPositional) {
        positionals.push(...argv.slice(i));
        break;
      }
      continue;
    }
    const spec = specs[name];
    if (!spec) throw usageError(`unknown option '--${name}'`);
    if (!spec.value) {
      if (inline !== undefined) throw usageError(`option '--${name}' takes no value`);
      flags.add(name);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i >= argv.length) throw usageError(`option '--${name}' needs a value`);
      value = argv[i]!;
      i++;
    }
    const list = options.get(name) ?? [];
    if (list.length > 0 && !spec.multiple) throw usageError(`option '--${name}' given more than once`);
    list.push(value);
    options.set(name, list);
  }
  return { options, flags, positionals };
}

/** The single value of option `name`, or undefined. */
export function optionValue(args: ParsedArgs, name: string): string | undefined {
  return args.options.get(name)?.[0];
}

/** All values of a repeatable option (empty when absent). */
export function optionValues(args: ParsedArgs, name: string): readonly string[] {
  return args.options.get(name) ?? [];
}

/** Parses `ADDR:PORT` (`[v6]:PORT` for IPv6). @throws CliError ERR_USAGE */
export function parseListen(text: string): { hostname: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) throw usageError(`--listen: expected ADDR:PORT, got '${text}'`);
  return { hostname: (m[1] ?? m[2])!, port };
}

/** What runs one subcommand of a command group, on the arguments after its name. */
export type Subcommand = (rest: readonly string[]) => Promise<number>;

/**
 * `enarx GROUP SUB …`: runs `subs[SUB]` on the rest. With no subcommand `usage` is printed and
 * the status is 2; `--help`, `-h` and `help` print it with status 0. @throws CliError ERR_USAGE
 */
export async function runSubcommand(group: string, argv: readonly string[], usage: string, subs: Readonly<Record<string, Subcommand>>): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(usage);
    return sub === undefined ? 2 : 0;
  }
  const run = Object.hasOwn(subs, sub) ? subs[sub] : undefined;
  if (run === undefined) throw usageError(`unknown subcommand '${group} ${sub}'; see 'enarx ${group} --help'`);
  return run(rest);
}
