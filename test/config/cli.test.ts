import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_TEMPLATE } from '../../src/config/index.js';
import { REPO_ROOT } from '../support/vectors.js';

const BIN = join(REPO_ROOT, 'bin', 'enarx.js');

function enarx(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('enarx config', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enarx-config-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('init writes the template, then refuses to overwrite it', async () => {
    const path = join(dir, 'Enarx.toml');
    const first = enarx('config', 'init', path);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(await readFile(path, 'utf8'), CONFIG_TEMPLATE);

    await writeFile(path, 'args = ["mine"]\n');
    const second = enarx('config', 'init', path);
    assert.equal(second.status, 1);
    assert.match(second.stderr, /\[ERR_EXISTS\]/);
    assert.equal(await readFile(path, 'utf8'), 'args = ["mine"]\n');

    const json = enarx('config', 'init', path, '--json');
    assert.equal(json.status, 1);
    assert.equal(JSON.parse(json.stderr).error.code, 'ERR_EXISTS');
  });

  it('init reports a missing directory', () => {
    const r = enarx('config', 'init', join(dir, 'no', 'such', 'Enarx.toml'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\[ERR_NOT_FOUND\]/);
  });

  it('check summarises a valid file', async () => {
    const path = join(dir, 'ok.toml');
    await writeFile(path, '[env]\nSECRET = "hunter2"\n[[files]]\nkind = "stdout"\n[[files]]\nkind = "listen"\nname = "web"\nprot = "tcp"\n');
    const r = enarx('config', 'check', path);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /FD_COUNT=2 FD_NAMES=stdout:web/);
    assert.match(r.stdout, /tcp listen on \[::\]:80/);
    assert.match(r.stdout, /SECRET/);
    assert.doesNotMatch(r.stdout, /hunter2/);

    const j = enarx('config', 'check', path, '--json');
    assert.equal(j.status, 0, j.stderr);
    const out = JSON.parse(j.stdout);
    assert.equal(out.valid, true);
    assert.deepEqual(out.fd, { FD_COUNT: '2', FD_NAMES: 'stdout:web' });
    assert.equal(out.config.files[1].port, 80);
  });

  it('check reports the key, line and code of an error', async () => {
    const path = join(dir, 'bad.toml');
    await writeFile(path, '[[files]]\nkind = "connect"\nprot = "tls"\nhost = "h"\nport = 70000\n');
    const r = enarx('config', 'check', path);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `enarx: ${path}:5: files[0].port: expected an integer from 1 to 65535, got the integer 70000 [ERR_CONFIG_VALUE]\n`);

    const j = enarx('config', 'check', path, '--json');
    assert.equal(j.status, 1);
    assert.equal(JSON.parse(j.stderr).error.code, 'ERR_CONFIG_VALUE');

    const missing = enarx('config', 'check', join(dir, 'absent.toml'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /\[ERR_NOT_FOUND\]/);
  });

  it('usage errors exit with 2; --help exits with 0', () => {
    assert.equal(enarx('config').status, 2);
    assert.equal(enarx('config', 'frobnicate').status, 2);
    assert.equal(enarx('config', 'check', 'a', 'b').status, 2);
    assert.equal(enarx('config', 'init', '--force').status, 2);
    const help = enarx('config', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /init \[PATH\]/);
  });
});
