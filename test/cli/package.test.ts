/**
 * `enarx package` as a user types it, against real registries on loopback: one that wants
 * htpasswd credentials (flags, or the docker config file), one over TLS with its own CA; sign and
 * verify with openssl-made keys; the local store's ls and gc; JSON output.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SKIP, startRegistry } from '../support/registry.js';
import type { TestRegistry } from '../support/registry.js';
import { REPO_ROOT } from '../support/vectors.js';
import { tempDir } from '../steward/support.js';

const T = { timeout: 60_000 };
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const USER = { user: 'alice', password: 'correct horse' };
let authed: TestRegistry;
let tls: TestRegistry;
let app: string;
let store: string;

function enarx(args: readonly string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), 'package', ...args], {
      env: { ...process.env, ENARX_OCI_STORE: store, DOCKER_CONFIG: join(store, 'no-docker-config'), ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(opts.stdin ?? '');
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

before(async () => {
  if (SKIP || !HAVE_OPENSSL) return;
  [authed, tls] = await Promise.all([startRegistry({ htpasswd: USER }), startRegistry({ tls: true })]);
  app = tempDir('cli-pkg');
  cpSync(join(REPO_ROOT, 'examples', 'hello', 'hello.wasm'), join(app, 'main.wasm'));
  store = tempDir('cli-pkg-store');
});
after(async () => {
  await Promise.all([authed?.stop(), tls?.stop()]);
});

describe('enarx package', { skip: SKIP || (!HAVE_OPENSSL && 'openssl is not installed') }, () => {
  test('credentials: none is refused; --password-stdin and the docker config file work', T, async () => {
    const ref = `oci://${authed.registry}/team/app:v1`;
    const none = await enarx(['publish', ref, app]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /ERR_REGISTRY_AUTH/);
    const flags = await enarx(['publish', '--username', USER.user, '--password-stdin', '--json', ref, app], { stdin: `${USER.password}\n` });
    assert.equal(flags.status, 0, flags.stderr);
    const published = JSON.parse(flags.stdout) as { digest: string };
    assert.match(published.digest, /^sha256:/);
    const dockerConfig = tempDir('docker-config');
    const auth = Buffer.from(`${USER.user}:${USER.password}`).toString('base64');
    writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [authed.registry]: { auth } } }));
    const info = await enarx(['info', '--json', ref], { env: { DOCKER_CONFIG: dockerConfig } });
    assert.equal(info.status, 0, info.stderr);
    assert.equal((JSON.parse(info.stdout) as { digest: string }).digest, published.digest);
  });

  test('TLS: with --ca the registry is trusted; without, a clear refusal (loopback means plain HTTP unless a CA is given)', T, async () => {
    const caFile = join(tempDir('cli-ca'), 'ca.pem');
    writeFileSync(caFile, tls.caPem!);
    const ref = `oci://${tls.registry}/app:v1`;
    const ok = await enarx(['publish', '--ca', caFile, ref, app]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^published oci:\/\/127\.0\.0\.1:\d+\/app:v1@sha256:[0-9a-f]{64}/);
    const untrusted = await enarx(['info', ref]);
    assert.equal(untrusted.status, 1);
    assert.match(untrusted.stderr, /speaks HTTPS: give its CA bundle \(--ca FILE\).*ERR_REGISTRY_UNREACHABLE/);
    const out = join(tempDir('cli-fetch'), 'app');
    const fetched = await enarx(['fetch', '--ca', caFile, ref, out]);
    assert.equal(fetched.status, 0, fetched.stderr);
  });

  test('sign and verify with openssl keys; the local store lists and collects', T, async () => {
    const keys = tempDir('cli-keys');
    mkdirSync(keys, { recursive: true });
    spawnSync('openssl', ['ecparam', '-genkey', '-name', 'prime256v1', '-noout', '-out', join(keys, 'k.pem')]);
    spawnSync('openssl', ['ec', '-in', join(keys, 'k.pem'), '-pubout', '-out', join(keys, 'k.pub')]);
    assert.equal((await enarx(['publish', 'hello:v1', app])).status, 0);
    const sign = await enarx(['sign', '--key', join(keys, 'k.pem'), 'hello:v1']);
    assert.equal(sign.status, 0, sign.stderr);
    assert.match(sign.stdout, /hello:sha256-[0-9a-f]{64}\.sig/);
    const verify = await enarx(['verify', '--key', join(keys, 'k.pub'), 'hello:v1']);
    assert.equal(verify.status, 0, verify.stderr);
    const ls = await enarx(['ls', '--json']);
    const refs = (JSON.parse(ls.stdout) as { ref: string }[]).map((e) => e.ref);
    assert.ok(refs.includes('hello:v1') && refs.some((r) => r.endsWith('.sig')), refs.join(' '));
    const gc = await enarx(['gc', '--json']);
    assert.equal(gc.status, 0, gc.stderr);
    assert.equal((JSON.parse(gc.stdout) as { removedBlobs: number }).removedBlobs, 0);
    const usage = await enarx(['sign', 'hello:v1']);
    assert.equal(usage.status, 2);
  });
});
