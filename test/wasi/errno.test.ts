/**
 * The WASI layer's errors: a handler fails with an errno, which the syscall wrapper returns to the
 * guest; host errors map to the errno Linux would give.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as C from '../../src/wasi/constants.js';
import { Errno, errnoFromHost, fail, host } from '../../src/wasi/errno.js';

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return assert.fail('expected a throw');
};

test('fail throws one shared Errno per errno, made once (no stack trace captured per failing call)', () => {
  const a = thrown(() => fail(C.ERRNO_NOENT));
  const b = thrown(() => fail(C.ERRNO_NOENT));
  assert.ok(a instanceof Errno && a.errno === C.ERRNO_NOENT);
  assert.equal(a, b);
  const other = thrown(() => fail(C.ERRNO_EXIST));
  assert.ok(other instanceof Errno && other.errno === C.ERRNO_EXIST);
  assert.notEqual(other, a);
});

test('host maps a Node.js system error to its errno, and an unknown one to EIO', () => {
  const enoent = thrown(() => host(() => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); }));
  assert.equal(enoent, thrown(() => fail(C.ERRNO_NOENT)));
  assert.equal(errnoFromHost(Object.assign(new Error('x'), { code: 'EWHATEVER' })), C.ERRNO_IO);
  assert.equal(errnoFromHost('not an error'), C.ERRNO_IO);
});
