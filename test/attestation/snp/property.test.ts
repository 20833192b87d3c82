/**
 * Tampering properties (fast-check): no single-bit change of the signed bytes or of the
 * significant signature bytes is accepted, and hostile bytes only ever raise AttestationError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { verifySnpSync } from '../../../src/attestation/snp/verify.js';
import { parseSnpReport, SNP_SIGNED_SIZE, SnpOffset } from '../../../src/attestation/snp/report.js';
import { parseCertTable } from '../../../src/attestation/snp/certtable.js';
import { parseCertificates } from '../../../src/attestation/pki/certificate.js';
import { AttestationError } from '../../../src/attestation/errors.js';
import { readSelf, selfOptions } from '../support/snp-vectors.js';

const GOOD = new Uint8Array(readSelf('milan-report-v5.bin'));
const OPTS = selfOptions('milan');

function verdict(bytes: Uint8Array): string {
  try {
    verifySnpSync(bytes, OPTS);
    return 'accepted';
  } catch (err) {
    if (!(err instanceof AttestationError)) throw err;
    return err.code;
  }
}

function parses(bytes: Uint8Array): boolean {
  try {
    parseSnpReport(bytes);
    return true;
  } catch {
    return false;
  }
}

function flip(bytes: Uint8Array, offset: number, bit: number): Uint8Array {
  const b = new Uint8Array(bytes);
  b[offset]! ^= 1 << bit;
  return b;
}

test('the untouched vector is accepted (the properties below can fail)', () => {
  assert.equal(verdict(GOOD), 'accepted');
});

test('any single-bit change in the signed bytes is rejected: ERR_FORMAT if it breaks the layout, else ERR_SNP_SIGNATURE', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: SNP_SIGNED_SIZE - 1 }), fc.integer({ min: 0, max: 7 }), (offset, bit) => {
      const mutated = flip(GOOD, offset, bit);
      assert.equal(verdict(mutated), parses(mutated) ? 'ERR_SNP_SIGNATURE' : 'ERR_FORMAT');
    }),
    { numRuns: 400 },
  );
});

test('any single-bit change in the significant bytes of R or S fails the signature', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.integer({ min: 0, max: 47 }), fc.integer({ min: 0, max: 7 }), (isS, index, bit) => {
      const offset = (isS ? SnpOffset.SIGNATURE_S : SnpOffset.SIGNATURE_R) + index;
      assert.equal(verdict(flip(GOOD, offset, bit)), 'ERR_SNP_SIGNATURE');
    }),
    { numRuns: 200 },
  );
});

test('truncated or extended reports are ERR_FORMAT', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: GOOD.length - 1 }), (n) => {
      assert.equal(verdict(GOOD.subarray(0, n)), 'ERR_FORMAT');
    }),
    { numRuns: 100 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (extra) => {
      assert.equal(verdict(Uint8Array.of(...GOOD, ...extra)), 'ERR_FORMAT');
    }),
    { numRuns: 50 },
  );
});

test('random bytes never crash: only AttestationError', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ minLength: 1184, maxLength: 1184 }), fc.uint8Array({ maxLength: 2000 })), (bytes) => {
      assert.notEqual(verdict(bytes), 'accepted');
    }),
    { numRuns: 200 },
  );
  // Random damage to a valid report, header kept so that deeper code runs.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 8, max: GOOD.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
      const b = new Uint8Array(GOOD);
      for (const [o, v] of edits) b[o] = v;
      const v = verdict(b);
      assert.ok(v !== 'accepted' || edits.every(([o, val]) => GOOD[o] === val));
    }),
    { numRuns: 200 },
  );
});

test('random bytes as certificates or a cert table never crash', () => {
  const vcek = new Uint8Array(readSelf('milan-vcek.der'));
  const onlyAttestationErrors = (fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof AttestationError, `unexpected ${String(err)}`);
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      onlyAttestationErrors(() => parseCertTable(bytes));
      onlyAttestationErrors(() => parseCertificates(bytes));
      onlyAttestationErrors(() => verifySnpSync(GOOD, { ...OPTS, certs: [bytes] }));
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: vcek.length - 1 }), fc.integer({ min: 0, max: 255 }), (o, v) => {
      const b = new Uint8Array(vcek);
      b[o] = v;
      onlyAttestationErrors(() => verifySnpSync(GOOD, { ...OPTS, certs: [b, readSelf('milan-ask.pem')] }));
    }),
    { numRuns: 200 },
  );
});
