/**
 * Property tests (fast-check, fixed seeds): every single-bit flip in what a quote signs or what
 * authenticates it is rejected with the code of the check it breaks; every truncation is
 * ERR_FORMAT; arbitrary bytes never crash the parser or the verifier; any change to signed
 * collateral is ERR_COLLATERAL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AttestationError } from '../../../src/attestation/errors.js';
import {
  parseCollateral,
  parseDcapQuote,
  verifySgxQuote,
  verifyTdxQuote,
  type DcapVerifyOptions,
} from '../../../src/attestation/dcap/index.js';
import { SignatureCache } from '../../../src/attestation/pki/index.js';
import { ownVector } from './helpers.js';

const NOW = new Date('2025-06-01T00:00:00Z');
// One signature cache for all runs: the PCK chain is the same in every mutant, and caching
// successes cannot hide a failure (a flipped certificate has another fingerprint).
const cache = new SignatureCache();
const base = (): DcapVerifyOptions => ({ now: NOW, trustRoots: [ownVector('root.der')], allowNoCollateral: true, allowDebug: true, cache });

interface Case {
  readonly name: string;
  readonly quote: Uint8Array;
  readonly verify: (q: Uint8Array, o: DcapVerifyOptions) => Promise<unknown>;
}
const CASES: Case[] = [
  { name: 'TDX v4', quote: ownVector('tdx-v4.dat'), verify: verifyTdxQuote },
  { name: 'TDX v5', quote: ownVector('tdx-v5.dat'), verify: verifyTdxQuote },
  { name: 'SGX v3', quote: ownVector('sgx-v3.dat'), verify: verifySgxQuote },
];

/** The code a flip of byte `offset` must produce (layouts in src/attestation/dcap/quote.ts). */
function expectedCode(quote: Uint8Array, offset: number): string {
  const version = quote[0]!;
  const signedEnd = version === 5 ? 54 + (quote[50]! | (quote[51]! << 8)) : version === 3 ? 432 : 632;
  const strictHeader = offset < 8 || (offset >= 12 && offset < 28) || (version === 5 && offset >= 48 && offset < 54);
  if (strictHeader) return 'ERR_FORMAT';
  if (offset < signedEnd) return 'ERR_QUOTE_SIGNATURE';
  const sig = signedEnd + 4;
  if (offset < sig) return 'ERR_FORMAT'; // the signature data length no longer adds up
  if (offset < sig + 64) return 'ERR_QUOTE_SIGNATURE'; // the quote signature
  if (offset < sig + 128) return 'ERR_QE_REPORT'; // the attestation key: the QE binding breaks
  if (version !== 3 && offset < sig + 134) return 'ERR_FORMAT'; // outer certification data header
  return 'ERR_QE_REPORT'; // QE report and its signature
}

/** Offsets covering the signed region, the signatures, the attestation key and the QE report. */
function authenticatedEnd(quote: Uint8Array): number {
  const q = parseDcapQuote(quote);
  const qeStart = q.signedRegion.length + 4 + 128 + (q.header.version === 3 ? 0 : 6);
  return qeStart + 384 + 64;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    assert.ok(err instanceof AttestationError, `not an AttestationError: ${String(err)}`);
    return err.code;
  }
}

describe('DCAP tamper properties', () => {
  for (const c of CASES) {
    it(`${c.name}: the unmodified quote verifies`, async () => {
      await c.verify(c.quote, base());
    });

    it(`${c.name}: a single-bit flip in authenticated bytes is rejected with the right code`, async () => {
      const end = authenticatedEnd(c.quote);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: end - 1 }), fc.integer({ min: 0, max: 7 }), async (offset, bit) => {
          const q = c.quote.slice();
          q[offset] = q[offset]! ^ (1 << bit);
          assert.equal(await codeOf(c.verify(q, base())), expectedCode(c.quote, offset), `offset ${offset} bit ${bit}`);
        }),
        { seed: 0x5eed, numRuns: 150 },
      );
    });

    it(`${c.name}: every single-bit flip of the header (and v5 body descriptor) has the right code`, async () => {
      const end = c.quote[0] === 5 ? 54 : 48;
      for (let offset = 0; offset < end; offset++) {
        for (let bit = 0; bit < 8; bit++) {
          const q = c.quote.slice();
          q[offset] = q[offset]! ^ (1 << bit);
          assert.equal(await codeOf(c.verify(q, base())), expectedCode(c.quote, offset), `offset ${offset} bit ${bit}`);
        }
      }
    });

    it(`${c.name}: every truncation is ERR_FORMAT`, async () => {
      const length = parseDcapQuote(c.quote).length;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: length - 1 }), async (n) => {
          assert.equal(await codeOf(c.verify(c.quote.slice(0, n), base())), 'ERR_FORMAT');
        }),
        { seed: 0x7a11, numRuns: 100 },
      );
    });
  }

  it('random bytes never crash the parser or the verifier', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 6000 }), async (bytes) => {
        try {
          parseDcapQuote(bytes);
        } catch (err) {
          assert.ok(err instanceof AttestationError);
        }
        const code = await codeOf(verifyTdxQuote(bytes, base()));
        assert.notEqual(code, 'accepted');
      }),
      { seed: 0xbad, numRuns: 200 },
    );
  });

  it('random rewrites of a real quote are rejected with an AttestationError or accepted, never a crash', async () => {
    const quote = CASES[0]!.quote;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: quote.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), async (at, patch) => {
        const q = quote.slice();
        q.set(patch.subarray(0, q.length - at), at);
        await codeOf(verifyTdxQuote(q, base()));
      }),
      { seed: 0xc0de, numRuns: 200 },
    );
  });

  it('any change to the signed TCB info or QE identity text is ERR_COLLATERAL', async () => {
    const doc = JSON.parse(Buffer.from(ownVector('tdx-collateral.json')).toString('utf8')) as Record<string, string>;
    const quote = CASES[0]!.quote;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('tcb_info', 'qe_identity'), fc.nat(), fc.integer({ min: 0, max: 6 }), async (key, pos, bit) => {
        const text = doc[key]!;
        const i = pos % text.length;
        const changed = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << bit)) + text.slice(i + 1);
        const code = await codeOf(
          (async () => verifyTdxQuote(quote, { ...base(), allowNoCollateral: false, collateral: parseCollateral({ ...doc, [key]: changed }) }))(),
        );
        assert.equal(code, 'ERR_COLLATERAL');
      }),
      { seed: 0xc011, numRuns: 150 },
    );
  });
});
