/** The transfer pool and progress aggregation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProgressTracker, transferAll } from '../../src/registry/transfer.js';

test('transferAll runs at most `concurrency` at once and keeps the order of results', async () => {
  let running = 0;
  let most = 0;
  const out = await transferAll([5, 1, 4, 2, 3, 0, 6], async (ms, i) => {
    most = Math.max(most, ++running);
    await sleep(ms);
    running--;
    return i * 10;
  }, 3);
  assert.deepEqual(out, [0, 10, 20, 30, 40, 50, 60]);
  assert.equal(most, 3);
  assert.deepEqual(await transferAll([], async () => 1), []);
  await assert.rejects(transferAll([1], async () => 1, 0), TypeError);
});

test('transferAll starts nothing after a failure and throws the first one', async () => {
  const started: number[] = [];
  await assert.rejects(transferAll([0, 1, 2, 3, 4, 5], async (x) => {
    started.push(x);
    await sleep(1);
    if (x === 1) throw new Error('one');
    if (x === 2) throw new Error('two');
  }, 2), /one/);
  assert.deepEqual(started, [0, 1, 2]);
});

test('ProgressTracker sums per-blob progress, including a transfer that starts over', () => {
  const seen: number[] = [];
  const p = new ProgressTracker(300, { now: () => 42, onChange: (s) => seen.push(s.doneBytes) });
  const a = p.item('a');
  const b = p.item('b');
  a(50);
  b(100);
  a(100);
  b(0);
  b(200);
  assert.deepEqual(seen, [50, 150, 200, 100, 300]);
  assert.deepEqual(p.snapshot(), { totalBytes: 300, doneBytes: 300, startedAt: 42 });
});
