/**
 * End to end: a keep's TCP listen socket (fd 3) used by an ordinary Rust program,
 * test/workloads/rust/net_echo_rs.rs (Debian's rustc 1.63, its wasm32-wasi std):
 * `TcpListener::from_raw_fd(3)`, `accept()`, `read`/`write_all` on the `TcpStream`,
 * `shutdown(Shutdown::Write)`. It serves N connections one after the other, then reports them and
 * exits; node:net clients check every echo byte for byte, and the end of stream after it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { enarxToml, freePort, listening, startKeep } from '../support/keep-net.js';
import type { RunningKeep } from '../support/keep-net.js';
import { KIB, T, WAIT_MS, connectTo, echoRoundTrip, stopKeep, tcpEntry, within } from '../support/tcp-clients.js';

/** net_echo_rs.wasm with `args` on a TCP listen socket on 127.0.0.1:`port`, once it listens. */
async function rustEchoKeep(port: number, args: readonly string[]): Promise<RunningKeep> {
  const keep = await startKeep({ module: 'net_echo_rs.wasm', toml: enarxToml(tcpEntry(port)), args, waitPort: port });
  if (keep.child.exitCode !== null || keep.child.signalCode !== null) {
    const r = await keep.exited;
    throw new Error(`the keep exited ${r.code} before listening: ${r.stderr}`);
  }
  return keep;
}

test('net_echo_rs 3: three clients in turn each get their exact echo, then the end of stream; it reports 3 connections and exits 0', T, async () => {
  const port = await freePort();
  const keep = await rustEchoKeep(port, ['3']);
  try {
    // Less than, just over, and several times the keep's 64 KiB rings and the workload's buffer.
    const sizes = [5 * KIB, 64 * KIB + 1, 300 * KIB];
    for (const [i, size] of sizes.entries()) {
      await within(echoRoundTrip(port, randomBytes(size)), WAIT_MS, `client ${i + 1} (${size} bytes)`);
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    const exit = await within(keep.exited, WAIT_MS, 'net_echo_rs exiting after 3 connections');
    assert.deepEqual(exit, { code: 0, stdout: `rust echo: 3 connections, ${total} bytes\n`, stderr: '' });
    assert.equal(listening(port), false, 'nothing listens on the port any more');
    await assert.rejects(connectTo(port), { code: 'ECONNREFUSED' });
  } finally {
    await stopKeep(keep);
  }
});

test('net_echo_rs without an argument serves one connection (an empty one too) and exits 0', T, async () => {
  const port = await freePort();
  const keep = await rustEchoKeep(port, []);
  try {
    await echoRoundTrip(port, Buffer.alloc(0));
    const exit = await within(keep.exited, WAIT_MS, 'net_echo_rs exiting after 1 connection');
    assert.deepEqual(exit, { code: 0, stdout: 'rust echo: 1 connections, 0 bytes\n', stderr: '' });
  } finally {
    await stopKeep(keep);
  }
});
