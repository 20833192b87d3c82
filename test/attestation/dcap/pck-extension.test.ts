/**
 * The PCK certificate SGX extension (OID 1.2.840.113741.1.13.1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OID_SGX_EXTENSIONS, parseDcapQuote, parsePckExtension } from '../../../src/attestation/dcap/index.js';
import { pckCertificates } from '../../../src/attestation/dcap/pck-chain.js';
import { SKIP_NO_VECTORS } from '../../support/vectors.js';
import { int, octets, oid, seq } from '../support/der-writer.js';
import { ownVector, quoteVector } from './helpers.js';

const chainError = (e: { code?: string }) => e.code === 'ERR_CHAIN';

function extensionOf(quote: Uint8Array): Uint8Array {
  const certs = pckCertificates(parseDcapQuote(quote).signatureData.certificationData, undefined);
  const leaf = certs.find((c) => c.commonName.includes('SGX PCK Certificate'))!;
  return leaf.extensionValue(OID_SGX_EXTENSIONS)!;
}

describe('parsePckExtension', () => {
  it('decodes the self-made PCK extension', () => {
    const ext = parsePckExtension(extensionOf(ownVector('tdx-v4.dat')));
    assert.equal(ext.fmspc, '00e7a2c00000');
    assert.equal(ext.pceId, '0000');
    assert.equal(ext.pceSvn, 13);
    assert.deepEqual(ext.sgxTcbComponents, [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(ext.sgxType, 0);
    assert.equal(ext.ppid.length, 16);
  });

  it('decodes real PCK certificates (FMSPCs as the MANIFEST lists them)', { skip: SKIP_NO_VECTORS }, () => {
    const cases: [string, string][] = [
      ['tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat', '50806f000000'],
      ['tdx/dcap-qvl/tdx_quote_outdated', '90c06f000000'],
      ['sgx/dcap-qvl/sgx_quote', '00a067110000'],
      ['tdx/trustee/tdx_quote_6.dat', '00a06d080000'],
    ];
    for (const [rel, fmspc] of cases) assert.equal(parsePckExtension(extensionOf(quoteVector(rel))).fmspc, fmspc, rel);
    assert.equal(parsePckExtension(extensionOf(quoteVector('tdx/dcap-qvl/tdx_quote_outdated'))).sgxTcbComponents[7], 3);
  });

  it('refuses missing fields, wrong sizes, duplicates and garbage with ERR_CHAIN', () => {
    const m = (arc: string, value: Uint8Array) => seq(oid(`${OID_SGX_EXTENSIONS}.${arc}`), value);
    const tcb = seq(...Array.from({ length: 16 }, (_, i) => m(`2.${i + 1}`, int(1))), m('2.17', int(1)), m('2.18', octets(new Uint8Array(16))));
    const full = (fmspc: Uint8Array) => [m('1', octets(new Uint8Array(16))), m('2', tcb), m('3', octets(new Uint8Array(2))), m('4', octets(fmspc)), m('5', Uint8Array.of(0x0a, 1, 0))];
    assert.equal(parsePckExtension(seq(...full(new Uint8Array(6)))).fmspc, '000000000000');
    const cases = [
      seq(...full(new Uint8Array(5))),
      seq(...full(new Uint8Array(6)).slice(1)),
      seq(...full(new Uint8Array(6)), m('4', octets(new Uint8Array(6)))),
      Uint8Array.of(0x30, 0x05, 1, 2),
      new Uint8Array(0),
    ];
    for (const c of cases) assert.throws(() => parsePckExtension(c), chainError);
  });
});
