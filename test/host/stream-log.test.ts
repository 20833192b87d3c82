import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StreamLog } from '../../src/host/stream-log.js';
import type { KeepStreamEvent } from '../../src/protocol/http.js';

async function all(it: AsyncIterable<KeepStreamEvent>): Promise<KeepStreamEvent[]> {
  const out: KeepStreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const rec = (n: number, size = 10): Uint8Array => new Uint8Array(size).fill(n);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('replays records and events in order, numbered; resumes after a sequence number', async () => {
  const log = new StreamLog(100);
  log.appendEvent({ type: 'state', state: 'running' });
  log.appendRecord(rec(1));
  log.appendRecord(rec(2));
  log.appendEvent({ type: 'state', state: 'ended' });
  log.close();
  const events = await all(log.read());
  assert.deepEqual(
    events.map((e) => [e.type, 'seq' in e ? e.seq : undefined]),
    [['state', 1], ['record', 2], ['record', 3], ['state', 4]],
  );
  assert.deepEqual((await all(log.read(2))).map((e) => e.type), ['record', 'state']);
  // Appending after close is ignored.
  log.appendRecord(rec(9));
  assert.equal((await all(log.read())).length, 4);
  assert.deepEqual(log.written, { records: 2, bytes: 20 });
});

test('with no reader, the oldest records go beyond the budget, and a late reader is told first', async () => {
  const log = new StreamLog(25);
  for (let i = 0; i < 5; i++) log.appendRecord(rec(i));
  log.appendEvent({ type: 'state', state: 'ended' });
  log.close();
  const events = await all(log.read());
  assert.deepEqual(events[0], { type: 'dropped', records: 3, bytes: 30 });
  assert.deepEqual(
    events.slice(1).map((e) => (e.type === 'record' ? e.record[0] : e.type)),
    [3, 4, 'state'],
  );
  assert.deepEqual(log.dropped, { records: 3, bytes: 30 });
});

test('a follower holds back what it has not read: the log is full until it reads', async () => {
  const log = new StreamLog(25);
  const reader = log.read();
  // The follower is registered once it starts reading.
  const first = reader.next();
  await tick();
  for (let i = 0; i < 5; i++) log.appendRecord(rec(i));
  assert.equal(log.full, true, 'over budget, and nothing may be dropped');
  let roomy = false;
  void log.room().then(() => (roomy = true));
  const got: number[] = [];
  const r0 = await first;
  if (!r0.done && r0.value.type === 'record') got.push(r0.value.record[0]!);
  for (let i = 0; i < 4; i++) {
    const r = await reader.next();
    if (!r.done && r.value.type === 'record') got.push(r.value.record[0]!);
  }
  await tick();
  assert.deepEqual(got, [0, 1, 2, 3, 4], 'nothing lost');
  assert.equal(log.full, false);
  assert.equal(roomy, true, 'the producer was released');
  log.close();
  await reader.return(undefined);
});

test('a live reader gets entries as they come and ends when the log closes; an aborted one at once', async () => {
  const log = new StreamLog();
  const reading = all(log.read());
  await tick();
  log.appendRecord(rec(1));
  await tick();
  log.appendEvent({ type: 'state', state: 'ended' });
  log.close();
  assert.deepEqual((await reading).map((e) => e.type), ['record', 'state']);
  const other = new StreamLog();
  const ac = new AbortController();
  const aborted = all(other.read(0, ac.signal));
  await tick();
  ac.abort();
  assert.deepEqual(await aborted, []);
});

test('discardRecords frees the records but keeps lifecycle events', async () => {
  const log = new StreamLog();
  log.appendRecord(rec(1));
  log.appendEvent({ type: 'state', state: 'ended' });
  log.discardRecords();
  const events = await all(log.read());
  assert.deepEqual(events.map((e) => e.type), ['dropped', 'state']);
});

test('property: a reader from the start sees the retained suffix, after a report of exactly what was dropped', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 64 }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 40 }), async (cap, sizes) => {
      const log = new StreamLog(cap);
      sizes.forEach((n, i) => log.appendRecord(new Uint8Array(n).fill(i & 0xff)));
      log.close();
      const events = await all(log.read());
      const records = events.flatMap((e) => (e.type === 'record' ? [e.record] : []));
      const dropped = events.filter((e) => e.type === 'dropped');
      const kept = sizes.length - records.length;
      assert.ok(records.reduce((n, r) => n + r.length, 0) <= cap);
      if (kept > 0) assert.deepEqual(dropped, [{ type: 'dropped', records: kept, bytes: sizes.slice(0, kept).reduce((a, b) => a + b, 0) }]);
      else assert.deepEqual(dropped, []);
      records.forEach((r, i) => assert.equal(r[0], (kept + i) & 0xff));
    }),
  );
});
