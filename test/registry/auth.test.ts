/**
 * Registry authentication: WWW-Authenticate parsing, docker config credentials, and against a real
 * CNCF distribution 2.8 registry: htpasswd Basic auth, token auth (a token server of our own
 * signing JWTs), and HTTPS with a test CA.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator, parseChallenges, resolveCredentials } from '../../src/registry/auth.js';
import { RegistryClient } from '../../src/registry/client.js';
import { HttpTransport } from '../../src/registry/http.js';
import { SKIP, startRegistry } from '../support/registry.js';

const T = { skip: SKIP, timeout: 20_000 };
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'enarx-registry-auth-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function blobOf(bytes: Uint8Array): { digest: string; size: number; bytes: Uint8Array } {
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, bytes };
}

function dockerConfig(name: string, content: object): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

/** Push then pull one blob through `c`. */
async function roundTrip(c: RegistryClient, repo: string): Promise<void> {
  const blob = blobOf(randomBytes(2000));
  await c.pushBlob(repo, blob);
  const dest = join(dir, `${repo.replace('/', '_')}-${blob.digest.slice(7, 15)}`);
  await c.pullBlob(repo, blob, dest);
  assert.deepEqual(readFileSync(dest), Buffer.from(blob.bytes));
}

test('WWW-Authenticate: several challenges, quoted strings with escapes, token68', () => {
  const [bearer, basic] = parseChallenges('Bearer realm="https://auth.example/token",service="reg \\"x\\"", scope="repository:a/b:pull,push", Basic realm="r"');
  assert.equal(bearer!.scheme, 'bearer');
  assert.deepEqual([...bearer!.params], [['realm', 'https://auth.example/token'], ['service', 'reg "x"'], ['scope', 'repository:a/b:pull,push']]);
  assert.equal(basic!.scheme, 'basic');
  assert.equal(basic!.params.get('realm'), 'r');
  assert.deepEqual(parseChallenges('Negotiate abc+/=='), [{ scheme: 'negotiate', params: new Map(), token68: 'abc+/==' }]);
  assert.equal(parseChallenges('Bearer realm=')[0]!.token68, 'realm='); // a token68, by the grammar
  assert.deepEqual(parseChallenges('BASIC Realm = "x" , charset=UTF-8').map((c) => [c.scheme, [...c.params]]), [['basic', [['realm', 'x'], ['charset', 'UTF-8']]]]);
  assert.equal(parseChallenges('Basic, Bearer realm=""').length, 2);
  for (const bad of ['Bearer realm="open', 'Bearer a=b c', 'Bearer realm="a", realm="b"', '=x', 'Bearer realm="a" junk', 'x'.repeat(9000)]) {
    assert.throws(() => parseChallenges(bad), { code: 'ERR_REGISTRY_PROTOCOL' }, bad.slice(0, 40));
  }
});

test('docker config: auth, URL-shaped keys, identity tokens; helpers noted, not run', async () => {
  const auth = Buffer.from('alice:s3:cret').toString('base64');
  const path = dockerConfig('c1', { auths: { 'https://reg.example:5000/v1/': { auth: 'Ym9iOng=' }, 'reg.example:5000': { auth } }, credsStore: 'desktop' });
  assert.deepEqual((await resolveCredentials('reg.example:5000', { dockerConfig: path })).credentials, { kind: 'basic', username: 'alice', password: 's3:cret' });
  assert.deepEqual((await resolveCredentials('REG.example:5000', { dockerConfig: dockerConfig('c2', { auths: { 'http://reg.example:5000': { identitytoken: 'tok' } } }) })).credentials, { kind: 'identity', token: 'tok' });
  const none = await resolveCredentials('other.example', { dockerConfig: path });
  assert.equal(none.credentials, undefined);
  assert.match(none.notes[0]!, /docker-credential-desktop/);
  assert.deepEqual(await resolveCredentials('x', { env: { DOCKER_CONFIG: join(dir, 'absent') } }), { notes: [] });
  writeFileSync(join(dir, 'bad.json'), '{not json');
  await assert.rejects(resolveCredentials('x', { dockerConfig: join(dir, 'bad.json') }), { code: 'ERR_REGISTRY_AUTH' });
  assert.deepEqual((await resolveCredentials('x', { credentials: { token: 'abc' }, dockerConfig: path })).credentials, { kind: 'bearer', token: 'abc' });
  await assert.rejects(resolveCredentials('x', { credentials: { username: 'a:b', password: '' } }), TypeError);
});

test('no credentials over plain HTTP off loopback; no token realm over plain HTTP', async () => {
  const transport = new HttpTransport({ timeoutMs: 100, idleMs: 100 });
  const plain = new Authenticator({ registry: '10.1.2.3:5000', credentials: { kind: 'basic', username: 'a', password: 'b' }, credentialsAllowed: false, plainLoopback: false, transport });
  await assert.rejects(plain.challenge('Basic realm="x"', 'repository:a:pull'), { code: 'ERR_INSECURE' });
  const tls = new Authenticator({ registry: 'reg.example', credentialsAllowed: true, plainLoopback: false, transport });
  await assert.rejects(tls.challenge('Bearer realm="http://auth.example/token"', 'repository:a:pull'), { code: 'ERR_INSECURE' });
  const loop = new Authenticator({ registry: '127.0.0.1:5000', credentialsAllowed: true, plainLoopback: true, transport });
  await assert.rejects(loop.challenge('Bearer realm="http://auth.example/token"', 'repository:a:pull'), { code: 'ERR_INSECURE' });
  await assert.rejects(tls.challenge('Basic realm="x"', 'repository:a:pull'), { code: 'ERR_REGISTRY_AUTH' });
  await assert.rejects(tls.challenge(undefined, 'repository:a:pull'), { code: 'ERR_REGISTRY_AUTH' });
});

test('htpasswd registry: refused without or with wrong credentials; options and docker config work', T, async () => {
  const reg = await startRegistry({ htpasswd: { user: 'alice', password: 'wonderland' } });
  try {
    const helper = dockerConfig('helper', { credsStore: 'desktop' });
    await assert.rejects(roundTrip(new RegistryClient(reg.registry, { dockerConfig: helper }), 'app/basic'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_REGISTRY_AUTH');
      assert.match(err.message, /requires a user name and password.*docker-credential-desktop.*not run/);
      return true;
    });
    await assert.rejects(roundTrip(new RegistryClient(reg.registry, { credentials: { username: 'alice', password: 'nope' } }), 'app/basic'), { code: 'ERR_REGISTRY_AUTH' });
    await roundTrip(new RegistryClient(reg.registry, { credentials: { username: 'alice', password: 'wonderland' } }), 'app/basic');
    const config = dockerConfig('basic', { auths: { [reg.registry]: { auth: Buffer.from('alice:wonderland').toString('base64') } } });
    await roundTrip(new RegistryClient(reg.registry, { dockerConfig: config }), 'app/basic');
    const configDir = mkdtempSync(join(dir, 'docker-'));
    writeFileSync(join(configDir, 'config.json'), readFileSync(config));
    await roundTrip(new RegistryClient(reg.registry, { env: { DOCKER_CONFIG: configDir } }), 'app/basic');
    // A credential helper on the PATH (docker-credential-helpers' "get"), as Docker Desktop configures one.
    const bin = mkdtempSync(join(dir, 'bin-'));
    const script = join(bin, 'docker-credential-fake');
    writeFileSync(script, `#!/bin/sh\nread server\n[ "$server" = "${reg.registry}" ] || exit 1\necho '{"ServerURL":"'$server'","Username":"alice","Secret":"wonderland"}'\n`, { mode: 0o755 });
    const viaHelper = dockerConfig('via-helper', { credHelpers: { [reg.registry]: 'fake' } });
    await roundTrip(new RegistryClient(reg.registry, { dockerConfig: viaHelper, env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` } }), 'app/basic');
  } finally {
    await reg.stop();
  }
});

test('token registry: a token per scope from the realm, cached; identity tokens; none without credentials', T, async () => {
  const reg = await startRegistry({ token: { users: { alice: 'wonderland' }, identityTokens: { bob: 'refresh-bob' } } });
  try {
    const empty = dockerConfig('empty', {});
    await assert.rejects(roundTrip(new RegistryClient(reg.registry, { dockerConfig: empty }), 'app/token'), { code: 'ERR_REGISTRY_AUTH' });
    await assert.rejects(roundTrip(new RegistryClient(reg.registry, { credentials: { username: 'alice', password: 'x' } }), 'app/token'), { code: 'ERR_REGISTRY_AUTH' });
    reg.tokenRequests.length = 0;
    const c = new RegistryClient(reg.registry, { credentials: { username: 'alice', password: 'wonderland' } });
    await roundTrip(c, 'app/token');
    await roundTrip(c, 'app/token');
    // One token for pull,push (the upload), one for pull (the download): each fetched once.
    assert.deepEqual(reg.tokenRequests.map((r) => [r.method, r.user, r.scopes.join(' ')]).sort(), [
      ['GET', 'alice', 'repository:app/token:pull'],
      ['GET', 'alice', 'repository:app/token:pull,push'],
    ]);
    const config = dockerConfig('identity', { auths: { [`http://${reg.registry}`]: { identitytoken: 'refresh-bob' } } });
    await roundTrip(new RegistryClient(reg.registry, { dockerConfig: config }), 'app/token');
    assert.ok(reg.tokenRequests.some((r) => r.method === 'POST' && r.user === 'bob'));
  } finally {
    await reg.stop();
  }
});

test('HTTPS registry: trusted with its CA bundle, refused clearly without', T, async () => {
  const reg = await startRegistry({ tls: true });
  try {
    const c = new RegistryClient(reg.registry, { ca: reg.caPem! });
    assert.equal(c.origin, reg.url);
    await roundTrip(c, 'app/tls');
    await roundTrip(new RegistryClient(`localhost:${reg.port}`, { ca: reg.caPem! }), 'app/tls');
    await assert.rejects(roundTrip(new RegistryClient(reg.registry, { plainHttp: false }), 'app/tls'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_REGISTRY_UNREACHABLE');
      assert.match(err.message, /certificate is not trusted/);
      return true;
    });
  } finally {
    await reg.stop();
  }
});
