/**
 * `enarx deploy --host` and `enarx keep` against a host agent that is hostile or fails: a proxy
 * that rewrites the keep's event stream is detected (no forged byte printed, a non-zero exit with
 * the record's code); a keep killed while its client follows it is reported killed; a host that
 * dies mid-stream is "connection lost"; `--measurement` pins the runtime.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request as httpRequest, createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ENARX, TOKENS, WORKLOADS, cleanup, eventually, startAgent, tempDir } from '../host/support.js';
import type { Agent } from '../host/support.js';

let agent: Agent;
let dataHome: string;
const hello = join(WORKLOADS, 'hello.wasm');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function enarx(args: string[], opts: { env?: NodeJS.ProcessEnv; onSpawn?: (c: ChildProcess) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [ENARX, ...args], { env: { ...process.env, XDG_DATA_HOME: dataHome, ENARX_TOKEN: TOKENS.alice, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
    opts.onSpawn?.(c);
  });
}

/** An HTTP proxy to `target` that passes the SSE lines of each event stream through `rewrite`. */
function rewritingProxy(target: string, rewrite: (line: string) => string): Promise<{ server: Server; url: string }> {
  const t = new URL(target);
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const up = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!(answer.headers['content-type'] ?? '').startsWith('text/event-stream')) return void answer.pipe(res);
        let pending = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop()!;
          res.write(lines.map(rewrite).join('\n') + (lines.length ? '\n' : ''));
        });
        answer.on('end', () => res.end(pending));
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
  });
}

before(async () => {
  dataHome = tempDir('enarx-sealed-home-');
  agent = await startAgent({ backend: 'sim', stateDir: tempDir('enarx-sealed-state-') });
});
after(async () => {
  await agent.close();
  cleanup();
});

test('a host that rewrites the keep\'s stream gets no forged byte printed: a non-zero exit, the record\'s code', async () => {
  const forged = Buffer.from('FORGED by the host agent!\n');
  // Every record replaced by one the host made itself: well framed, of the right kind and number.
  let n = 0;
  const proxy = await rewritingProxy(agent.url, (line) => {
    if (!line.startsWith('data: ') || line.startsWith('data: {')) return line;
    const real = Buffer.from(line.slice(6), 'base64');
    const fake = Buffer.alloc(13 + 5 + forged.length + 16);
    fake.writeUInt32BE(fake.length - 4, 0);
    fake[4] = real[4]!;
    real.copy(fake, 5, 5, 13);
    fake[13] = 1;
    fake.writeUInt32BE(forged.length, 14);
    forged.copy(fake, 18);
    n++;
    return `data: ${fake.toString('base64')}`;
  });
  try {
    const r = await enarx(['deploy', '--host', proxy.url, '--allow-sim', hello]);
    assert.ok(n > 0, 'the proxy rewrote records');
    assert.equal(r.stdout.includes('FORGED'), false);
    assert.equal(r.stdout, '');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /altered on the way.*\[ERR_RECORD_AUTH\]/);
  } finally {
    proxy.server.close();
  }
});

test('a host that drops or cuts the stream: refused as such, never taken for an exit', async () => {
  // Cut after the first record: the output so far is genuine, the outcome is missing.
  let seen = 0;
  const proxy = await rewritingProxy(agent.url, (line) => (line.startsWith('data: ') && !line.startsWith('data: {') && ++seen > 1 ? 'data: ' : line));
  try {
    const r = await enarx(['deploy', '--host', proxy.url, '--allow-sim', join(WORKLOADS, 'exit.wasm'), '7']);
    assert.notEqual(r.status, 7);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\[ERR_(HOST_PROTOCOL|OUTPUT_TRUNCATED|RECORD_\w+)\]/);
  } finally {
    proxy.server.close();
  }
});

test('a keep killed while its client follows it is reported killed (137), not a protocol error', async () => {
  let keepId: string | undefined;
  let client: ChildProcess | undefined;
  const running = enarx(['deploy', '--host', agent.url, '--allow-sim', join(WORKLOADS, 'loop.wasm')], { onSpawn: (c) => (client = c) });
  // Killed only once its first output has reached the client: "running" alone may come before it.
  const printed = new Promise((resolve) => client!.stdout!.on('data', (d: Buffer) => String(d).includes('looping') && resolve(null)));
  assert.ok(await eventually(() => (keepId = agent.host.listKeeps('alice').find((k) => k.state === 'running')?.id) !== undefined));
  await printed;
  const kill = await enarx(['keep', 'kill', keepId!, '--host', agent.url]);
  assert.equal(kill.status, 0, kill.stderr);
  assert.match(kill.stdout, /killed/);
  const r = await running;
  assert.equal(r.stdout, 'looping\n');
  assert.equal(r.status, 137, r.stderr);
  assert.match(r.stderr, /the host says it killed the keep \[ERR_KEEP_KILLED\]/);
  // Its logs say so too, with the same status; --json prints JSON only.
  const logs = await enarx(['keep', 'logs', keepId!, '--host', agent.url]);
  assert.equal(logs.status, 137);
  assert.equal(logs.stdout, 'looping\n');
  const json = await enarx(['keep', 'logs', keepId!, '--host', agent.url, '--json']);
  for (const line of json.stdout.trim().split('\n')) JSON.parse(line);
  assert.deepEqual(JSON.parse(json.stderr.trim().split('\n').at(-1)!).error.code, 'ERR_KEEP_KILLED');
});

test('a host agent that dies while its client follows a keep: "connection lost", with its own code', async () => {
  const state = tempDir('enarx-dying-agent-');
  const child = spawn(process.execPath, [ENARX, 'host', 'serve', '--listen', '127.0.0.1:0', '--state', state, '--backend', 'sim', '--warm', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    assert.ok(await eventually(() => /listening on (\S+)/.test(out), 20_000), out);
    const url = /listening on (\S+)/.exec(out)![1]!;
    const token = /token \(shown only now\): (\S+)/.exec(out)![1]!;
    const running = enarx(['deploy', '--host', url, '--allow-sim', join(WORKLOADS, 'loop.wasm')], { env: { ENARX_TOKEN: token } });
    const looping = await eventually(async () => {
      const res = await fetch(`${url}/v1/keeps`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
      return ((await res?.json()) as { keeps: { state: string }[] } | undefined)?.keeps.some((k) => k.state === 'running') ?? false;
    }, 20_000);
    assert.ok(looping);
    child.kill('SIGKILL');
    const r = await running;
    assert.equal(r.status, 1);
    assert.match(r.stderr, /connection to the host was lost.*\[ERR_HOST_CONNECTION_LOST\]/);
  } finally {
    child.kill('SIGKILL');
  }
});

test('--measurement pins the runtime: a keep with any other measurement gets nothing', async () => {
  const other = 'ab'.repeat(48);
  const r = await enarx(['deploy', '--host', agent.url, '--allow-sim', '--measurement', other, hello]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\[ERR_MEASUREMENT\]/);
  assert.equal(r.stdout, '');
  const local = await enarx(['run', '--measurement', other, hello]);
  assert.equal(local.status, 1);
  assert.match(local.stderr, /\[ERR_MEASUREMENT\]/);
  assert.equal(local.stdout, '');
  // The keep's own measurement, given by itself, is accepted.
  const measured = await enarx(['measure', '--json']);
  const mine = (JSON.parse(measured.stdout) as { measurement: string }).measurement;
  const ok = await enarx(['deploy', '--host', agent.url, '--allow-sim', '--measurement', mine, hello]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'Hello, world!\n');
});

test('keep logs of more output than the host retains: the tail, after saying how much is lost', async () => {
  const size = 3 * 1024 * 1024;
  const deployed = await enarx(['deploy', '--host', agent.url, '--allow-sim', join(WORKLOADS, 'output.wasm'), String(size)]);
  assert.equal(deployed.status, 0, deployed.stderr);
  assert.equal(deployed.stdout.length, size, 'the client that followed its keep lost nothing');
  const id = agent.host.listKeeps('alice').at(-1)!.id;
  const logs = await enarx(['keep', 'logs', id, '--host', agent.url]);
  assert.equal(logs.status, 0, logs.stderr);
  assert.match(logs.stderr, /the host no longer holds the first \d+ records \(\d+ bytes\) of this keep's output/);
  assert.ok(logs.stdout.length > 0 && logs.stdout.length < size && deployed.stdout.endsWith(logs.stdout));
});
