import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EventLog } from '../../src/host/event-log.js';
import type { KeepStreamEvent } from '../../src/host/event-log.js';

async function all(it: AsyncIterable<KeepStreamEvent>): Promise<KeepStreamEvent[]> {
  const out: KeepStreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const text = (events: readonly KeepStreamEvent[], stream: 'stdout' | 'stderr'): string =>
  Buffer.concat(events.flatMap((e) => (e.type === stream ? [e.data] : []))).toString();

test('replays in order, interleaving streams and events by sequence number', async () => {
  const log = new EventLog(100);
  log.appendEvent({ type: 'state', state: 'running' });
  log.appendOutput('stdout', Buffer.from('a'));
  log.appendOutput('stderr', Buffer.from('b'));
  log.appendOutput('stdout', Buffer.from('c'));
  log.appendEvent({ type: 'exit', code: 3 });
  log.close();
  const events = await all(log.read());
  assert.deepEqual(
    events.map((e) => [e.type, 'seq' in e ? e.seq : undefined]),
    [['state', 1], ['stdout', 2], ['stderr', 3], ['stdout', 4], ['exit', 5]],
  );
  // Resuming after 3 gives what followed.
  assert.deepEqual((await all(log.read(3))).map((e) => e.type), ['stdout', 'exit']);
  // Appending after close is ignored.
  log.appendOutput('stdout', Buffer.from('late'));
  assert.equal(text(await all(log.read()), 'stdout'), 'ac');
});

test('keeps the newest bytes of each stream and tells readers how many they missed', async () => {
  const log = new EventLog(10);
  for (let i = 0; i < 5; i++) log.appendOutput('stdout', Buffer.from(`${i}23456`));
  log.appendOutput('stderr', Buffer.from('err'));
  log.close();
  const events = await all(log.read());
  assert.equal(text(events, 'stdout'), '3456423456'.slice(-10));
  assert.equal(text(events, 'stderr'), 'err', 'one stream does not evict the other');
  assert.deepEqual(events[0], { type: 'dropped', stream: 'stdout', bytes: 20 });
  assert.equal(log.written('stdout'), 30);
});

test('a live reader gets entries as they come and ends when the log closes', async () => {
  const log = new EventLog();
  const reading = all(log.read());
  await new Promise((r) => setImmediate(r));
  log.appendOutput('stdout', Buffer.from('x'));
  await new Promise((r) => setImmediate(r));
  log.appendEvent({ type: 'state', state: 'exited' });
  log.close();
  const events = await reading;
  assert.deepEqual(events.map((e) => e.type), ['stdout', 'state']);
});

test('an aborted reader ends without waiting for the log', async () => {
  const log = new EventLog();
  const ac = new AbortController();
  const reading = all(log.read(0, ac.signal));
  await new Promise((r) => setImmediate(r));
  ac.abort();
  assert.deepEqual(await reading, []);
});

test('discardOutput frees output but keeps lifecycle events', async () => {
  const log = new EventLog();
  log.appendOutput('stdout', Buffer.from('secret'));
  log.appendEvent({ type: 'exit', code: 0 });
  log.discardOutput();
  assert.deepEqual((await all(log.read())).map((e) => e.type), ['exit']);
});

test('property: a reader sees exactly the retained suffix of each stream, with the gap reported', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 64 }),
      fc.array(fc.tuple(fc.constantFrom('stdout' as const, 'stderr' as const), fc.uint8Array({ minLength: 1, maxLength: 40 })), { maxLength: 40 }),
      async (cap, writes) => {
        const log = new EventLog(cap);
        for (const [stream, data] of writes) log.appendOutput(stream, data);
        log.close();
        const events = await all(log.read());
        for (const stream of ['stdout', 'stderr'] as const) {
          const full = Buffer.concat(writes.filter(([s]) => s === stream).map(([, d]) => d));
          const got = Buffer.concat(events.flatMap((e) => (e.type === stream ? [e.data] : [])));
          const kept = full.subarray(Math.max(0, full.length - cap));
          assert.deepEqual(got, kept);
          const dropped = events.filter((e) => e.type === 'dropped' && e.stream === stream);
          if (full.length > cap) assert.deepEqual(dropped, [{ type: 'dropped', stream, bytes: full.length - cap }]);
          else assert.deepEqual(dropped, []);
        }
      },
    ),
  );
});
