/**
 * `enarx host serve` and `enarx host token` as a user runs them (child processes, loopback).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ENARX, cleanup, eventually, nonceHex, okJson, sealFor, tempDir, workload } from '../host/support.js';
import type { CreatedJson } from '../host/support.js';

after(cleanup);

interface Serving {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  stop(): Promise<number | null>;
}

function serve(args: string[]): Promise<Serving> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENARX, 'host', 'serve', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exit = new Promise<number | null>((r) => child.once('exit', (s) => r(s)));
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))\n/.exec(out);
      if (m) {
        resolve({
          child,
          url: m[1]!,
          stdout: () => out,
          stderr: () => err,
          stop: async () => {
            child.kill('SIGTERM');
            return exit;
          },
        });
      }
    });
    void exit.then((s) => reject(new Error(`exited ${s} before listening: ${err}`)));
  });
}

function enarx(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [ENARX, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('first start creates tenant default and prints its token once; SIGTERM kills keeps and exits 0', async () => {
  const state = tempDir();
  const first = await serve(['--state', state, '--backend', 'nil']);
  const token = /token \(shown only now\): (enx_\S+)\n/.exec(first.stdout())?.[1];
  assert.ok(token, first.stdout());
  assert.ok(!/port 0/.test(first.url));
  const auth = { authorization: `Bearer ${token}` };
  const k = await okJson<CreatedJson>(
    await fetch(`${first.url}/v1/keeps`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ nonce: nonceHex() }) }),
    201,
  );
  await okJson(await fetch(`${first.url}/v1/keeps/${k.id}/package`, { method: 'PUT', headers: auth, body: (await sealFor(k, workload('loop.wasm'))).body }), 202);
  assert.equal(await first.stop(), 0);

  const second = await serve(['--state', state, '--backend', 'nil']);
  try {
    assert.ok(!second.stdout().includes('token'), 'the token is shown only once');
    const info = await okJson(await fetch(`${second.url}/v1/keeps/${k.id}`, { headers: auth }));
    assert.equal(info['state'], 'killed');
    assert.equal((info['error'] as { code: string }).code, 'ERR_HOST_SHUTDOWN');
    // `enarx host token` issues a token the running agent accepts at once.
    const issued = enarx(['host', 'token', '--state', state, '--tenant', 'carol']);
    assert.equal(issued.status, 0, issued.stderr);
    const carol = issued.stdout.trim();
    const list = await okJson<{ keeps: unknown[] }>(await fetch(`${second.url}/v1/keeps`, { headers: { authorization: `Bearer ${carol}` } }));
    assert.deepEqual(list.keeps, [], "carol does not see default's keeps");
  } finally {
    assert.equal(await second.stop(), 0);
  }
});

test('--token-file tenants; --log writes JSON lines to stderr', async () => {
  const state = tempDir();
  const file = join(state, 'tokens.json');
  writeFileSync(file, JSON.stringify({ tenants: { alice: 'alice-token-0123456789abcdef' } }));
  const s = await serve(['--state', state, '--backend', 'nil', '--token-file', file, '--log', '--abandon-after', '200ms']);
  try {
    assert.ok(!s.stdout().includes('token'));
    const res = await fetch(`${s.url}/v1/keeps`, { headers: { authorization: 'Bearer alice-token-0123456789abcdef' } });
    assert.equal(res.status, 200);
    const k = await okJson<CreatedJson>(
      await fetch(`${s.url}/v1/keeps`, {
        method: 'POST',
        headers: { authorization: 'Bearer alice-token-0123456789abcdef', 'content-type': 'application/json' },
        body: JSON.stringify({ nonce: nonceHex() }),
      }),
      201,
    );
    assert.ok(
      await eventually(async () => {
        const info = await okJson(await fetch(`${s.url}/v1/keeps/${k.id}`, { headers: { authorization: 'Bearer alice-token-0123456789abcdef' } }));
        return info['state'] === 'expired';
      }),
    );
    for (const line of s.stderr().trim().split('\n')) JSON.parse(line);
    assert.match(s.stderr(), /"event":"keep.expired"/);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('usage errors exit 2 with a code; an unreadable token file is ERR_TOKEN_FILE', () => {
  const state = tempDir();
  for (const args of [
    ['host', 'serve'],
    ['host', 'serve', '--listen', 'nowhere'],
    ['host', 'serve', '--listen', '127.0.0.1:70000'],
    ['host', 'serve', '--listen', '127.0.0.1:0', '--backend', 'vmware'],
    ['host', 'serve', '--listen', '127.0.0.1:0', '--max-package', 'lots'],
    ['host', 'token', '--tenant', 'a b'],
    ['host', 'frobnicate'],
  ]) {
    const r = enarx([...args, '--json']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(JSON.parse(r.stderr).error.code, 'ERR_USAGE');
  }
  const r = enarx(['host', 'serve', '--listen', '127.0.0.1:0', '--state', state, '--token-file', join(state, 'absent.json'), '--json']);
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stderr).error.code, 'ERR_TOKEN_FILE');
  assert.equal(enarx(['host', '--help']).status, 0);
  assert.equal(enarx(['host', 'serve', '--help']).status, 0);
});

test('host serve --state where the folder cannot be made (below /proc): exit 1 with the reason', { skip: existsSync('/proc/self') ? false : 'no /proc here' }, () => {
  // The timeout only stops the child if it loops again; the test asserts the exit, not a time.
  const r = spawnSync(process.execPath, [ENARX, 'host', 'serve', '--listen', '127.0.0.1:0', '--state', '/proc/nonexistent', '--json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null, 'the agent did not end by itself');
  assert.equal(r.status, 1, r.stderr);
  const { error } = JSON.parse(r.stderr) as { error: { code: string; message: string } };
  assert.equal(error.code, 'ERR_INTERNAL');
  assert.match(error.message, /^cannot create the state directory \/proc\/nonexistent: (ENOENT|EACCES)\b/);
  assert.equal(r.stdout, '');
});
