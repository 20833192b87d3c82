/**
 * How a workload ended: the plaintext of its keep's last record (records.ts), JSON:
 *
 *   { "type": "exit", "code": u32 } | { "type": "trap", "trap": text, "func"?: text }
 *   | { "type": "error", "code": "ERR_…", "message": text }
 *
 * Sealed to the client: the host never reads it. (Apart from records.ts so that code that only
 * frames records carries no checks.)
 */
import { checkErrorCode, checkErrorMessage } from './errors.js';
import { int, literal, optional, string, strictObject, taggedUnion, validate } from './validate.js';
import type { Checked } from './validate.js';

/** Checks an outcome. */
export const checkOutcome = taggedUnion('type', {
  exit: strictObject({ type: literal('exit'), code: int(0, 0xffffffff) }),
  trap: strictObject({ type: literal('trap'), trap: string({ max: 1024 }), func: optional(string({ max: 1024 })) }),
  error: strictObject({ type: literal('error'), code: checkErrorCode, message: checkErrorMessage }),
});
/** A workload's outcome. */
export type Outcome = Checked<typeof checkOutcome>;

/** The outcome in an outcome record's plaintext, or a reason it is malformed. */
export function decodeOutcome(plaintext: Uint8Array): Outcome | string {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength).toString('utf8'));
  } catch {
    return 'the outcome is not JSON';
  }
  const r = validate(checkOutcome, json);
  return r.ok ? r.value : `the outcome is malformed: ${r.message}`;
}
