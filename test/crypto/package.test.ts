import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { PackageError, decodePackage, encodePackage, encodePackageParts } from '../../src/crypto/package.js';
import type { Package } from '../../src/crypto/package.js';

const pkg: Package = {
  wasm: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
  files: [{ path: 'etc/config.json', data: Buffer.from('{}') }, { path: 'secret.txt', data: Buffer.from('canary') }],
  args: ['app.wasm', '--flag'],
  env: { B: '2', A: '1' },
  fds: ['stdin', 'stdout', 'stderr'],
  ttys: [],
};

test('packages round-trip and encode deterministically', () => {
  const bytes = encodePackage(pkg);
  assert.deepEqual(encodePackage({ ...pkg, env: { A: '1', B: '2' } }), bytes);
  const back = decodePackage(bytes);
  assert.deepEqual(Buffer.from(back.wasm), Buffer.from(pkg.wasm));
  assert.deepEqual(back.files.map((f) => [f.path, Buffer.from(f.data).toString()]), [['etc/config.json', '{}'], ['secret.txt', 'canary']]);
  assert.deepEqual(back.args, pkg.args);
  // A null-prototype record: an env var named __proto__ is data, not a prototype.
  assert.deepEqual({ ...back.env }, { A: '1', B: '2' });
  assert.equal(Object.getPrototypeOf(back.env), null);
});

test('paths that could leave the package root are refused', () => {
  for (const path of ['../x', '/etc/passwd', 'a/../../b', 'a//b', './a', '', 'a/\0b']) {
    assert.throws(() => encodePackage({ ...pkg, files: [{ path, data: new Uint8Array(1) }] }), PackageError, path);
  }
});

test('malformed packages are refused with ERR_PACKAGE, never a crash', () => {
  const bytes = Buffer.from(encodePackage(pkg));
  for (let n = 0; n < bytes.length; n += 7) assert.throws(() => decodePackage(bytes.subarray(0, n)), (e) => e instanceof PackageError && e.code === 'ERR_PACKAGE');
  const tampered = Buffer.from(bytes);
  tampered[tampered.length - 1]! ^= 1;
  assert.doesNotThrow(() => decodePackage(tampered)); // file bytes are the client's business
  // The module's integrity is the sealed package's digest (seal.test.ts), not the manifest's:
  // decoding reads its bytes as they are.
  const wasmFlip = Buffer.from(bytes);
  const wasmAt = bytes.indexOf(Buffer.from([0, 0x61, 0x73, 0x6d]), 12);
  wasmFlip[wasmAt + 4]! ^= 1;
  assert.equal(decodePackage(wasmFlip).wasm[4], 1 ^ bytes[wasmAt + 4]!);
  // A manifest of the version before (which named the module's SHA-256) is refused.
  const m = JSON.parse(bytes.subarray(12, 12 + bytes.readUInt32BE(8)).toString()) as Record<string, unknown>;
  const v1 = Buffer.from(JSON.stringify({ ...m, version: 1, wasm: { size: pkg.wasm.length, sha256: '00'.repeat(32) } }));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(v1.length);
  const old = Buffer.concat([bytes.subarray(0, 8), len, v1, bytes.subarray(12 + bytes.readUInt32BE(8))]);
  assert.throws(() => decodePackage(old), (e) => e instanceof PackageError && /version/.test(e.message));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        decodePackage(Buffer.concat([Buffer.from('ENXPKG01'), b]));
      } catch (e) {
        assert.ok(e instanceof PackageError);
      }
    }),
  );
});

test('the encoding as pieces is the encoding, with the caller\'s bytes as they are', () => {
  const big: Package = { ...pkg, wasm: new Uint8Array(3 * 1024 * 1024 + 5).fill(7) };
  const parts = encodePackageParts(big);
  assert.deepEqual(Buffer.concat(parts), Buffer.from(encodePackage(big)));
  assert.ok(parts.includes(big.wasm), 'the module is a piece of its own, not a copy');
  assert.throws(() => encodePackageParts({ ...pkg, files: [{ path: '../x', data: new Uint8Array(1) }] }), PackageError);
});
