import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyTrap } from '../../src/runtime/trap.js';
import { buildModule } from '../support/wasm.js';

function trapModule(body: number[]): WebAssembly.Instance {
  return new WebAssembly.Instance(new WebAssembly.Module(buildModule([{ name: 'boom', body }])));
}

function trapOf(body: number[]): ReturnType<typeof classifyTrap> {
  const inst = trapModule(body);
  try {
    (inst.exports['boom'] as () => void)();
  } catch (err) {
    return classifyTrap(err);
  }
  assert.fail('expected a trap');
}

test('unreachable is named, with the function it happened in', () => {
  assert.deepEqual(trapOf([0x00]), { trap: 'unreachable', func: 'boom' });
});

test('integer division by zero', () => {
  // i32.const 1, i32.const 0, i32.div_s, drop
  assert.equal(trapOf([0x41, 1, 0x41, 0, 0x6d, 0x1a])?.trap, 'integer divide by zero');
});

test('call stack exhaustion is a trap too', () => {
  // call 0 (itself) forever
  assert.equal(trapOf([0x10, 0])?.trap, 'call stack exhausted');
});

test('ordinary errors are not traps', () => {
  assert.equal(classifyTrap(new Error('x')), undefined);
  assert.equal(classifyTrap('string'), undefined);
});
