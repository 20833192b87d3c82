/**
 * A keep its host has released (its outcome is in) but that never ends (the pinned engine can
 * hang in process.exit) must not outlive the host: the host kills it when it exits itself.
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

test('a released keep that has not ended is killed when its host exits', () => {
  // The "keep": a child that would sleep for a minute; its channel: one end of a socket pair.
  const script = `
    import { spawn } from 'node:child_process';
    import { createServer, connect } from 'node:net';
    import { mkdtempSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    const { KeepProcess } = await import(${JSON.stringify(KEEP_PROCESS)});
    const stuck = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
    const path = join(mkdtempSync(join(tmpdir(), 'enarx-release-')), 'c');
    const server = createServer((s) => s.unref()).listen(path);
    await new Promise((r) => server.once('listening', r));
    const control = connect(path);
    await new Promise((r) => control.once('connect', r));
    const keep = new KeepProcess({ adopt: { pid: stuck.pid, control } });
    keep.release();
    stuck.unref();
    server.unref();
    console.log(stuck.pid);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const pid = Number(r.stdout.trim());
  assert.ok(pid > 0, r.stdout);
  assert.equal(running(pid), false, `the stuck keep (pid ${pid}) outlived its host`);
  assert.ok(r.stderr === '', r.stderr);
});
