/**
 * End to end: a keep whose Enarx.toml names a steward (`steward = URL`) sends it a CSR with its
 * evidence, gets a certificate, and serves its TLS socket with it — so `curl --cacert` with only
 * the steward's CA reaches it. A keep the steward refuses serves nothing and says why; a client
 * that trusts only the steward's CA refuses a keep that is not certified by it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, test } from 'node:test';
import { loadReferenceValues } from '../../src/attestation/reference-values.js';
import type { StewardServer } from '../../src/steward/http.js';
import { parsePolicy } from '../../src/steward/policy.js';
import { serveSteward } from '../../src/steward/http.js';
import { Steward } from '../../src/steward/steward.js';
import { enarxToml, freePort, listening, startKeep, waitForPort, WORKLOADS } from '../support/keep-net.js';
import { publishPackage, signPackage } from '../../src/registry/packages.js';
import { PackageStore } from '../../src/registry/store.js';
import { parseKeepTcbInfo } from '../../src/steward/issue.js';
import { REPO_ROOT } from '../support/vectors.js';
import { tempDir } from '../steward/support.js';

const T = { timeout: 60_000 };
const HAVE_CURL = spawnSync('curl', ['--version']).status === 0;
let steward: Steward;
let server: StewardServer;
let caFile: string;

before(async () => {
  const policy = parsePolicy('[names]\ndns = ["localhost", "keep.test"]\n', { allowSim: true, trustDomain: 'example.org' });
  steward = await Steward.open({ stateDir: tempDir('keep-steward'), policy });
  // The runtimes this installation builds: the keeps below run one of them.
  steward.state.addReferenceValues(await loadReferenceValues());
  server = await serveSteward(steward, { hostname: '127.0.0.1', port: 0 });
  caFile = join(tempDir('keep-steward-ca'), 'steward-ca.pem');
  writeFileSync(caFile, steward.ca.certPem);
});
after(async () => {
  await server?.close();
  steward?.close();
});

function listenEntry(port: number): string {
  return ['kind = "listen"', 'name = "web"', 'prot = "tls"', 'addr = "127.0.0.1"', `port = ${port}`].join('\n');
}

/** A TLS handshake with `127.0.0.1:port` trusting only the steward's CA: the served certificate, or the error. */
function handshake(port: number): Promise<{ ok: true; san: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: steward.ca.certPem }, () => {
      resolve({ ok: true, san: s.getPeerX509Certificate()?.subjectAltName ?? '' });
      s.destroy();
    });
    s.once('error', (err) => resolve({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message }));
  });
}

test('a keep with steward = URL serves the certificate the steward issued it', T, async () => {
  const port = await freePort();
  const toml = `steward = "${server.url}"\ndns_names = ["keep.test"]\n\n${enarxToml(listenEntry(port))}`;
  const keep = await startKeep({ module: 'net_http.wasm', toml, waitPort: port });
  try {
    const got = await handshake(port);
    assert.ok(got.ok, JSON.stringify(got));
    assert.match(got.san, /DNS:keep\.test/);
    assert.match(got.san, /URI:spiffe:\/\/example\.org\/package\/sha256\/[0-9a-f]{64}/);
    if (HAVE_CURL) {
      const curl = spawnSync('curl', ['-sS', '--max-time', '10', '--cacert', caFile, `https://localhost:${port}/`], { encoding: 'utf8' });
      assert.equal(curl.status, 0, curl.stderr);
      assert.match(curl.stdout, /hello from the keep/);
    }
    const issued = steward.state.auditLog(10).filter((e) => e.event === 'issued');
    assert.ok(issued.some((e) => e.detail['tee'] === 'sim' && e.detail['form'] === 'ietf'));
  } finally {
    await keep.stop();
  }
});

test('a client that trusts only the steward CA refuses a keep the steward did not certify', T, async () => {
  const port = await freePort();
  const keep = await startKeep({ module: 'net_http.wasm', toml: enarxToml(listenEntry(port)), waitPort: port });
  try {
    const got = await handshake(port);
    assert.equal(got.ok, false);
    assert.match((got as { error: string }).error, /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  } finally {
    await keep.stop();
  }
});

test('a keep the steward refuses serves nothing and says why', T, async () => {
  const strict = await Steward.open({ stateDir: tempDir('keep-steward-strict'), policy: parsePolicy(undefined, { allowSim: true }) });
  // No reference values: every runtime is unknown to this steward.
  const strictServer = await serveSteward(strict, { hostname: '127.0.0.1', port: 0 });
  try {
    const port = await freePort();
    const keep = await startKeep({ module: 'net_http.wasm', toml: `steward = "${strictServer.url}"\n\n${enarxToml(listenEntry(port))}` });
    const end = await keep.exited;
    assert.notEqual(end.code, 0);
    assert.match(end.stderr, /ERR_STEWARD_REFUSED/);
    assert.match(end.stderr, /ERR_MEASUREMENT/);
    assert.equal(listening(port), false);
  } finally {
    await strictServer.close();
    strict.close();
  }
});

test('a signed package run from a reference: its certificate names the OCI artifact and the signer the keep checked', T, async () => {
  const port = await freePort();
  const dir = tempDir('keep-steward-pkg');
  cpSync(join(WORKLOADS, 'net_http.wasm'), join(dir, 'main.wasm'));
  writeFileSync(join(dir, 'Enarx.toml'), `steward = "${server.url}"\n\n${enarxToml(listenEntry(port))}`);
  const store = new PackageStore(tempDir('keep-steward-store'));
  const ctx = { access: {}, progress: { start: () => {}, advance: () => {}, end: () => {} }, store };
  const { digest } = await publishPackage('web:v1', dir, ctx);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signed = await signPackage('web:v1', String(privateKey.export({ type: 'pkcs8', format: 'pem' })), ctx);
  const pub = join(dir, 'pub.pem');
  writeFileSync(pub, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), 'run', '--verify-key', pub, 'web:v1'], {
    env: { ...process.env, ENARX_OCI_STORE: store.root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    await Promise.race([waitForPort(port), new Promise((_, reject) => child.once('exit', () => reject(new Error(`the keep ended: ${stderr}`))))]);
    const der = await new Promise<Uint8Array>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: steward.ca.certPem }, () => {
        resolve(new Uint8Array(s.getPeerX509Certificate()!.raw));
        s.destroy();
      });
      s.once('error', reject);
    });
    assert.deepEqual(parseKeepTcbInfo(der)?.workload?.oci, digest);
    assert.equal(parseKeepTcbInfo(der)?.workload?.signer, signed.keyId);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  }
});
