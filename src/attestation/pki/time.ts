/**
 * X.509 Time (RFC 5280 §4.1.2.5): UTCTime (years 1950–2049) or GeneralizedTime, always UTC ("Z"),
 * with seconds and without fractions, as DER requires.
 */
import { AttestationError } from '../errors.js';
import type { Tlv } from './der.js';

const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/** Milliseconds since the epoch of the Time element `tlv`. @throws AttestationError ERR_FORMAT */
export function parseTime(bytes: Uint8Array, tlv: Tlv, what: string): number {
  const text = Buffer.from(bytes.subarray(tlv.contentStart, tlv.end)).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === UTC_TIME && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === GENERALIZED_TIME && (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    year = Number(m[1]);
  } else {
    throw new AttestationError('ERR_FORMAT', `malformed ${what} time '${text}'`);
  }
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new AttestationError('ERR_FORMAT', `invalid ${what} time '${text}'`);
  }
  return ms;
}
