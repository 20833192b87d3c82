/**
 * The steward's appraisal policy: what evidence it accepts besides a known runtime (the reference
 * values, in its state), and what it puts in a certificate. A TOML file (`--policy FILE`), every
 * key optional:
 *
 *   lifetime    = "24h"            # of issued certificates (at most 30 days)
 *   allow_debug = false            # a TEE in debug mode lets its host read its memory
 *   tcb_status  = ["UpToDate"]     # Intel DCAP TCB statuses accepted
 *   [min_tcb]                      # AMD SEV-SNP: lowest reported TCB, per component
 *   bootloader = 3
 *   snp = 8
 *   [names]                        # names a keep may ask for in its certificate
 *   dns = ["localhost", "*.keeps.example.com"]   # "*." matches exactly one label
 *   ip  = ["127.0.0.1", "::1"]
 *
 * The simulated platform is accepted only with `--allow-sim` (a flag, never a file: it proves
 * nothing about hardware), and the trust domain of the SPIFFE IDs comes from `--trust-domain`.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { parse as parseToml } from 'smol-toml';
import * as z from 'zod';
import type { TcbStatus } from '../attestation/appraisal.js';
import { TCB_STATUSES } from '../protocol/names.js';
import type { TcbVersion } from '../attestation/snp/tcb.js';
import { parseDuration } from '../units.js';
import { StewardError } from './errors.js';

/** The policy a steward runs with. */
export interface StewardPolicy {
  /** Lifetime of an issued certificate, ms. */
  readonly lifetimeMs: number;
  readonly allowDebug: boolean;
  /** Accept the simulated SEV-SNP platform (its root as the evidence presents it). */
  readonly allowSim: boolean;
  /** The simulated platform's ASK and ARK (DER), pinned: then only that platform is accepted. */
  readonly simChain?: readonly Uint8Array[];
  /** DCAP TCB statuses accepted. */
  readonly acceptStatus: readonly TcbStatus[];
  /** SEV-SNP: lowest acceptable reported TCB. */
  readonly minTcb?: Partial<TcbVersion>;
  /** DNS-name patterns a keep may be certified for. */
  readonly dnsNames: readonly string[];
  /** IP addresses a keep may be certified for. */
  readonly ipAddresses: readonly string[];
  /** The SPIFFE trust domain of workload IDs. */
  readonly trustDomain: string;
}

/** The default lifetime of an issued certificate: 24 hours. */
export const DEFAULT_LIFETIME_MS = 24 * 3_600_000;
/** The longest lifetime a policy may give: 30 days (Enarx's steward gave 28). */
export const MAX_LIFETIME_MS = 30 * 86_400_000;
/** The default trust domain. */
export const DEFAULT_TRUST_DOMAIN = 'enarx-ts.local';

const component = z.number().int().min(0).max(255);
const dnsPattern = z.string().regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a lower-case DNS name, optionally starting with "*."');

const policySchema = z.strictObject({
  lifetime: z.string().optional(),
  allow_debug: z.boolean().optional(),
  tcb_status: z.array(z.enum(TCB_STATUSES)).max(TCB_STATUSES.length).optional(),
  min_tcb: z.strictObject({ bootloader: component, tee: component, snp: component, microcode: component, fmc: component }).partial().optional(),
  names: z
    .strictObject({
      dns: z.array(dnsPattern).max(1000).optional(),
      ip: z.array(z.string().refine((s) => isIP(s) !== 0, 'expected an IP address')).max(1000).optional(),
    })
    .optional(),
});

/** What the command line adds to a policy file. */
export interface PolicyFlags {
  readonly allowSim?: boolean;
  readonly simChain?: readonly Uint8Array[];
  readonly trustDomain?: string;
}

/** A SPIFFE trust domain: lower-case letters, digits, dots, dashes, underscores. */
export function checkTrustDomain(name: string): string {
  if (!/^[a-z0-9._-]{1,255}$/.test(name)) throw new StewardError('ERR_BAD_REQUEST', `trust domain '${name}': expected lower-case letters, digits, '.', '-', '_'`);
  return name;
}

/** Builds a policy from the TOML text of a policy file (or none) and the command's flags. @throws StewardError ERR_BAD_REQUEST */
export function parsePolicy(text: string | undefined, flags: PolicyFlags = {}, source = 'policy'): StewardPolicy {
  let raw: unknown = {};
  if (text !== undefined) {
    try {
      raw = parseToml(text);
    } catch (err) {
      throw new StewardError('ERR_BAD_REQUEST', `${source}: not TOML: ${(err as Error).message}`);
    }
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StewardError('ERR_BAD_REQUEST', `${source}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  const p = parsed.data;
  const lifetimeMs = p.lifetime === undefined ? DEFAULT_LIFETIME_MS : parseDuration(p.lifetime);
  if (lifetimeMs === undefined || lifetimeMs < 60_000 || lifetimeMs > MAX_LIFETIME_MS) {
    throw new StewardError('ERR_BAD_REQUEST', `${source}: lifetime: expected a duration from 1m to 30d (e.g. "24h"), got '${p.lifetime}'`);
  }
  return Object.freeze({
    lifetimeMs,
    allowDebug: p.allow_debug ?? false,
    allowSim: flags.allowSim ?? false,
    ...(flags.simChain === undefined ? {} : { simChain: flags.simChain }),
    acceptStatus: p.tcb_status ?? (['UpToDate'] as const),
    ...(p.min_tcb === undefined ? {} : { minTcb: p.min_tcb }),
    dnsNames: p.names?.dns ?? ['localhost'],
    ipAddresses: p.names?.ip ?? ['127.0.0.1', '::1'],
    trustDomain: checkTrustDomain(flags.trustDomain ?? DEFAULT_TRUST_DOMAIN),
  });
}

/** Reads a policy file. @throws StewardError ERR_BAD_REQUEST */
export async function loadPolicy(file: string | undefined, flags: PolicyFlags): Promise<StewardPolicy> {
  if (file === undefined) return parsePolicy(undefined, flags);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StewardError('ERR_BAD_REQUEST', `cannot read the policy ${file}: ${(err as Error).message}`);
  }
  return parsePolicy(text, flags, file);
}

/** Whether the policy lets a keep be certified for the DNS name `name`. */
export function dnsNameAllowed(policy: StewardPolicy, name: string): boolean {
  const n = name.toLowerCase();
  return policy.dnsNames.some((p) => {
    if (!p.startsWith('*.')) return p === n;
    const dot = n.indexOf('.');
    return dot > 0 && n.slice(dot + 1) === p.slice(2);
  });
}

/** Whether the policy lets a keep be certified for the IP address `ip`. */
export function ipAllowed(policy: StewardPolicy, ip: string): boolean {
  return policy.ipAddresses.some((a) => canonicalIp(a) === canonicalIp(ip));
}

function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // Expand :: so that two spellings of one address compare equal.
  const [head, tail] = ip.toLowerCase().split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.replace(/^0+(?=.)/, '')).join(':');
}
