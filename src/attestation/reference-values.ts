/**
 * Reference values: the measurements a client accepts, each naming the runtime release and
 * backend it belongs to ("this is enarx-ts 0.1.0 on sim"). The build writes the file for the
 * installation (dist/reference-values.json); users can supply their own.
 *
 *   { "version": 1, "values": [ { "measurement": "<96 hex>", "runtime": "enarx-ts",
 *                                  "release": "0.1.0", "backend": "sim", "engine": "…" } ] }
 */
import { readFile } from 'node:fs/promises';
import { CodedError } from '../errors.js';
import { packagePath } from '../paths.js';
import { array, literal, optional, string, strictObject, validate } from '../protocol/validate.js';

/** One accepted measurement. */
export interface ReferenceValue {
  readonly measurement: string;
  readonly runtime: string;
  readonly release: string;
  readonly backend: string;
  readonly engine?: string;
}

const hex96 = string({ max: 96, pattern: /^[0-9a-f]{96}$/, patternMessage: 'measurement must be 96 lower-case hex digits' });
const name = string({ min: 1, max: 200 });

/** Checks the file's content. */
export const checkReferenceValues = strictObject({
  version: literal(1),
  values: array(strictObject({ measurement: hex96, runtime: name, release: name, backend: name, engine: optional(string({ max: 1000 })) }), 10_000),
});

/** A reference-values file that does not parse. */
export class ReferenceValuesError extends CodedError<'ERR_REFERENCE_VALUES'> {
  override readonly name = 'ReferenceValuesError';
  constructor(message: string) {
    super('ERR_REFERENCE_VALUES', message);
  }
}

/** The path of the reference values the build wrote for this installation. */
export function installedReferenceValues(): string {
  return packagePath('dist', 'reference-values.json');
}

/** Parses reference values from JSON text. @throws ReferenceValuesError */
export function parseReferenceValues(text: string, source = 'reference values'): ReferenceValue[] {
  if (text.length > 4 * 1024 * 1024) throw new ReferenceValuesError(`${source}: file is too large`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ReferenceValuesError(`${source}: not JSON: ${(err as Error).message}`);
  }
  const parsed = validate(checkReferenceValues, json);
  if (!parsed.ok) throw new ReferenceValuesError(`${source}: ${parsed.message}`);
  return parsed.value.values;
}

/** Reads a reference-values file (default: this installation's). */
export async function loadReferenceValues(path = installedReferenceValues()): Promise<ReferenceValue[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ReferenceValuesError(`cannot read reference values '${path}': ${(err as Error).message}`);
  }
  return parseReferenceValues(text, path);
}

/** The reference value matching `measurement` (hex) for `backend`, if any. */
export function findReferenceValue(values: readonly ReferenceValue[], measurement: string, backend: string): ReferenceValue | undefined {
  const m = measurement.toLowerCase();
  return values.find((v) => v.measurement === m && v.backend === backend);
}
