/**
 * The strict DER reader's bounds on hostile input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeOid, MAX_OID_BYTES } from '../../../src/attestation/pki/der.js';

test('decodeOid reads dotted form', () => {
  assert.equal(decodeOid(Uint8Array.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e])), '1.2.840.113549.1.9.14');
});

// Before the bound this input took minutes (a bigint per byte); the test's timeout catches a regression.
test('a hostile OBJECT IDENTIFIER of many bytes is refused, not decoded in quadratic time', { timeout: 10_000 }, () => {
  const long = new Uint8Array(200_000).fill(0xff);
  long[long.length - 1] = 0x01;
  assert.throws(() => decodeOid(long), { code: 'ERR_FORMAT' });
  assert.throws(() => decodeOid(new Uint8Array(MAX_OID_BYTES + 1).fill(0x81).fill(0x01, MAX_OID_BYTES)), { code: 'ERR_FORMAT' });
});
