import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModule } from '../support/wasm.js';
import { MemoryLimitError, ModuleFormatError, capMemory, moduleMemories } from '../../src/runtime/module-info.js';

/** A module with one memory `(memory min max?)` and an exported `_start`. */
function moduleWithMemory(min: number, max?: number): Uint8Array {
  return buildModule([{ name: '_start', body: [] }], { memoryPages: min, ...(max === undefined ? {} : { memoryMax: max }) });
}

test('a module parses and compiles as built', () => {
  const m = moduleWithMemory(1, 2);
  assert.ok(WebAssembly.validate(m));
  assert.deepEqual(moduleMemories(m), [{ min: 1, max: 2, shared: false, memory64: false }]);
});

test('capMemory lowers an absent or larger maximum to the cap and keeps the module valid', () => {
  for (const max of [undefined, 65536, 1000]) {
    const capped = capMemory(moduleWithMemory(2, max), 16);
    assert.ok(WebAssembly.validate(capped), `valid after capping max=${max}`);
    assert.deepEqual(moduleMemories(capped), [{ min: 2, max: 16, shared: false, memory64: false }]);
  }
});

test('capMemory grows the module into spare bytes before it, in place, or copies it when there are too few', () => {
  for (const [max, cap] of [[undefined, 16], [65536, 16], [65536, 300], [1000, 16]] as const) {
    const m = moduleWithMemory(2, max);
    const copied = capMemory(m, cap);
    const grow = copied.length - m.length; // negative when the new maximum is shorter
    const buffer = new Uint8Array(64 + m.length);
    buffer.fill(0xee, 0, 64);
    buffer.set(m, 64);
    const inBuffer = buffer.subarray(64);
    const capped = capMemory(inBuffer, cap, 64);
    assert.deepEqual(capped, copied, `max=${max} cap=${cap}: the same bytes either way`);
    assert.equal(capped.buffer, buffer.buffer, 'a view of the same buffer');
    assert.equal(capped.byteOffset, 64 - grow);
    assert.ok(buffer.subarray(0, 64 - Math.max(grow, 0)).every((x) => x === 0xee), 'nothing before the spare bytes it used is touched');
    // Without spare bytes, or with fewer than it needs: a copy, and the module left as it was.
    for (const spare of grow > 0 ? [0, grow - 1] : [0]) {
      const b = new Uint8Array(64 + m.length);
      b.set(m, 64);
      const c = capMemory(b.subarray(64), cap, spare);
      assert.deepEqual(c, copied);
      assert.notEqual(c.buffer, b.buffer);
      assert.deepEqual(b.subarray(64), m);
    }
  }
});

test('capMemory leaves a module under the cap untouched', () => {
  const m = moduleWithMemory(1, 4);
  assert.equal(capMemory(m, 16), m);
});

test('memory.grow past the cap fails inside the guest', () => {
  const capped = capMemory(moduleWithMemory(1), 3);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(capped));
  const mem = inst.exports['memory'] as WebAssembly.Memory;
  assert.equal(mem.grow(2), 1);
  assert.throws(() => mem.grow(1), RangeError);
});

test('a module that needs more memory to start than the cap is refused', () => {
  assert.throws(() => capMemory(moduleWithMemory(100), 16), (e) => e instanceof MemoryLimitError && e.code === 'ERR_MEMORY_LIMIT');
});

test('malformed modules are refused with ERR_MODULE_INVALID, never a crash', () => {
  const cases = [
    new Uint8Array(0),
    Uint8Array.from([0, 0x61, 0x73, 0x6d]),
    Uint8Array.from([0, 0x61, 0x73, 0x6e, 1, 0, 0, 0]),
    Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), // a component
    Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x0f]), // section past end
    Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 9, 1]), // bad limits flags
  ];
  for (const c of cases) {
    assert.throws(() => capMemory(c, 16), (e) => e instanceof ModuleFormatError && e.code === 'ERR_MODULE_INVALID');
  }
  // Truncations of a valid module: every prefix is either rejected cleanly or unchanged.
  const m = moduleWithMemory(1);
  for (let n = 0; n < m.length; n++) {
    try {
      capMemory(m.subarray(0, n), 16);
    } catch (e) {
      assert.ok(e instanceof ModuleFormatError, `prefix ${n}: ${e}`);
    }
  }
});
