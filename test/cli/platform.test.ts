import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probePlatform } from '../../src/cli/platform.js';
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
