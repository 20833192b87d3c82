import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parseSize } from '../src/units.js';

test('parseSize understands binary and decimal units', () => {
  assert.equal(parseSize('64MiB'), 64 * 1024 * 1024);
  assert.equal(parseSize('64m'), 64 * 1024 * 1024);
  assert.equal(parseSize('1GB'), 1e9);
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('1.5KiB'), 1536);
  for (const bad of ['', 'MiB', '-1', '12 parsecs', '1e9', '0x10']) assert.equal(parseSize(bad), undefined, bad);
});

test('parseDuration understands ms, s, m, h and bare seconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('1.5m'), 90_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('3'), 3000);
  for (const bad of ['', 's', '-1s', '1 fortnight', '1e3ms']) assert.equal(parseDuration(bad), undefined, bad);
});
