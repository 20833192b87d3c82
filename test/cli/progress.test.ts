/**
 * The progress bar: what a line says, and silence when stderr is no terminal or JSON is asked for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatProgress, progressBar } from '../../src/cli/progress.js';

test('a line names bytes, rate and time left, and fits its width', () => {
  const line = formatProgress('pushing app:v1', 50 * 1024 * 1024, 100 * 1024 * 1024, 5000, 90);
  assert.match(line, /^pushing app:v1 \[#+-+\] 50\.0 MiB \/ 100 MiB {2}10\.0 MiB\/s {2}ETA 5s$/);
  assert.ok(line.length <= 90, `${line.length} columns`);
  assert.match(formatProgress('x', 0, 10, 0), /ETA --$/);
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
});

test('no terminal, or --json: nothing is written', () => {
  const written: string[] = [];
  const first = (): string => written[0] ?? '';
  const stream = { isTTY: false, columns: 80, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const p = progressBar(stream, { json: false });
  p.start('x', 10);
  p.advance(5);
  p.end();
  const tty = { ...stream, isTTY: true } as unknown as NodeJS.WriteStream;
  const q = progressBar(tty, { json: true });
  q.start('x', 10);
  q.end();
  assert.deepEqual(written, []);
  const r = progressBar(tty, { json: false });
  r.start('y', 10);
  r.end();
  assert.ok(written.length >= 2 && written.at(-1) === '\n' && first().startsWith('\ry ['));
});
