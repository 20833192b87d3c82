import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkAttestMessage, checkHostMessage, checkKeepMessage, checkLaunchMessage, checkPackageMessage } from '../../src/protocol/control.js';
import { checkLimits } from '../../src/protocol/limits.js';
import { checkOutcome } from '../../src/protocol/outcome.js';
import { array, int, oneOf, optional, record, string, strictObject, validate } from '../../src/protocol/validate.js';
import type { Check } from '../../src/protocol/validate.js';

const refused = (r: { ok: boolean; message?: string }, fragment: string): void => {
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, new RegExp(fragment));
};

test('strict objects: unknown, missing and optional fields, with the path of the first bad one', () => {
  const check = strictObject({ a: int(0, 9), b: optional(string({ max: 3 })), c: array(strictObject({ d: oneOf('x', 'y') }), 2) });
  assert.deepEqual(validate(check, { a: 1, c: [{ d: 'x' }] }), { ok: true, value: { a: 1, c: [{ d: 'x' }] } });
  assert.deepEqual(validate(check, { a: 1, b: 'ab', c: [] }), { ok: true, value: { a: 1, b: 'ab', c: [] } });
  refused(validate(check, { a: 1, c: [], e: 1 }), '^e: unknown field$');
  refused(validate(check, { c: [] }), '^a: required$');
  refused(validate(check, { a: 10, c: [] }), '^a: must be between 0 and 9$');
  refused(validate(check, { a: 1.5, c: [] }), '^a: expected an integer$');
  refused(validate(check, { a: 1, b: 'abcd', c: [] }), '^b: must have at most 3 characters$');
  refused(validate(check, { a: 1, c: [{ d: 'x' }, { d: 'z' }] }), "^c\\.1\\.d: expected 'x' or 'y'$");
  refused(validate(check, { a: 1, c: [{ d: 'x' }, { d: 'x' }, { d: 'x' }] }), '^c: must have at most 2 items$');
  for (const bad of [null, [], 'x', 1, new Date(), Object.create({ a: 1 })]) refused(validate(check, bad), 'expected an object');
});

test('records refuse prototype tricks and copy into a null-prototype object', () => {
  const check = record(string({ min: 1, max: 16 }), string({ max: 8, noNul: true }), 2);
  const r = validate(check, JSON.parse('{"__proto__":"x","k":"v"}'));
  assert.equal(r.ok, true);
  const value = (r as { value: Record<string, string> }).value;
  assert.equal(Object.getPrototypeOf(value), null);
  assert.deepEqual({ ...value }, { ['__proto__']: 'x', k: 'v' });
  refused(validate(check, { a: '1', b: '2', c: '3' }), 'at most 2 entries');
  refused(validate(check, { a: 'x\0' }), '^a: must not contain NUL$');
  refused(validate(check, { '': 'x' }), 'at least 1');
});

test('control messages: valid ones pass, each kind of bad field is refused', () => {
  const nonce = 'ab'.repeat(32);
  assert.equal(validate(checkAttestMessage, { type: 'attest', nonce, kem: 'x-wing' }).ok, true);
  refused(validate(checkAttestMessage, { type: 'attest', nonce: nonce.toUpperCase(), kem: 'x25519' }), 'nonce: must be 32 bytes of lower-case hex');
  refused(validate(checkAttestMessage, { type: 'attest', nonce, kem: 'rsa' }), 'kem');
  const limits = { maxMemoryBytes: 65536, timeoutMs: 0, maxOutputBytes: 0 };
  const keepId = '0b5f2a4e-8c1d-4e3a-9f00-1234567890ab';
  const launch = { type: 'launch', keepId, evidenceDigest: nonce, preopens: [{ host: '/a', guest: 'b' }], limits };
  assert.equal(validate(checkLaunchMessage, launch).ok, true);
  refused(validate(checkLaunchMessage, { ...launch, keepId: '../x' }), 'keepId: must be a keep id');
  refused(validate(checkLaunchMessage, { ...launch, keepId: keepId.toUpperCase() }), 'keepId: must be a keep id');
  refused(validate(checkLaunchMessage, { ...launch, preopens: [{ host: '/a\0', guest: 'b' }] }), 'preopens.0.host: must not contain NUL');
  refused(validate(checkLimits, { ...limits, maxMemoryBytes: 1 }), 'maxMemoryBytes');
  refused(validate(checkPackageMessage, { type: 'package', last: 'yes' }), 'last: expected a boolean');
  assert.equal(validate(checkHostMessage, { type: 'input' }).ok, true);
  refused(validate(checkHostMessage, { type: 'exit', code: 0 }), '^type: expected one of');
  assert.deepEqual(validate(checkKeepMessage, { type: 'failed', code: 'ERR_PACKAGE_SEAL', message: 'x' }), { ok: true, value: { type: 'failed', code: 'ERR_PACKAGE_SEAL', message: 'x' } });
  refused(validate(checkKeepMessage, { type: 'failed', code: 'ERR_WHATEVER', message: 'x' }), 'code');
  refused(validate(checkKeepMessage, { type: 'exit', code: 0 }), '^type: expected one of');
  refused(validate(checkKeepMessage, { type: 'attestation-request', reportData: 'ab'.repeat(64), publicKey: 'abc', kem: 'x25519' }), 'publicKey');
  refused(validate(checkKeepMessage, { type: 'started', extra: 1 }), 'extra: unknown field');
});

test('outcomes: exit, trap and error, and nothing else', () => {
  assert.deepEqual(validate(checkOutcome, { type: 'trap', trap: 'unreachable' }), { ok: true, value: { type: 'trap', trap: 'unreachable' } });
  assert.equal(validate(checkOutcome, { type: 'exit', code: 0xffffffff }).ok, true);
  refused(validate(checkOutcome, { type: 'exit', code: -1 }), 'code');
  refused(validate(checkOutcome, { type: 'error', code: 'not a code', message: '' }), 'code');
  refused(validate(checkOutcome, { type: 'error', code: 'ERR_X', message: 'm'.repeat(2000) }), 'message');
});

test('no JSON value makes a check throw anything but a refusal', () => {
  const checks: Check<unknown>[] = [checkHostMessage, checkKeepMessage, checkLimits, checkOutcome];
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      for (const c of checks) validate(c, v);
    }),
    { numRuns: 2000 },
  );
});
