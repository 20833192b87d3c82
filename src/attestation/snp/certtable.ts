/**
 * The GHCB certificate table that comes with an extended SNP report (configfs-tsm `auxblob`,
 * SNP_GET_EXT_REPORT certs buffer). GHCB specification 2.03, §4.1.8.1 "SNP Extended Guest
 * Request", Table 11:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0x00 | 16 | GUID (RFC 4122 byte order, as printed) |
 * | 0x10 | 4 | offset of the data from the start of the table (u32 LE) |
 * | 0x14 | 4 | length of the data (u32 LE) |
 *
 * Entries repeat until one that is all zero. Known GUIDs: ARK c0b406a4-a803-4952-9743-3fb6014cd0ae,
 * ASK 4ab7b379-bbac-4fe4-a02f-05aef327c782, VCEK 63da758d-e664-4564-adc5-f4b93be8accd,
 * VLEK a8074bc2-a25a-483e-aae6-39c045a0b8a1, CRL 92f81bc3-5811-4d3d-97ff-d19f88dc67ea.
 * Hosts put DER there, some PEM; both are accepted, and zero padding after DER is ignored.
 */
import { AttestationError } from '../errors.js';
import { parseCertificates, type Certificate } from '../pki/certificate.js';
import { parseCrls, type Crl } from '../pki/crl.js';
import { readTlv } from '../pki/der.js';
import { looksLikePem } from '../pki/pem.js';

/** The GUIDs of the table entries we understand. */
export const CERT_TABLE_GUIDS = {
  ark: 'c0b406a4-a803-4952-9743-3fb6014cd0ae',
  ask: '4ab7b379-bbac-4fe4-a02f-05aef327c782',
  vcek: '63da758d-e664-4564-adc5-f4b93be8accd',
  vlek: 'a8074bc2-a25a-483e-aae6-39c045a0b8a1',
  crl: '92f81bc3-5811-4d3d-97ff-d19f88dc67ea',
} as const;

/** One raw entry of the table. */
export interface CertTableEntry {
  readonly guid: string;
  readonly offset: number;
  readonly length: number;
}

/** The decoded table: the certificates it carries, and every entry (unknown GUIDs included). */
export interface SnpCertTable {
  readonly vcek?: Certificate;
  readonly vlek?: Certificate;
  readonly ask?: Certificate;
  readonly ark?: Certificate;
  readonly crl?: Crl;
  readonly entries: readonly CertTableEntry[];
}

const ENTRY_SIZE = 24;
/** A table larger than this is not a certificate table (hosts cap the buffer at a few pages). */
const MAX_TABLE_BYTES = 1 << 20;

function fail(message: string): never {
  throw new AttestationError('ERR_FORMAT', `SNP certificate table: ${message}`);
}

function guidText(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The same GUID in the mixed-endian (EFI/Windows) layout, which some hosts might write. */
function mixedEndian(b: Uint8Array): string {
  return guidText(Uint8Array.of(b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8)));
}

/** The object's bytes without trailing padding (DER is cut at its outer length). */
function trimmed(data: Uint8Array): Uint8Array {
  if (looksLikePem(data)) return data;
  const tlv = readTlv(data, 0);
  return data.subarray(0, tlv.end);
}

/**
 * Parses a GHCB certificate table. An empty input is an empty table.
 * @throws AttestationError ERR_FORMAT (layout, bounds, duplicate GUIDs, unparsable certificates),
 *   ERR_COLLATERAL (an unparsable CRL).
 */
export function parseCertTable(input: Uint8Array): SnpCertTable {
  if (!(input instanceof Uint8Array)) throw new TypeError('parseCertTable: expected a Uint8Array');
  if (input.length === 0) return Object.freeze({ entries: Object.freeze([]) });
  if (input.length > MAX_TABLE_BYTES) fail(`${input.length} bytes is too large`);
  const bytes = new Uint8Array(input); // a copy: Buffer#slice would share memory
  const dv = new DataView(bytes.buffer);
  const entries: CertTableEntry[] = [];
  const names = Object.entries(CERT_TABLE_GUIDS) as [keyof typeof CERT_TABLE_GUIDS, string][];
  let pos = 0;
  for (;;) {
    if (pos + ENTRY_SIZE > bytes.length) fail('no terminating all-zero entry');
    const raw = bytes.subarray(pos, pos + ENTRY_SIZE);
    pos += ENTRY_SIZE;
    if (raw.every((b) => b === 0)) break;
    const guidBytes = raw.subarray(0, 16);
    const offset = dv.getUint32(pos - 8, true);
    const length = dv.getUint32(pos - 4, true);
    const printed = guidText(guidBytes);
    const name = names.find(([, g]) => g === printed || g === mixedEndian(guidBytes))?.[0];
    const guid = name === undefined ? printed : CERT_TABLE_GUIDS[name];
    if (entries.some((e) => e.guid === guid)) fail(`duplicate entry ${guid}`);
    entries.push(Object.freeze({ guid, offset, length }));
  }
  for (const e of entries) {
    if (e.length === 0) continue;
    if (e.offset < pos || e.offset + e.length > bytes.length) fail(`entry ${e.guid} (offset ${e.offset}, length ${e.length}) is out of bounds`);
  }
  const out: { -readonly [K in keyof SnpCertTable]: SnpCertTable[K] } = { entries: Object.freeze(entries) };
  for (const e of entries) {
    const name = names.find(([, g]) => g === e.guid)?.[0];
    if (name === undefined || e.length === 0) continue;
    const data = trimmed(bytes.subarray(e.offset, e.offset + e.length));
    if (name === 'crl') {
      const [crl] = parseCrls(data);
      if (crl !== undefined) out.crl = crl;
      continue;
    }
    const certs = parseCertificates(data);
    if (certs.length !== 1) fail(`entry ${name} holds ${certs.length} certificates`);
    out[name] = certs[0]!;
  }
  return Object.freeze(out);
}
