/**
 * `Enarx.toml` text in, validated {@link EnarxConfig} out. The text may come from an untrusted
 * package, so it is bounded in size and nesting before parsing, and nothing but the validated,
 * defaulted values leaves this module.
 */
import { Buffer } from 'node:buffer';
import { parse as parseToml, TomlError } from 'smol-toml';
import { defaultConfig, DEFAULT_LISTEN_ADDR, DEFAULT_PORTS, freezeConfig } from './defaults.js';
import { ConfigError, ConfigErrorCode, MAX_CONFIG_BYTES } from './errors.js';
import { firstError } from './issues.js';
import { formatKeyPath } from './keypath.js';
import { keyLines, lineOf, type KeyLines } from './locate.js';
import { configSchema, type RawFileEntry } from './schema.js';
import type { EnarxConfig, FileEntry } from './types.js';

/** Our schema nests three deep at most; this bounds the parser's (and the locator's) recursion. */
const MAX_TOML_DEPTH = 16;

interface Where {
  readonly source?: string;
}

function syntaxError(err: TomlError, where: Where): ConfigError {
  // smol-toml's message is "Invalid TOML document: <what>\n\n<code block>"; keep <what>.
  const what = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
  return new ConfigError(ConfigErrorCode.SYNTAX, `invalid TOML: ${what} (column ${err.column})`, {
    ...where,
    line: err.line,
    cause: err,
  });
}

/** Applies Enarx's per-kind defaults to one validated entry. */
function fileEntry(raw: RawFileEntry): FileEntry {
  switch (raw.kind) {
    case 'null':
    case 'stdin':
    case 'stdout':
    case 'stderr':
      return { kind: raw.kind, name: raw.name ?? raw.kind };
    case 'listen':
      return {
        kind: 'listen',
        name: raw.name,
        prot: raw.prot,
        addr: raw.addr ?? DEFAULT_LISTEN_ADDR,
        port: raw.port === undefined ? DEFAULT_PORTS[raw.prot] : Number(raw.port),
        ...(raw.prot === 'tls' ? { tls: { clientAuth: raw.client_auth ?? 'none', trustAnchors: [...(raw.trust_anchors ?? [])], alpn: [...(raw.alpn ?? [])] } } : {}),
      };
    case 'connect':
      return {
        kind: 'connect',
        name: raw.name ?? raw.host,
        prot: raw.prot,
        host: raw.host,
        port: raw.port === undefined ? DEFAULT_PORTS[raw.prot] : Number(raw.port),
        ...(raw.prot === 'tls'
          ? { tls: { ...(raw.trust_anchors ? { trustAnchors: [...raw.trust_anchors] } : {}), clientCert: raw.client_cert ?? false, alpn: [...(raw.alpn ?? [])] } }
          : {}),
      };
  }
}

/**
 * Checks what the schema cannot see one entry at a time: a connect entry named after an IPv6
 * host would put ':' into FD_NAMES, and two entries with one name make FD_NAMES ambiguous.
 * Enarx accepts duplicate names; we refuse them, because a lookup by name would pick one silently.
 */
function checkNames(raws: readonly RawFileEntry[], files: readonly FileEntry[], lines: () => KeyLines, where: Where): void {
  const seen = new Map<string, number>();
  files.forEach((file, fd) => {
    const path = ['files', fd, 'name'];
    const at = (): { key: string; line?: number } => {
      const line = lineOf(lines(), path);
      return { key: formatKeyPath(path), ...(line === undefined ? {} : { line }) };
    };
    const explicit = raws[fd]?.name !== undefined;
    if (!explicit && file.name.includes(':')) {
      throw new ConfigError(
        ConfigErrorCode.MISSING,
        `required because host ${JSON.stringify(file.name)} contains ':' and FD_NAMES is a ':'-separated list`,
        { ...where, ...at() },
      );
    }
    const first = seen.get(file.name);
    if (first !== undefined) {
      const implied = explicit ? '' : ` (the default name of a "${file.kind}" entry is its ${file.kind === 'connect' ? 'host' : 'kind'})`;
      throw new ConfigError(
        ConfigErrorCode.DUPLICATE,
        `duplicate name ${JSON.stringify(file.name)}, also the name of files[${first}]${implied}; give each entry its own name`,
        { ...where, ...at() },
      );
    }
    seen.set(file.name, fd);
  });
}

/**
 * Parses and validates Enarx.toml text. `source` (a file name) is used in messages.
 * @throws ConfigError ERR_CONFIG_TOO_LARGE, ERR_CONFIG_SYNTAX, ERR_CONFIG_KEY, ERR_CONFIG_MISSING,
 *   ERR_CONFIG_VALUE or ERR_CONFIG_DUPLICATE; TypeError when `text` is not a string.
 */
export function parseEnarxToml(text: string, source?: string): EnarxConfig {
  if (typeof text !== 'string') throw new TypeError('Enarx.toml text must be a string');
  const where: Where = source === undefined ? {} : { source };
  // A UTF-16 code unit is at least one UTF-8 byte, so the cheap length test comes first.
  if (text.length > MAX_CONFIG_BYTES || Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    throw new ConfigError(ConfigErrorCode.TOO_LARGE, `larger than ${MAX_CONFIG_BYTES} bytes`, where);
  }

  let doc: unknown;
  try {
    doc = parseToml(text, { integersAsBigInt: true, maxDepth: MAX_TOML_DEPTH, unsafeKeyBehaviour: 'keep' });
  } catch (err) {
    if (err instanceof TomlError) throw syntaxError(err, where);
    throw err;
  }

  // Locating keys costs a second pass over the text; only errors need it.
  let lines: KeyLines | undefined;
  const getLines = (): KeyLines => (lines ??= keyLines(text));

  const result = configSchema.safeParse(doc);
  if (!result.success) throw firstError({ raw: doc, lines: getLines(), ...where }, result.error.issues);
  const raw = result.data;

  // Enarx gives an Enarx.toml without `files` no descriptors at all, so a config that only sets
  // `args` silently loses stdout. We give it the stdio defaults; `files = []` still means none.
  const files = raw.files === undefined ? defaultConfig().files.map((f) => ({ ...f })) : raw.files.map(fileEntry);
  checkNames(raw.files ?? [], files, getLines, where);

  // Taken from the parsed document, not zod's output: zod's record drops a "__proto__" key.
  const rawEnv = (doc as { env?: Record<string, string> }).env;
  const env = rawEnv === undefined ? {} : Object.fromEntries(Object.entries(rawEnv));

  return freezeConfig({
    ...(raw.steward === undefined ? {} : { steward: new URL(raw.steward).href }),
    ...(raw.dns_names === undefined ? {} : { dnsNames: [...new Set(raw.dns_names)] }),
    ...(raw.steward_trust_anchors === undefined ? {} : { stewardTrustAnchors: [...raw.steward_trust_anchors] }),
    args: [...(raw.args ?? [])],
    env,
    files,
  });
}
