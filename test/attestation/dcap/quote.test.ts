/**
 * The DCAP quote parser: layouts of v3/v4/v5, trailing bytes, strict header and lengths.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDcapQuote, parseSgxQuote, parseTdxQuote } from '../../../src/attestation/dcap/index.js';
import { toHex } from '../../../src/attestation/pki/index.js';
import { SKIP_NO_VECTORS } from '../../support/vectors.js';
import { ownVector, quoteVector } from './helpers.js';

const formatError = (e: { code?: string }) => e.code === 'ERR_FORMAT';

describe('parseDcapQuote on staged quotes', { skip: SKIP_NO_VECTORS }, () => {
  const cases: [string, number, string, number][] = [
    ['tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat', 4, 'td10', 4935],
    ['tdx/go-tdx-guest/quote_v5_sample.dat', 5, 'td15', 5006],
    ['tdx/go-tdx-guest/ccel/cos-113-tdx-quote.dat', 4, 'td10', 4935],
    ['tdx/dcap-qvl/tdx_quote', 4, 'td10', 4936],
    ['tdx/teekit/tdx-v4-azure', 4, 'td10', 4940],
    ['tdx/intel-qvl-sample/quote.dat', 4, 'td10', 3696],
    ['sgx/dcap-qvl/sgx_quote', 3, 'sgx', 4600],
    ['sgx/intel-qvl-sample/quote.dat', 3, 'sgx', 1054],
  ];
  for (const [rel, version, kind, length] of cases) {
    it(`${rel}: v${version} ${kind}, ${length} bytes used`, () => {
      const q = parseDcapQuote(quoteVector(rel));
      assert.equal(q.header.version, version);
      assert.equal(q.body.kind, kind);
      assert.equal(q.length, length);
    });
  }

  it('the SPR quote: its junk tail is ignored and its fields read at the documented offsets', () => {
    const bytes = quoteVector('tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat');
    assert.equal(bytes.length, 4974);
    const q = parseTdxQuote(bytes);
    assert.equal(q.signedRegion.length, 632);
    assert.equal(toHex(q.body.report.mrTd).slice(0, 8), '6363b804');
    assert.equal(toHex(q.body.report.teeTcbSvn).slice(0, 8), '03000400');
    assert.equal(q.signatureData.qeAuthData.length, 32);
    assert.equal(q.signatureData.certificationData.type, 5);
    // The tail is not part of the quote: dropping it changes nothing.
    assert.equal(parseTdxQuote(bytes.slice(0, 4935)).length, 4935);
  });

  it('the v5 sample: TD 1.5 fields and the 6-byte descriptor in the signed region', () => {
    const q = parseTdxQuote(quoteVector('tdx/go-tdx-guest/quote_v5_sample.dat'));
    assert.equal(q.signedRegion.length, 54 + 648);
    assert.equal(toHex(q.body.report.teeTcbSvn2!).slice(0, 4), '0d01');
    assert.equal(toHex(q.body.report.mrServiceTd!), '00'.repeat(48));
  });

  it('the Intel SGX sample uses certification data type 1 (PPID)', () => {
    const q = parseSgxQuote(quoteVector('sgx/intel-qvl-sample/quote.dat'));
    assert.equal(q.signatureData.certificationData.type, 1);
    assert.equal(q.header.pceSvn, 3);
  });
});

describe('parseDcapQuote strictness', () => {
  const v4 = () => ownVector('tdx-v4.dat');
  const set16 = (b: Uint8Array, at: number, v: number) => {
    b[at] = v & 0xff;
    b[at + 1] = v >> 8;
    return b;
  };

  it('parses the self-made quotes, ignoring appended bytes', () => {
    for (const name of ['tdx-v4.dat', 'tdx-v5.dat', 'sgx-v3.dat']) {
      const q = ownVector(name);
      const padded = new Uint8Array(q.length + 100);
      padded.set(q);
      assert.equal(parseDcapQuote(padded).length, q.length);
    }
  });

  it('refuses unknown versions, key types, TEE types, vendors and version/TEE pairings', () => {
    assert.throws(() => parseDcapQuote(set16(v4(), 0, 6)), formatError);
    assert.throws(() => parseDcapQuote(set16(v4(), 0, 3)), formatError); // v3 with tee_type 0x81
    assert.throws(() => parseDcapQuote(set16(v4(), 2, 3)), formatError);
    assert.throws(() => parseDcapQuote(set16(v4(), 4, 0x82)), formatError);
    const vendor = v4();
    vendor[12] = vendor[12]! ^ 1;
    assert.throws(() => parseDcapQuote(vendor), formatError);
  });

  it('refuses a v5 body descriptor that disagrees with itself or the TEE type', () => {
    const v5 = () => ownVector('tdx-v5.dat');
    assert.throws(() => parseDcapQuote(set16(v5(), 48, 2)), formatError); // TD 1.0 type, TD 1.5 size
    assert.throws(() => parseDcapQuote(set16(v5(), 48, 1)), formatError); // SGX body in a TDX quote
    assert.throws(() => parseDcapQuote(set16(v5(), 48, 9)), formatError);
    assert.throws(() => parseDcapQuote(set16(v5(), 50, 584)), formatError);
  });

  it('refuses lengths that do not add up', () => {
    const q = v4();
    const sigLen = (q[632]! | (q[633]! << 8)) + 1;
    assert.throws(() => parseDcapQuote(set16(q.slice(), 632, sigLen)), formatError); // runs past the quote
    const grown = new Uint8Array(q.length + 1);
    grown.set(q);
    assert.throws(() => parseDcapQuote(set16(grown, 632, sigLen)), formatError); // outer cert data ends early
    const outer = v4();
    outer[636 + 128] = 5; // outer certification data must be type 6
    assert.throws(() => parseDcapQuote(outer), formatError);
  });

  it('refuses a TDX quote as SGX and an SGX quote as TDX', () => {
    assert.throws(() => parseSgxQuote(ownVector('tdx-v4.dat')), formatError);
    assert.throws(() => parseTdxQuote(ownVector('sgx-v3.dat')), formatError);
  });

  it('refuses a non-Uint8Array with TypeError', () => {
    assert.throws(() => parseDcapQuote('quote' as unknown as Uint8Array), TypeError);
  });

  it('keeps copies: changing the input afterwards changes nothing parsed', () => {
    const bytes = ownVector('tdx-v4.dat');
    const q = parseTdxQuote(bytes);
    const before = toHex(q.body.report.mrTd);
    bytes.fill(0);
    assert.equal(toHex(q.body.report.mrTd), before);
    assert.notEqual(toHex(q.signedRegion.subarray(0, 2)), '0000');
  });
});
