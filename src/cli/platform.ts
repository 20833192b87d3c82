/**
 * `enarx platform info`: which TEE interfaces this machine offers — configfs-tsm (guest
 * attestation reports, kernel ≥ 6.7), /dev/sev-guest and /dev/tdx_guest (confidential guests),
 * /dev/kvm and /dev/sev (hosts) — each with the reason when it is missing.
 *
 * Probing only looks: it never creates a configfs-tsm report entry or opens a device.
 */
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, optionValue, type OptionSpecs } from './args.js';
import { usageError } from './errors.js';

/** One probed interface. */
export interface PlatformInterface {
  readonly name: string;
  /** The absolute path that was probed (under the probed root). */
  readonly path: string;
  readonly available: boolean;
  /** Why it is unavailable (absent when available). */
  readonly reason?: string;
  /** Extra facts, e.g. configfs-tsm providers. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The result of {@link probePlatform}. */
export interface PlatformInfo {
  readonly root: string;
  readonly interfaces: readonly PlatformInterface[];
  /** TEE-related CPU flags from /proc/cpuinfo (sev, sev_es, sev_snp, tdx_guest...). */
  readonly cpuFlags: readonly string[];
}

const TEE_FLAGS = ['sev', 'sev_es', 'sev_snp', 'tdx_guest', 'sme', 'tsme', 'vmx', 'svm'];

async function exists(path: string): Promise<'yes' | 'no' | 'denied'> {
  try {
    await stat(path);
    return 'yes';
  } catch (err) {
    return (err as { code?: unknown }).code === 'EACCES' ? 'denied' : 'no';
  }
}

async function usable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function probeDevice(root: string, name: string, rel: string, missing: string): Promise<PlatformInterface> {
  const path = join(root, rel);
  const e = await exists(path);
  if (e === 'no') return { name, path, available: false, reason: missing };
  if (e === 'denied' || !(await usable(path))) {
    return { name, path, available: false, reason: 'present, but this user may not read and write it (permission denied)' };
  }
  return { name, path, available: true };
}

async function probeTsm(root: string): Promise<PlatformInterface> {
  const configfs = join(root, 'sys/kernel/config');
  const path = join(configfs, 'tsm/report');
  if ((await exists(path)) === 'yes') {
    const providers = new Set<string>();
    for (const entry of await readdir(path).catch(() => [] as string[])) {
      const p = await readFile(join(path, entry, 'provider'), 'utf8').catch(() => '');
      if (p.trim()) providers.add(p.trim());
    }
    const writable = await usable(path);
    return {
      name: 'configfs-tsm',
      path,
      available: writable,
      ...(writable ? {} : { reason: 'present, but this user may not create report entries (permission denied)' }),
      details: { providers: [...providers].sort() },
    };
  }
  const reason =
    (await exists(configfs)) === 'yes'
      ? (await exists(join(configfs, 'tsm'))) === 'yes'
        ? 'configfs-tsm has no report interface (no TSM report provider registered)'
        : 'no tsm directory under configfs: kernel older than 6.7, or no TEE guest driver (sev-guest, tdx-guest) loaded'
      : 'configfs is not mounted at /sys/kernel/config';
  return { name: 'configfs-tsm', path, available: false, reason };
}

async function cpuFlags(root: string): Promise<string[]> {
  const text = await readFile(join(root, 'proc/cpuinfo'), 'utf8').catch(() => '');
  const line = /^flags\s*:(.*)$/m.exec(text)?.[1] ?? '';
  const flags = new Set(line.trim().split(/\s+/));
  return TEE_FLAGS.filter((f) => flags.has(f));
}

/** Probes the TEE interfaces under `root` (default `/`; tests pass a fake tree). */
export async function probePlatform(root = '/'): Promise<PlatformInfo> {
  const interfaces = await Promise.all([
    probeTsm(root),
    probeDevice(root, 'sev-guest', 'dev/sev-guest', 'absent: not an SEV-SNP guest, or the sev-guest driver is not loaded'),
    probeDevice(root, 'tdx-guest', 'dev/tdx_guest', 'absent: not a TDX guest, or the tdx-guest driver is not loaded'),
    probeDevice(root, 'kvm', 'dev/kvm', 'absent: no KVM (not a virtualisation host, or the kvm module is not loaded)'),
    probeDevice(root, 'sev', 'dev/sev', 'absent: not an AMD SEV host (no PSP driver /dev/sev)'),
  ]);
  return Object.freeze({ root, interfaces: Object.freeze(interfaces), cpuFlags: Object.freeze(await cpuFlags(root)) });
}

/** The human-readable report. */
export function formatPlatformInfo(info: PlatformInfo): string {
  const lines = info.interfaces.map((i) => {
    const extra = i.details?.['providers'] !== undefined ? ` providers: ${(i.details['providers'] as string[]).join(', ') || 'none seen'}` : '';
    return `${i.name.padEnd(14)} ${(i.available ? 'available' : 'missing').padEnd(10)} ${i.path}${i.reason ? ` — ${i.reason}` : ''}${extra}`;
  });
  lines.push(`${'cpu flags'.padEnd(14)} ${info.cpuFlags.length > 0 ? info.cpuFlags.join(' ') : 'none of ' + TEE_FLAGS.join(', ')}`);
  return lines.join('\n') + '\n';
}

const USAGE = `usage: enarx platform info [--json]

Shows which TEE interfaces this machine offers and why the others are missing.

options:
  --json         print JSON
  --root DIR     probe DIR instead of / (for testing)
  -h, --help     print this help
`;

const SPECS: OptionSpecs = {
  json: { value: false },
  verbose: { value: false },
  root: { value: true },
  help: { value: false, short: 'h' },
};

/** Entry point of `enarx platform`. */
export async function platformMain(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'info') throw usageError(`unknown subcommand 'platform ${sub}'; see 'enarx platform --help'`);
  const args = parseArgs(rest, SPECS);
  if (args.flags.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.positionals.length > 0) throw usageError(`unexpected argument '${args.positionals[0]}'`);
  const info = await probePlatform(optionValue(args, 'root') ?? '/');
  process.stdout.write(args.flags.has('json') ? JSON.stringify(info, null, 2) + '\n' : formatPlatformInfo(info));
  return 0;
}
