/**
 * The zod schema of `Enarx.toml` as smol-toml hands it over (integers as `bigint`, so that
 * `port = 8080.0` is told apart from `port = 8080`). It checks shape and values only; defaults
 * that depend on other keys (a port from `prot`, a name from `host`) are applied afterwards.
 *
 * Follows Enarx's `enarx-config` crate (v0.7): entries are tagged by `kind`, socket entries by
 * `prot` (required, no default), every entry rejects unknown keys. Deliberately stricter than
 * Enarx where Enarx would fail later or silently: unknown top-level keys, ports 0, names that
 * are empty or hold NUL, and strings with NUL (WASI passes args and env as C strings).
 *
 * Each `error` string is the "expected ..." part of the message; whether the key was missing
 * or held a value of the wrong type is decided by the caller, which sees the raw document.
 */
import * as z from 'zod';
import { CLIENT_AUTH_MODES, isHost, SOCKET_PROTOCOLS } from '../protocol/sockets.js';

/** The kinds a `[[files]]` entry may have, in the order messages list them. */
export const FILE_KINDS = ['null', 'stdin', 'stdout', 'stderr', 'listen', 'connect'] as const;

const hasNul = (s: string): boolean => s.includes('\0');

const PORT = 'expected an integer from 1 to 65535';
const port = z.bigint({ error: PORT }).min(1n, { error: PORT }).max(65535n, { error: PORT });

const prot = z.enum(SOCKET_PROTOCOLS, { error: 'expected "tcp" or "tls"' });

const name = z
  .string({ error: 'expected a string' })
  .min(1, { error: 'must not be empty' })
  .refine((s) => !s.includes(':'), { error: "must not contain ':' (FD_NAMES is a ':'-separated list)" })
  .refine((s) => !hasNul(s), { error: 'must not contain NUL' });

const HOST = 'expected a host name or an IP address (IPv6 without brackets)';
// DNS names as resolvers take them (underscores allowed), or IP literals: the wire contract's test.
const host = z.string({ error: HOST }).refine(isHost, { error: HOST });

function isHttpUrl(s: string): boolean {
  if (!URL.canParse(s)) return false;
  const url = new URL(s);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
}

const NULL_FREE = 'expected a string without NUL characters';
const nulFreeString = z.string({ error: NULL_FREE }).refine((s) => !hasNul(s), { error: NULL_FREE });

const ENV_KEY = "invalid variable name: expected a non-empty name without '=' or NUL";

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/**
 * `[env]`, checked by hand rather than with `z.record`: zod's record skips a key named
 * `__proto__`, which TOML allows and smol-toml keeps as an own property.
 */
const env = z
  .custom<Record<string, string>>(isTable, { error: 'expected a table of strings' })
  .superRefine((table, ctx) => {
    for (const [key, value] of Object.entries(table)) {
      if (key === '' || key.includes('=') || hasNul(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: ENV_KEY, input: key });
      } else if (typeof value !== 'string' || hasNul(value)) {
        ctx.addIssue({ code: 'custom', path: [key], message: NULL_FREE, input: value });
      }
    }
  });

// TLS options (ours; Enarx has none): they apply only to prot = "tls".
const TLS_ONLY = 'only allowed when prot = "tls"';
const ALPN = 'expected an array of ALPN protocol names (1-255 printable ASCII characters each)';
const alpn = z
  .array(z.string({ error: ALPN }).min(1, { error: ALPN }).max(255, { error: ALPN }).regex(/^[\x21-\x7e]+$/, { error: ALPN }), { error: ALPN })
  .max(16, { error: 'at most 16 ALPN protocol names' });
const ANCHORS = 'expected an array of PEM certificate file paths (relative to Enarx.toml)';
const trustAnchors = z
  .array(z.string({ error: ANCHORS }).min(1, { error: ANCHORS }).refine((s) => !hasNul(s), { error: ANCHORS }), { error: ANCHORS })
  .min(1, { error: 'must name at least one file' })
  .max(64, { error: 'at most 64 files' });
const clientAuth = z.enum(CLIENT_AUTH_MODES, { error: 'expected "none", "optional" or "required"' });

/** Refuses TLS options on a tcp entry, and client authentication without trust anchors. */
function tlsRules(keys: readonly string[]) {
  return (entry: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    if (entry['prot'] !== 'tls') {
      for (const k of keys) if (entry[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: TLS_ONLY, input: entry[k] });
    } else if ((entry['client_auth'] === 'optional' || entry['client_auth'] === 'required') && entry['trust_anchors'] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['trust_anchors'], message: `required when client_auth is "${String(entry['client_auth'])}"`, input: undefined });
    }
  };
}

/** Entries whose only option is a name (`null` and the three stdio kinds). */
const plain = <K extends 'null' | 'stdin' | 'stdout' | 'stderr'>(kind: K) =>
  z.strictObject({ kind: z.literal(kind), name: name.optional() });

/** One `[[files]]` table. */
export const fileEntrySchema = z.discriminatedUnion(
  'kind',
  [
    plain('null'),
    plain('stdin'),
    plain('stdout'),
    plain('stderr'),
    z
      .strictObject({
        kind: z.literal('listen'),
        name,
        prot,
        addr: host.optional(),
        port: port.optional(),
        client_auth: clientAuth.optional(),
        trust_anchors: trustAnchors.optional(),
        alpn: alpn.optional(),
      })
      .superRefine(tlsRules(['client_auth', 'trust_anchors', 'alpn'])),
    z
      .strictObject({
        kind: z.literal('connect'),
        name: name.optional(),
        prot,
        host,
        port: port.optional(),
        trust_anchors: trustAnchors.optional(),
        client_cert: z.boolean({ error: 'expected true or false' }).optional(),
        alpn: alpn.optional(),
      })
      .superRefine(tlsRules(['trust_anchors', 'client_cert', 'alpn'])),
  ],
  { error: 'expected a table with a "kind" key' },
);

const DNS_NAME = 'expected a lower-case DNS name (e.g. "api.example.com")';
const dnsName = z.string({ error: DNS_NAME }).regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: DNS_NAME }).max(253, { error: DNS_NAME });

/** The whole document. */
export const configSchema = z.strictObject({
  steward: z
    .string({ error: 'expected an http or https URL' })
    .refine(isHttpUrl, { error: 'expected an http or https URL' })
    .optional(),
  // Ours, not Enarx's: the CA certificates a keep checks its steward's HTTPS against (default: the
  // keep engine's roots), and the names its TLS certificate carries (steward-issued or self-signed).
  steward_trust_anchors: trustAnchors.optional(),
  dns_names: z.array(dnsName, { error: 'expected an array of DNS names' }).max(64, { error: 'at most 64 names' }).optional(),
  args: z.array(nulFreeString, { error: 'expected an array of strings' }).optional(),
  env: env.optional(),
  files: z.array(fileEntrySchema, { error: 'expected an array of tables ([[files]])' }).optional(),
});

/** The document after schema validation, before defaults. */
export type RawConfig = z.infer<typeof configSchema>;

/** One `[[files]]` table after schema validation, before defaults. */
export type RawFileEntry = z.infer<typeof fileEntrySchema>;
