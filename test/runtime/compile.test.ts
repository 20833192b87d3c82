import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileModule, strategyFor } from '../../src/runtime/compile.js';
import { OPTIMIZING_MAX_CODE_BYTES, WORKLOAD_ENGINE_FLAGS, engineRule, engineStrategy } from '../../src/runtime/engine.js';
import { RuntimeError } from '../../src/runtime/errors.js';
import { encodeU32 as leb } from '../../src/runtime/module-info.js';
import { buildModule } from '../support/wasm.js';

/** (module (memory (export "memory") 1) (func (export "_start"))), plus a custom section of `pad` bytes. */
function command(pad = 0, breakIt = false): Uint8Array {
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  bytes.push(0x01, 0x04, 0x01, 0x60, 0x00, 0x00); // type: () -> ()
  bytes.push(0x03, 0x02, 0x01, 0x00); // function 0 has type 0
  bytes.push(0x05, 0x03, 0x01, 0x00, 0x01); // memory: min 1 page
  bytes.push(0x07, 0x13, 0x02, 0x06, ...Buffer.from('memory'), 0x02, 0x00, 0x06, ...Buffer.from('_start'), 0x00, 0x00);
  bytes.push(0x0a, 0x04, 0x01, 0x02, 0x00, breakIt ? 0x00 : 0x0b); // body: (end) — or no end
  const head = Uint8Array.from(bytes);
  if (pad === 0) return head;
  const name = Buffer.from('pad');
  const payload = leb(name.length).length + name.length + pad;
  const custom = Uint8Array.from([0x00, ...leb(payload), ...leb(name.length), ...name]);
  const out = new Uint8Array(head.length + custom.length + pad);
  out.set(head, 0);
  out.set(custom, head.length);
  return out;
}

test('a small module compiles (synchronously) and a large one (asynchronously), to the same exports', async () => {
  for (const pad of [0, 5 * 1024 * 1024]) {
    const m = await compileModule(command(pad), 1 << 20);
    assert.deepEqual(
      WebAssembly.Module.exports(m).map((e) => e.name).sort(),
      ['_start', 'memory'],
    );
  }
});

test('an invalid module is refused with ERR_MODULE_INVALID on both paths', async () => {
  for (const pad of [0, 5 * 1024 * 1024]) {
    await assert.rejects(compileModule(command(pad, true), 1 << 20), (e: unknown) => e instanceof RuntimeError && e.code === 'ERR_MODULE_INVALID');
  }
});

test('the engine strategy is chosen by the size of the code section alone', () => {
  assert.equal(engineStrategy(OPTIMIZING_MAX_CODE_BYTES), 'optimizing');
  assert.equal(engineStrategy(OPTIMIZING_MAX_CODE_BYTES + 1), 'tiered');
  assert.equal(strategyFor(command()), 'optimizing');
  // A large custom section is not code.
  assert.equal(strategyFor(command(OPTIMIZING_MAX_CODE_BYTES * 2)), 'optimizing');
  const big = buildModule([{ name: '_start', body: new Array<number>(OPTIMIZING_MAX_CODE_BYTES).fill(0x01) }], { memoryPages: 1 });
  assert.equal(strategyFor(big), 'tiered');
  // Not a module, or a section running past the end: sized as no code (compiling reports it).
  assert.equal(strategyFor(Buffer.from('hello')), 'optimizing');
  assert.equal(strategyFor(big.subarray(0, big.length - 100)), 'optimizing');
});

test('no strategy has a flag combination the engine aborts or hangs on', () => {
  // Liftoff off with any feedback-driven feature on aborts V8; eager compilation of a large module hung it.
  const needLiftoff = ['--no-wasm-dynamic-tiering', '--no-wasm-inlining', '--no-wasm-inlining-call-indirect', '--no-wasm-deopt'];
  for (const [name, flags] of Object.entries(WORKLOAD_ENGINE_FLAGS)) {
    if (flags.includes('--no-liftoff')) for (const f of needLiftoff) assert.ok(flags.includes(f), `${name}: --no-liftoff without ${f}`);
    assert.ok(!flags.some((f) => /lazy-compilation|eager|liftoff-only|sync-tier/.test(f)), `${name}: ${flags.join(' ')}`);
  }
  assert.match(engineRule(), /^code<=262144: --no-liftoff .*; else: \(V8 defaults\)$/);
});
