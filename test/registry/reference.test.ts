import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryError } from '../../src/registry/errors.js';
import { formatPackageRef, isLoopbackRegistry, parsePackageRef } from '../../src/registry/reference.js';
import type { PackageRef } from '../../src/registry/reference.js';

const D = `sha256:${'ab'.repeat(32)}`;

const good: [string, PackageRef][] = [
  ['oci://ghcr.io/org/app:1.0', { kind: 'remote', registry: 'ghcr.io', repository: 'org/app', tag: '1.0' }],
  ['oci://ghcr.io/org/app', { kind: 'remote', registry: 'ghcr.io', repository: 'org/app', tag: 'latest' }],
  ['oci://localhost:5000/hello', { kind: 'remote', registry: 'localhost:5000', repository: 'hello', tag: 'latest' }],
  ['oci://REGISTRY.Example.COM:443/a/b/c:v_1', { kind: 'remote', registry: 'registry.example.com:443', repository: 'a/b/c', tag: 'v_1' }],
  ['oci://127.0.0.1:5000/x@' + D, { kind: 'remote', registry: '127.0.0.1:5000', repository: 'x', digest: D }],
  ['oci://[::1]:5000/x:t@' + D, { kind: 'remote', registry: '[::1]:5000', repository: 'x', tag: 't', digest: D }],
  ['oci://[0:0::1]/x', { kind: 'remote', registry: '[::1]', repository: 'x', tag: 'latest' }],
  ['oci://h/a.b_c__d---e/f', { kind: 'remote', registry: 'h', repository: 'a.b_c__d---e/f', tag: 'latest' }],
  ['OCI://h/x:' + 'T'.repeat(128), { kind: 'remote', registry: 'h', repository: 'x', tag: 'T'.repeat(128) }],
  ['hello', { kind: 'local', name: 'hello', tag: 'latest' }],
  ['hello:1', { kind: 'local', name: 'hello', tag: '1' }],
  ['team/hello:sha256-' + 'ab'.repeat(32) + '.sig', { kind: 'local', name: 'team/hello', tag: `sha256-${'ab'.repeat(32)}.sig` }],
  ['hello@' + D, { kind: 'local', name: 'hello', digest: D }],
  ['my.app:2', { kind: 'local', name: 'my.app', tag: '2' }],
];

test('references parse to their parts and format back', () => {
  for (const [text, want] of good) {
    const ref = parsePackageRef(text);
    assert.deepEqual(ref, want, text);
    assert.deepEqual(parsePackageRef(formatPackageRef(ref)), ref, text);
  }
  assert.equal(formatPackageRef(parsePackageRef('oci://[::1]:5000/x:t@' + D)), `oci://[::1]:5000/x:t@${D}`);
  assert.equal(formatPackageRef(parsePackageRef('hello')), 'hello:latest');
});

const bad = [
  '',
  'Hello',
  'hello:',
  'hello:.x',
  'hello:' + 'a'.repeat(129),
  'hello@sha256:abc',
  'hello@sha512:' + 'ab'.repeat(64),
  'hello@SHA256:' + 'AB'.repeat(32),
  'a//b',
  '/a',
  'a/',
  'a_-b',
  'ghcr.io/org/app:1',
  'localhost/app',
  'localhost:5000/app',
  'https://ghcr.io/org/app',
  'oci://',
  'oci://ghcr.io',
  'oci://ghcr.io/',
  'oci://ghcr.io/App',
  'oci://gh_cr.io/app',
  'oci://-ghcr.io/app',
  'oci://host:0/app',
  'oci://host:65536/app',
  'oci://host:port/app',
  'oci://1.2.3.999/app',
  'oci://[::1/app',
  'oci://[zz::1]/app',
  'oci://[fe80::1%eth0]/app',
  'oci://[::1]x/app',
  'oci://user@host/app',
  'oci://h/' + 'a'.repeat(300),
  'x'.repeat(2000),
];

test('anything else is refused with ERR_REF and the expected form', () => {
  for (const text of bad) {
    assert.throws(
      () => parsePackageRef(text),
      (err: unknown) => err instanceof RegistryError && err.code === 'ERR_REF' && err.message.includes('oci://HOST[:PORT]/REPOSITORY'),
      JSON.stringify(text),
    );
  }
  assert.throws(() => parsePackageRef('ghcr.io/org/app'), /write 'oci:\/\/ghcr.io\/org\/app'/);
});

test('loopback registries are localhost, 127/8 and ::1', () => {
  for (const r of ['localhost', 'localhost:5000', 'LOCALHOST', '127.0.0.1', '127.1.2.3:80', '[::1]', '[::1]:5000', '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]:5000']) {
    assert.equal(isLoopbackRegistry(r), true, r);
  }
  for (const r of ['ghcr.io', 'localhost.example.com', '10.0.0.1', '128.0.0.1:5000', '[::2]', '[::ffff:10.0.0.1]', '127.0.0.1.nip.io', '[fe80::1%lo]']) {
    assert.equal(isLoopbackRegistry(r), false, r);
  }
});
