/**
 * A keep its host has released (its outcome is in) but that never ends (the pinned engine can
 * hang in process.exit) must not outlive the host: the host kills it when it exits itself, however
 * many there are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const KEEP_PROCESS = new URL('../../src/host/keep-process.js', import.meta.url).href;

/** Whether `pid` runs: a zombie (killed, not yet reaped by whoever adopted it) does not. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** More keeps than Node.js's default limit of listeners per event (10). */
const KEEPS = 12;

test('released keeps that have not ended are killed when their host exits, with one exit listener for all', () => {
  // Each "keep": a child that would sleep for a minute; its channel: one end of a socket pair.
  const script = `
    import { spawn } from 'node:child_process';
    import { createServer, connect } from 'node:net';
    import { mkdtempSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    const { KeepProcess } = await import(${JSON.stringify(KEEP_PROCESS)});
    const path = join(mkdtempSync(join(tmpdir(), 'enarx-release-')), 'c');
    const server = createServer((s) => s.unref()).listen(path);
    await new Promise((r) => server.once('listening', r));
    server.unref();
    const before = process.listenerCount('exit');
    const pids = [];
    for (let i = 0; i < ${KEEPS}; i++) {
      const stuck = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
      const control = connect(path);
      await new Promise((r) => control.once('connect', r));
      new KeepProcess({ adopt: { pid: stuck.pid, control } }).release();
      stuck.unref();
      pids.push(stuck.pid);
    }
    console.log(JSON.stringify({ pids, listeners: process.listenerCount('exit') - before }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const { pids, listeners } = JSON.parse(r.stdout) as { pids: number[]; listeners: number };
  assert.equal(pids.length, KEEPS, r.stdout);
  assert.equal(listeners, 1);
  for (const pid of pids) assert.equal(running(pid), false, `a stuck keep (pid ${pid}) outlived its host`);
  // No MaxListenersExceededWarning, nor anything else.
  assert.equal(r.stderr, '');
});
