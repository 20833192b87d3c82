import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { bootId, isSameProcessAlive, killIfSameProcess, parseProcStat, processIdentity } from '../../src/host/proc.js';
import { eventually, processRuns } from './support.js';

test('parseProcStat reads field 22 after the last parenthesis, whatever the command name', () => {
  const fields = (comm: string) => `1234 (${comm}) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615`;
  assert.deepEqual(parseProcStat(fields('node')), { state: 'S', ppid: 1, startTime: '987654' });
  assert.deepEqual(parseProcStat(fields('a) b (c) Z 9 9')), { state: 'S', ppid: 1, startTime: '987654' });
  assert.equal(parseProcStat('garbage'), undefined);
  assert.equal(parseProcStat('1 (x) S 1 2'), undefined);
  assert.equal(parseProcStat(`1 (x) S -1 ${'0 '.repeat(17)}5`), undefined, 'a ppid that is not a number');
});

test('this process has an identity; a wrong start time or boot id is another process', () => {
  const me = processIdentity(process.pid);
  assert.ok(me);
  assert.equal(me.bootId, bootId());
  assert.ok(isSameProcessAlive(me));
  assert.equal(isSameProcessAlive({ ...me, startTime: String(BigInt(me.startTime) + 1n) }), false);
  assert.equal(isSameProcessAlive({ ...me, bootId: 'another-boot' }), false);
  assert.equal(isSameProcessAlive({ ...me, bootId: '' }), false);
  assert.equal(processIdentity(0), undefined);
  assert.equal(processIdentity(2 ** 31), undefined);
});

test('killIfSameProcess kills only the process it recorded', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const id = processIdentity(child.pid!);
  assert.ok(id);
  // A recorded start time that does not match: a reused pid, left alone.
  assert.equal(killIfSameProcess({ ...id, startTime: '1' }), false);
  assert.ok(processRuns(child.pid!));
  assert.equal(killIfSameProcess(id), true);
  await exited;
  assert.ok(await eventually(() => !processRuns(child.pid!)));
  assert.equal(killIfSameProcess(id), false);
});
