import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatType, moduleSignatures } from '../../src/runtime/module-signatures.js';
import { buildModule } from '../support/wasm.js';

test('the types of imported and exported functions, wherever the exports sit among the functions', () => {
  const imports = [
    { module: 'wasi_snapshot_preview1', name: 'fd_write', params: 4, results: 1 },
    { module: 'wasi_snapshot_preview1', name: 'proc_exit', params: 1, results: 0 },
  ];
  // 2 000 functions, so that the function section is long; exports early, late and of an import.
  const funcs = Array.from({ length: 2000 }, (_, i) => ({ name: `f${i}`, params: i % 3, results: i % 2, body: i % 2 ? [0x41, 0] : [], export: i === 0 || i === 1234 || i === 1999 }));
  const m = buildModule(funcs, { memoryPages: 1, imports });
  const sigs = moduleSignatures(m)!;
  assert.deepEqual(sigs.imports.map((i) => `${i.name} ${formatType(i.type)}`), ['fd_write (i32, i32, i32, i32) -> (i32)', 'proc_exit (i32) -> ()']);
  assert.deepEqual(
    [...sigs.exports].map(([name, t]) => `${name} ${formatType(t)}`),
    ['f0 () -> ()', 'f1234 (i32) -> ()', 'f1999 (i32) -> (i32)'],
  );
});

test('a truncated function section is a format error, not a wrong answer', () => {
  const m = buildModule([{ name: '_start', body: [] }, { name: 'g', params: 2, body: [] }], { memoryPages: 1 });
  for (let n = 8; n < m.length; n++) {
    try {
      const sigs = moduleSignatures(m.subarray(0, n));
      // Cut before the export section: no exports known, never a made-up type.
      for (const [name, t] of sigs?.exports ?? []) assert.equal(`${name} ${formatType(t)}`, name === 'g' ? 'g (i32, i32) -> ()' : '_start () -> ()');
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'ERR_MODULE_INVALID', `cut at ${n}: ${(err as Error).message}`);
    }
  }
});
