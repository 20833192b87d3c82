import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { TenantAuth, generateToken, hashToken, parseTokenFile } from '../../src/host/tokens.js';

test('a token file maps tokens (or their SHA-256) to tenants', () => {
  const bobDigest = createHash('sha256').update('bob-secret-token-xyz').digest('hex');
  const auth = new TenantAuth(parseTokenFile(JSON.stringify({ tenants: { alice: 'alice-secret-token', bob: { sha256: bobDigest } } })));
  assert.deepEqual(auth.tenants, ['alice', 'bob']);
  assert.equal(auth.authenticate('Bearer alice-secret-token'), 'alice');
  assert.equal(auth.authenticate('bearer   alice-secret-token'), 'alice');
  assert.equal(auth.authenticate('Bearer bob-secret-token-xyz'), 'bob');
  for (const bad of [undefined, '', 'Bearer', 'Bearer ', 'Basic alice-secret-token', 'Bearer alice-secret-tokeN', 'Bearer alice-secret-token extra', `Bearer ${'x'.repeat(600)}`]) {
    assert.equal(auth.authenticate(bad), undefined, String(bad));
  }
});

test('malformed token files are TypeErrors naming the problem', () => {
  for (const text of ['nope', '[]', '{}', '{"tenants":{}}', '{"tenants":{"a b":"0123456789abcdef0"}}', '{"tenants":{"a":"short"}}', '{"tenants":{"a":{"sha256":"00"}}}', '{"tenants":{"a":"0123456789abcdef0"},"x":1}']) {
    assert.throws(() => parseTokenFile(text), TypeError, text);
  }
});

test('generated tokens are random and only their digest is needed to check them', () => {
  const t = generateToken();
  assert.match(t, /^enx_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(generateToken(), t);
  const auth = new TenantAuth([{ tenant: 'default', sha256: hashToken(t) }]);
  assert.equal(auth.authenticate(`Bearer ${t}`), 'default');
  assert.throws(() => new TenantAuth([{ tenant: 'x', sha256: new Uint8Array(31) }]), TypeError);
});
