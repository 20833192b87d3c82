/**
 * Errors raised for a bad `Enarx.toml`. The file can come from an untrusted package, so every
 * rejection has a stable `code`, and names the key path and line so that a person can fix it.
 */
import { CodedError } from '../errors.js';

/** Stable codes for {@link ConfigError}. */
export const ConfigErrorCode = {
  /** The text is not TOML (or not UTF-8). */
  SYNTAX: 'ERR_CONFIG_SYNTAX',
  /** A key the schema does not know (a typo, or a key of a later Enarx release). */
  KEY: 'ERR_CONFIG_KEY',
  /** A required key is absent (`host` of a connect entry, `prot` of a socket...). */
  MISSING: 'ERR_CONFIG_MISSING',
  /** A value of the wrong type or out of range. */
  VALUE: 'ERR_CONFIG_VALUE',
  /** Two `[[files]]` entries with the same name: FD_NAMES would be ambiguous. */
  DUPLICATE: 'ERR_CONFIG_DUPLICATE',
  /** The text is larger than {@link MAX_CONFIG_BYTES}. */
  TOO_LARGE: 'ERR_CONFIG_TOO_LARGE',
} as const;

/** One of the values of {@link ConfigErrorCode}. */
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** Largest `Enarx.toml` accepted, in UTF-8 bytes; real files are a few hundred bytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** What a {@link ConfigError} points at. */
export interface ConfigErrorWhere {
  /** Key path such as `files[2].port`; absent for whole-document errors. */
  readonly key?: string;
  /** 1-based line in the TOML text. */
  readonly line?: number;
  /** File name used in the message; `Enarx.toml` when not given. */
  readonly source?: string;
  readonly cause?: unknown;
}

/**
 * A rejected `Enarx.toml`. `message` reads `Enarx.toml:12: files[2].port: expected ...`;
 * `detail` is the part after the key, for callers that lay the fields out themselves.
 */
export class ConfigError extends CodedError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
  readonly detail: string;
  readonly key?: string;
  readonly line?: number;
  readonly source?: string;

  constructor(code: ConfigErrorCode, detail: string, where: ConfigErrorWhere = {}) {
    const at = `${where.source ?? 'Enarx.toml'}${where.line === undefined ? '' : `:${where.line}`}`;
    super(code, `${at}: ${where.key === undefined ? '' : `${where.key}: `}${detail}`, where.cause === undefined ? undefined : { cause: where.cause });
    this.detail = detail;
    if (where.key !== undefined) this.key = where.key;
    if (where.line !== undefined) this.line = where.line;
    if (where.source !== undefined) this.source = where.source;
  }
}
