import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkAttestRequest, checkKeepEvent, checkLaunchRequest, checkLimits, checkPackageFrame } from '../../src/keep/messages.js';
import { array, int, oneOf, optional, record, string, strictObject, validate } from '../../src/keep/validate.js';
import type { Check } from '../../src/keep/validate.js';

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

test('keep protocol messages: valid ones pass, each kind of bad field is refused', () => {
  const nonce = 'ab'.repeat(32);
  assert.equal(validate(checkAttestRequest, { type: 'attest', nonce, kem: 'x-wing' }).ok, true);
  refused(validate(checkAttestRequest, { type: 'attest', nonce: nonce.toUpperCase(), kem: 'x25519' }), 'nonce: must be 32 bytes of lower-case hex');
  refused(validate(checkAttestRequest, { type: 'attest', nonce, kem: 'rsa' }), 'kem');
  const limits = { maxMemoryBytes: 65536, timeoutMs: 0, maxOutputBytes: 0 };
  const launch = { type: 'launch', keepId: 'k-1', evidenceDigest: nonce, preopens: [{ host: '/a', guest: 'b' }], limits };
  assert.equal(validate(checkLaunchRequest, launch).ok, true);
  refused(validate(checkLaunchRequest, { ...launch, keepId: '../x' }), 'keepId: keep id must be');
  refused(validate(checkLaunchRequest, { ...launch, preopens: [{ host: '/a\0', guest: 'b' }] }), 'preopens.0.host: must not contain NUL');
  refused(validate(checkLimits, { ...limits, maxMemoryBytes: 1 }), 'maxMemoryBytes');
  refused(validate(checkPackageFrame, { type: 'package', last: 'yes' }), 'last: expected a boolean');
  assert.deepEqual(validate(checkKeepEvent, { type: 'trap', trap: 'unreachable' }), { ok: true, value: { type: 'trap', trap: 'unreachable' } });
  assert.equal(validate(checkKeepEvent, { type: 'exit', code: 0xffffffff }).ok, true);
  refused(validate(checkKeepEvent, { type: 'exit', code: -1 }), 'code');
  refused(validate(checkKeepEvent, { type: 'nope' }), '^type: expected one of');
  refused(validate(checkKeepEvent, { type: 'attestation-request', reportData: 'ab'.repeat(64), publicKey: 'abc', kem: 'x25519' }), 'publicKey');
  refused(validate(checkKeepEvent, { type: 'started', extra: 1 }), 'extra: unknown field');
});

test('no JSON value makes a check throw anything but a refusal', () => {
  const checks: Check<unknown>[] = [checkAttestRequest, checkLaunchRequest, checkPackageFrame, checkKeepEvent, checkLimits];
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      for (const c of checks) validate(c, v);
    }),
    { numRuns: 2000 },
  );
});
