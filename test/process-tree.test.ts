/**
 * The test support that says where a stuck process tree waited (test/support/process-tree.ts):
 * a Node.js child that only waits on a timer, with a grandchild asleep, is asked for its report.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { processTree, reportArgs, threadStates, whereStuck } from './support/process-tree.js';

test('whereStuck names the idle JavaScript stack, the live timer and every thread of the tree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'enarx-stuck-'));
  const code = "require('node:child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); setInterval(() => {}, 1000); console.log('up');";
  const child = spawn(process.execPath, [...reportArgs(dir), '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const tree = processTree(child.pid!);
    assert.equal(tree.length, 2, 'the child and its sleeping grandchild');
    assert.match(threadStates(child.pid!), new RegExp(`${tree[1]}/${tree[1]} sleep S `));
    const where = await whereStuck(child.pid!, dir);
    assert.match(where, /JS stack: \(idle\)/);
    assert.match(where, /active handles: .*timer/);
    assert.match(where, new RegExp(`threads: ${child.pid}/${child.pid} node `));
  } finally {
    for (const p of processTree(child.pid!).reverse()) process.kill(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
