import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CERT_TABLE_GUIDS, parseCertTable } from '../../../src/attestation/snp/certtable.js';
import { parseCertificates } from '../../../src/attestation/pki/certificate.js';
import { SKIP_NO_VECTORS, readVector } from '../../support/vectors.js';
import { readSelf } from '../support/snp-vectors.js';

const guidBytes = (g: string, mixed = false): Uint8Array => {
  const b = Buffer.from(g.replace(/-/g, ''), 'hex');
  return mixed ? Uint8Array.of(b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8)) : new Uint8Array(b);
};

/** A GHCB cert table: entries, the all-zero terminator, then the data blobs. */
function table(items: readonly { guid: string; data: Uint8Array; mixed?: boolean }[]): Uint8Array {
  const head = 24 * (items.length + 1);
  const out = new Uint8Array(head + items.reduce((s, i) => s + i.data.length, 0));
  const dv = new DataView(out.buffer);
  let off = head;
  items.forEach((item, i) => {
    out.set(guidBytes(item.guid, item.mixed), i * 24);
    dv.setUint32(i * 24 + 16, off, true);
    dv.setUint32(i * 24 + 20, item.data.length, true);
    out.set(item.data, off);
    off += item.data.length;
  });
  return out;
}

const vcek = new Uint8Array(readSelf('milan-vcek.der'));
const askPem = readSelf('milan-ask.pem');
const arkDer = parseCertificates(readSelf('milan-ark.pem'))[0]!.toDer();
const crl = new Uint8Array(readSelf('milan-crl-empty.der'));

test('DER and PEM entries, zero padding after DER, CRL and unknown GUIDs', () => {
  const padded = Uint8Array.of(...vcek, ...new Uint8Array(100));
  const t = parseCertTable(
    table([
      { guid: CERT_TABLE_GUIDS.vcek, data: padded },
      { guid: CERT_TABLE_GUIDS.ask, data: askPem },
      { guid: CERT_TABLE_GUIDS.ark, data: arkDer },
      { guid: CERT_TABLE_GUIDS.crl, data: crl },
      { guid: '00112233-4455-6677-8899-aabbccddeeff', data: Uint8Array.of(1, 2, 3) },
    ]),
  );
  assert.equal(t.vcek?.commonName, 'SEV-VCEK');
  assert.equal(t.ask?.commonName, 'SEV-Milan');
  assert.equal(t.ark?.commonName, 'ARK-Milan');
  assert.ok(t.crl);
  assert.equal(t.vlek, undefined);
  assert.equal(t.entries.length, 5);
  assert.equal(t.entries[4]!.guid, '00112233-4455-6677-8899-aabbccddeeff');
});

test('a VLEK entry, and GUIDs in mixed-endian layout', () => {
  const t = parseCertTable(table([{ guid: CERT_TABLE_GUIDS.vlek, data: new Uint8Array(readSelf('milan-vlek.der')), mixed: true }]));
  assert.equal(t.vlek?.commonName, 'SEV-VLEK');
  assert.equal(t.entries[0]!.guid, CERT_TABLE_GUIDS.vlek);
});

test('empty input is an empty table; malformed tables are ERR_FORMAT', () => {
  assert.deepEqual(parseCertTable(new Uint8Array(0)).entries, []);
  assert.deepEqual(parseCertTable(new Uint8Array(24)).entries, []);
  const good = table([{ guid: CERT_TABLE_GUIDS.vcek, data: vcek }]);
  assert.throws(() => parseCertTable(good.subarray(0, 30)), { code: 'ERR_FORMAT' }); // no terminator
  assert.throws(() => parseCertTable(good.subarray(0, good.length - 1)), { code: 'ERR_FORMAT' }); // out of bounds
  const overlapping = new Uint8Array(good);
  new DataView(overlapping.buffer).setUint32(16, 8, true); // data inside the table
  assert.throws(() => parseCertTable(overlapping), { code: 'ERR_FORMAT' });
  assert.throws(() => parseCertTable(table([{ guid: CERT_TABLE_GUIDS.vcek, data: vcek }, { guid: CERT_TABLE_GUIDS.vcek, data: vcek }])), { code: 'ERR_FORMAT' });
  assert.throws(() => parseCertTable(table([{ guid: CERT_TABLE_GUIDS.vcek, data: Uint8Array.of(1, 2, 3) }])), { code: 'ERR_FORMAT' });
  assert.throws(() => parseCertTable(table([{ guid: CERT_TABLE_GUIDS.crl, data: Uint8Array.of(0x30, 1, 0) }])), { code: 'ERR_COLLATERAL' });
});

test('veraison auxblob: ARK, ASK, VCEK as PEM', { skip: SKIP_NO_VECTORS }, () => {
  const t = parseCertTable(readVector('sev-snp/veraison-tsm/auxblob.bin'));
  assert.deepEqual(
    t.entries.map((e) => [e.guid, e.offset, e.length]),
    [
      [CERT_TABLE_GUIDS.ark, 96, 2277],
      [CERT_TABLE_GUIDS.ask, 2373, 2325],
      [CERT_TABLE_GUIDS.vcek, 4698, 1879],
    ],
  );
  assert.equal(t.ark?.commonName, 'ARK-Genoa');
  assert.equal(t.ask?.commonName, 'SEV-Genoa');
  assert.equal(t.vcek?.commonName, 'SEV-VCEK');
});
