/**
 * The keys a deploying client keeps to read its keep's records later (`enarx keep logs`): the
 * keep → client direction of the session only, one file per keep, readable by this user alone.
 *
 *   $XDG_DATA_HOME/enarx/keep-keys/<keep id>.json      (default ~/.local/share/enarx/…; folder 0700, file 0600)
 *   { "version": 1, "keepId": id, "host": url, "output": { "key": hex(32), "iv": hex(12) }, "created": ISO-8601 }
 *
 * Whoever holds the file can read that keep's output from whoever holds its records (the host);
 * it grants nothing else (not the input direction, not another keep).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { DirectionKeys } from '../crypto/session.js';
import { isKeepId } from '../protocol/names.js';
import { hexBytes, isoDate, literal, string, strictObject, validate } from '../protocol/validate.js';

/** The folder of kept keys. */
export function keepKeysDir(env: NodeJS.ProcessEnv = process.env, home: () => string = homedir): string {
  const xdg = env['XDG_DATA_HOME'];
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home(), '.local', 'share'), 'enarx', 'keep-keys');
}

/** Kept keys of one keep. */
export interface KeptKeys {
  readonly keepId: string;
  /** The host the keep runs on. */
  readonly host: string;
  readonly output: DirectionKeys;
  readonly created: Date;
}

const checkKept = strictObject({
  version: literal(1),
  keepId: string({ max: 36 }),
  host: string({ max: 2048 }),
  output: strictObject({ key: hexBytes(32), iv: hexBytes(12) }),
  created: isoDate,
});

function fileOf(dir: string, keepId: string): string {
  if (!isKeepId(keepId)) throw new TypeError(`not a keep id: '${keepId}'`);
  return join(dir, `${keepId}.json`);
}

/** Writes the keep's output keys (0600, atomically); returns the file's path. */
export function saveKeepKeys(dir: string, keepId: string, host: string, output: DirectionKeys, now = new Date()): string {
  const file = fileOf(dir, keepId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const json = { version: 1, keepId, host, output: { key: Buffer.from(output.key).toString('hex'), iv: Buffer.from(output.iv).toString('hex') }, created: now.toISOString() };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(json) + '\n', { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
  return file;
}

/** The kept keys of `keepId`, or undefined when there are none (or the file is not ours to read). */
export function loadKeepKeys(dir: string, keepId: string): KeptKeys | undefined {
  let text: string;
  try {
    text = readFileSync(fileOf(dir, keepId), 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = validate(checkKept, json);
  if (!r.ok || r.value.keepId !== keepId) return undefined;
  return { keepId, host: r.value.host, output: r.value.output, created: r.value.created };
}

/** The path the keys of `keepId` are (or would be) kept at. */
export function keepKeysFile(dir: string, keepId: string): string {
  return fileOf(dir, keepId);
}
