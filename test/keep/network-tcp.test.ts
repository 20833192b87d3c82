/**
 * End to end: keeps with a plain TCP listen socket (fd 3) running test/workloads/c/net_http.c and
 * net_echo.c, reached by real clients (curl, node:net). Checks what the rings between the keep's
 * main thread and its worker must preserve (every byte, in order, at 100 MiB; 200 connections at
 * once; half-close; resets) and what they must bound (a peer that never reads holds one
 * connection's rings, not the keep's memory, and stalls nobody else); then the workload's exit
 * with connections open, and the ports a host agent reports for a deployed keep.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENARX, TOKENS, cleanup, eventually, startAgent, tempDir } from '../host/support.js';
import type { Agent } from '../host/support.js';
import { enarxToml, freePort, listening, processTree, treeRss, waitForPort, WORKLOADS } from '../support/keep-net.js';
import type { KeepExit, RunningKeep } from '../support/keep-net.js';
import { BULK_MS, HELLO, KIB, MIB, T, WAIT_MS, assertEcho, connectTo, curl, echoRoundTrip, openSockets, patternSha256, receiveAll, sleep, start, stopKeep, tcpBufferMax, tcpEntry, tcpKeep, within, write } from '../support/tcp-clients.js';


const work = mkdtempSync(join(tmpdir(), 'enarx-tcp-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('net_http behind a TCP listen socket', () => {
  let port = 0;
  let keep: RunningKeep | undefined;
  before(async () => {
    port = await freePort();
    keep = await tcpKeep('net_http.wasm', port);
  });
  after(() => stopKeep(keep));

  test('curl: GET / gives exactly the body; several URLs share one connection; POST /echo returns 1 MiB', T, async () => {
    assert.deepEqual(await curl(port, '/'), { code: 0, stdout: HELLO, stderr: '' });
    // %{num_connects}: connections this transfer opened; 0 when curl reused the previous one.
    const three = await curl(port, '/', ['-w', '[%{num_connects}]', `http://127.0.0.1:${port}/`, `http://127.0.0.1:${port}/`]);
    assert.deepEqual(three, { code: 0, stdout: `${HELLO}[1]${HELLO}[0]${HELLO}[0]`, stderr: '' });
    // 1 MiB, the largest body net_http echoes; curl sends it after "Expect: 100-continue".
    const body = randomBytes(MIB);
    writeFileSync(join(work, 'body'), body);
    const out = join(work, 'echoed');
    const echo = await curl(port, '/echo', ['--data-binary', `@${join(work, 'body')}`, '-H', 'Content-Type: application/octet-stream', '-o', out, '-w', '%{http_code} %{size_download}']);
    assert.deepEqual(echo, { code: 0, stdout: `200 ${MIB}`, stderr: '' });
    assert.ok(readFileSync(out).equals(body), 'POST /echo returns the body');
  });

  test('curl: 100 MiB of GET /bytes/N, hashed as it streams, is the pattern', T, async () => {
    const n = 100 * MIB;
    const expected = patternSha256(n);
    const h = createHash('sha256');
    let bytes = 0;
    const { done } = start('curl', ['-sS', '--max-time', String(BULK_MS / 1000), `http://127.0.0.1:${port}/bytes/${n}`], {
      timeoutMs: BULK_MS + 2_000,
      onStdout: (d) => {
        h.update(d);
        bytes += d.length;
      },
    });
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(bytes, n);
    assert.equal(h.digest('hex'), expected);
  });

  test('the workload exits (GET /exit) with a keep-alive connection open: the keep exits 0, the connection ends, the port closes', T, async (t) => {
    const open = await connectTo(port);
    try {
      // One request on it, answered; the connection stays open (HTTP/1.1 keep-alive).
      let buf = Buffer.alloc(0);
      const first = within(
        new Promise<void>((resolve) => {
          const onData = (d: Buffer): void => {
            buf = Buffer.concat([buf, d]);
            if (buf.toString('latin1').endsWith(`\r\n\r\n${HELLO}`)) {
              open.off('data', onData);
              resolve();
            }
          };
          open.on('data', onData);
        }),
        WAIT_MS,
        'GET / on the keep-alive connection',
      );
      open.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await first;
      assert.match(buf.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
      assert.doesNotMatch(buf.toString('latin1'), /connection: close/i);
      const rest = receiveAll(open, 4_000, 'the keep-alive connection after the workload exited');
      rest.catch(() => {}); // awaited below, unless an assertion fails first
      assert.deepEqual(await curl(port, '/exit'), { code: 0, stdout: 'bye\n', stderr: '' });
      // Promptly: before the keep's 5 s flush deadline for connections that do not close.
      const exit = await within(keep!.exited, 4_000, 'the keep exiting after GET /exit');
      assert.deepEqual(exit, { code: 0, stdout: '', stderr: '' });
      const r = await rest;
      t.diagnostic(`the open connection: ${r.end ? 'end of stream' : r.error}`);
      assert.equal(r.data.length, 0, `nothing more on the open connection: ${r.data.toString('latin1')}`);
      assert.ok(r.end || r.error === 'ECONNRESET', `end of stream or a reset, got ${JSON.stringify(r)}`);
      assert.equal(listening(port), false, 'nothing listens on the port any more');
      await assert.rejects(connectTo(port), { code: 'ECONNREFUSED' });
    } finally {
      open.destroy();
    }
  });
});

describe('net_echo behind a TCP listen socket', () => {
  let port = 0;
  let keep: RunningKeep | undefined;
  /** What the keep writes to stderr (nothing, ever: net_echo is silent until EXIT_AFTER). */
  let stderr = '';
  before(async () => {
    port = await freePort();
    keep = await tcpKeep('net_echo.wasm', port);
    keep.child.stderr!.on('data', (d: string) => (stderr += d));
  });
  after(() => stopKeep(keep));

  test('100 MiB of random data streamed through: what comes back hashes as what was sent', T, async () => {
    const total = 100 * MIB;
    const chunk = MIB;
    const s = await connectTo(port);
    try {
      const sent = createHash('sha256');
      const got = createHash('sha256');
      let received = 0;
      const ended = new Promise<void>((resolve, reject) => {
        s.on('data', (d: Buffer) => {
          got.update(d);
          received += d.length;
        });
        s.once('end', resolve);
        s.once('close', () => reject(new Error(`closed before the end of stream, after ${received} bytes back`)));
      });
      ended.catch(() => {});
      const transfer = (async () => {
        for (let off = 0; off < total; off += chunk) {
          const b = randomBytes(Math.min(chunk, total - off));
          sent.update(b);
          await write(s, b);
        }
        s.end();
        await ended;
      })();
      await within(transfer, BULK_MS, `100 MiB through net_echo (${received} bytes back)`);
      assert.equal(received, total);
      assert.equal(got.digest('hex'), sent.digest('hex'));
    } finally {
      s.destroy();
    }
  });

  test('half-close: clients send 1 MiB and end their side; each gets the whole echo, then the end of stream (alone, and 8 at once × 5)', T, async () => {
    const data = randomBytes(MIB);
    const s = await connectTo(port);
    try {
      const got = receiveAll(s);
      // allowHalfOpen is false: after end() the socket stays readable until the keep's FIN.
      s.end(data);
      assertEcho(await got, data);
    } finally {
      s.destroy();
    }
    // With several at once the workload falls behind, so the inbound ring is full when a client's
    // last bytes and its end of stream arrive: the end must reach the workload after those bytes.
    const failed: string[] = [];
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => echoRoundTrip(port, randomBytes(MIB))));
      results.forEach((r, i) => r.status === 'rejected' && failed.push(`round ${round} client ${i}: ${(r.reason as Error).message}`));
    }
    assert.deepEqual(failed, []);
  });

  test('clients that reset mid-transfer cost only their own connections; others complete, new ones are accepted, no socket leaks', T, async () => {
    const socketsBefore = openSockets(keep!.child.pid!);
    /** Streams into the echo server (reading back) and resets (RST) once `after` bytes came back. */
    const resetter = async (after: number): Promise<number> => {
      const s = await connectTo(port);
      s.on('error', () => {});
      let received = 0;
      const reached = new Promise<void>((resolve) =>
        s.on('data', (d: Buffer) => {
          received += d.length;
          if (received >= after) resolve();
        }),
      );
      const chunk = randomBytes(256 * KIB);
      let writing = true;
      const pump = (async () => {
        while (writing) await write(s, chunk).catch(() => (writing = false));
      })();
      try {
        await within(reached, WAIT_MS, `${after} bytes echoed before the reset`);
      } finally {
        writing = false;
        s.resetAndDestroy();
        await pump;
      }
      return received;
    };
    const others = (n: number, size: number): Promise<void>[] => Array.from({ length: n }, () => echoRoundTrip(port, randomBytes(size)));
    const resets = [MIB, 2 * MIB, 3 * MIB, 4 * MIB].map(resetter);
    await Promise.all([...resets, ...others(8, MIB)]);
    // Afterwards: new connections, round trips as before.
    await Promise.all(others(8, 256 * KIB));
    assert.equal(keep!.child.exitCode, null, 'the keep runs');
    // Every connection of this test closed in the keep too (reset ones included).
    assert.ok(await eventually(() => openSockets(keep!.child.pid!) <= socketsBefore, 5_000), `sockets in the keep: ${socketsBefore} before, ${openSockets(keep!.child.pid!)} after`);
    assert.equal(stderr, '');
  });

  test('a peer that never reads: its writes stall at the socket buffers, the keep\'s memory stays bounded, 20 other round trips complete meanwhile', T, async (t) => {
    const pid = keep!.child.pid!;
    // Warm: the paths the round trips take, so that their first use is not counted as growth.
    await echoRoundTrip(port, randomBytes(64 * KIB));
    const rssBefore = treeRss(pid);
    const pusher = await connectTo(port);
    pusher.on('error', () => {});
    pusher.pause(); // never reads: the echo piles up in its receive buffer, then everywhere upstream
    const chunk = randomBytes(64 * KIB);
    let pushed = 0; // bytes the kernel took from the pusher
    let lastProgress = Date.now();
    let pushing = true;
    const push = (async () => {
      while (pushing) {
        const taken = new Promise<boolean>((resolve) => pusher.write(chunk, (err) => resolve(err == null)));
        // Wait for the chunk to be taken, or give up when the push ends.
        const ok = await Promise.race([taken, (async () => {
          while (pushing) await sleep(50);
          return false;
        })()]);
        if (!ok) break;
        pushed += chunk.length;
        lastProgress = Date.now();
      }
    })();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, treeRss(pid))), 100);
    const started = Date.now();
    const times: number[] = [];
    try {
      await sleep(200); // let the pusher fill what it can
      for (let i = 0; i < 20; i++) {
        const t0 = Date.now();
        await within(echoRoundTrip(port, randomBytes(64 * KIB)), 2_000, `round trip ${i} while a peer does not read`);
        times.push(Date.now() - t0);
      }
      await sleep(Math.max(0, 2_000 - (Date.now() - started)));
      const stalledFor = Date.now() - lastProgress;
      const rssAfter = treeRss(pid);
      rssPeak = Math.max(rssPeak, rssAfter);
      pushing = false;
      await within(push, WAIT_MS, 'the push loop ending');
      // What the kernel can hold between the two: the pusher's send buffer, the keep's receive
      // buffer, the rings and net_echo's buffer, and on the way back the keep's send buffer and the
      // pusher's receive buffer. A keep that buffered would have taken hundreds of MiB in 2 s.
      const max = tcpBufferMax();
      const bound = 2 * (max.send + max.receive) + 4 * 64 * KIB + MIB;
      const diag = `pushed ${(pushed / MIB).toFixed(1)} MiB (bound ${(bound / MIB).toFixed(1)}), stalled for the last ${stalledFor} ms, RSS ${(rssBefore / MIB).toFixed(1)} → peak ${(rssPeak / MIB).toFixed(1)} MiB, round trips ${times.join(' ')} ms`;
      t.diagnostic(`${diag}; processes: ${processTree(pid).length}`);
      assert.ok(pushed < bound, diag);
      assert.ok(stalledFor >= 500, `the pusher's writes stall: ${diag}`);
      assert.ok(rssPeak - rssBefore < 64 * MIB, diag);
      assert.equal(times.length, 20);
    } finally {
      clearInterval(sampler);
      pushing = false;
      pusher.destroy();
    }
    // The stalled connection is gone; the keep serves as before.
    await echoRoundTrip(port, randomBytes(MIB));
    assert.equal(stderr, '');
  });
});

test('200 concurrent connections to net_echo (EXIT_AFTER=200), 64 KiB each: every echo is exact, then it reports 200 connections, 13107200 bytes and exits 0', T, async () => {
  const port = await freePort();
  const keep = await tcpKeep('net_echo.wasm', port, { EXIT_AFTER: '200' });
  try {
    const data = Array.from({ length: 200 }, () => randomBytes(64 * KIB));
    const results = await Promise.allSettled(data.map((d) => echoRoundTrip(port, d, 20_000)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`#${i}: ${(r.reason as Error).message}`] : []));
    assert.deepEqual(failed, []);
    const exit: KeepExit = await within(keep.exited, WAIT_MS, 'net_echo exiting after 200 connections');
    assert.deepEqual(exit, { code: 0, stdout: `echo: 200 connections, ${200 * 64 * KIB} bytes\n`, stderr: '' });
  } finally {
    await stopKeep(keep);
  }
});

describe('a host agent running a deployed keep with a TCP listen socket', () => {
  let agent: Agent | undefined;
  let deploy: ChildProcess | undefined;
  after(async () => {
    deploy?.kill('SIGKILL');
    await agent?.close();
    cleanup();
  });

  test('GET /v1/keeps/{id} lists the bound address while the keep runs, and no ports once it ended', T, async () => {
    agent = await startAgent({ backend: 'sim', stateDir: tempDir('enarx-net-host-') });
    const port = await freePort();
    const pkg = tempDir('enarx-net-pkg-');
    copyFileSync(join(WORKLOADS, 'net_http.wasm'), join(pkg, 'main.wasm'));
    writeFileSync(join(pkg, 'Enarx.toml'), enarxToml(tcpEntry(port)));
    const started = start(process.execPath, [ENARX, 'deploy', '--host', agent.url, '--token', TOKENS.alice, '--allow-sim', pkg], {
      timeoutMs: 25_000,
      env: { ...process.env, XDG_DATA_HOME: tempDir('enarx-net-data-') },
    });
    deploy = started.child;
    const early = started.done.then((r) => Promise.reject(new Error(`enarx deploy ended before the keep listened: ${r.code} ${r.stderr}`)));
    early.catch(() => {});
    await Promise.race([waitForPort(port, 20_000), early]);

    const list = await within(agent.api('alice', 'GET', '/v1/keeps'), WAIT_MS, 'GET /v1/keeps');
    const keeps = ((await list.json()) as { keeps: { id: string; state: string }[] }).keeps;
    assert.equal(keeps.length, 1, JSON.stringify(keeps));
    const id = keeps[0]!.id;
    const info = async (): Promise<{ state: string; ports?: unknown }> => (await (await agent!.api('alice', 'GET', `/v1/keeps/${id}`)).json()) as { state: string; ports?: unknown };
    // The keep reports its ports once bound; the port listening may be seen a moment earlier.
    let running: { state: string; ports?: unknown } = await info();
    assert.ok(await eventually(async () => (running = await info()).ports !== undefined, 5_000), JSON.stringify(running));
    assert.equal(running.state, 'running');
    assert.deepEqual(running.ports, [{ address: '127.0.0.1', port }]);

    assert.deepEqual(await curl(port, '/'), { code: 0, stdout: HELLO, stderr: '' });
    assert.deepEqual(await curl(port, '/exit'), { code: 0, stdout: 'bye\n', stderr: '' });
    const r = await within(started.done, WAIT_MS, 'enarx deploy ending after GET /exit');
    assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
    let ended: { state: string; ports?: unknown } = await info();
    assert.ok(await eventually(async () => (ended = await info()).state === 'ended', 5_000), JSON.stringify(ended));
    assert.equal(ended.ports, undefined);
  });
});
