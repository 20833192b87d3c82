import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WASI_FUNCTIONS } from '../../src/wasi/functions.js';
import { Wasi, WASI_MODULE } from '../../src/wasi/wasi.js';

test('the import object provides exactly the 46 functions of wasi_snapshot_preview1', () => {
  const wasi = new Wasi({ args: [], env: [], files: [], preopens: [] });
  assert.deepEqual([...wasi.functionNames].sort(), [...WASI_FUNCTIONS].sort());
  assert.equal(WASI_FUNCTIONS.length, 46);
  assert.ok(WASI_MODULE === 'wasi_snapshot_preview1');
});
