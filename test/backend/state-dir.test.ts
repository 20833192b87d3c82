import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeStateDir } from '../../src/backend/state-dir.js';
import { cleanupTempDirs, tempDir } from './support/sim-state.js';

after(cleanupTempDirs);

/** Linux's /proc, where mkdir answers ENOENT (root) or EACCES under an existing parent. */
const NO_PROC = existsSync('/proc/self') ? false : 'no /proc here';

test('makeStateDir creates the missing folders (0700) and accepts an existing one', async () => {
  const base = tempDir();
  const dir = join(base, 'a', 'b', 'state');
  await makeStateDir(dir);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(base, 'a')).mode & 0o777, 0o700);
  await makeStateDir(dir);
  await makeStateDir(base);
});

test('makeStateDir below a regular file: ENOTDIR naming the file, nothing created', async () => {
  const base = tempDir();
  writeFileSync(join(base, 'file'), '');
  await assert.rejects(makeStateDir(join(base, 'file', 'x', 'state')), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'ENOTDIR');
    assert.equal(err.path, join(base, 'file'));
    assert.match(err.message, /file is not a directory/);
    return true;
  });
  await assert.rejects(makeStateDir(join(base, 'file')), { code: 'ENOTDIR' });
});

test('makeStateDir where mkdir fails under an existing parent (/proc) fails instead of looping', { skip: NO_PROC, timeout: 10_000 }, async () => {
  await assert.rejects(makeStateDir('/proc/nonexistent/state'), (err: NodeJS.ErrnoException) => {
    assert.ok(err.code === 'ENOENT' || err.code === 'EACCES', String(err.code));
    assert.equal(err.path, '/proc/nonexistent');
    return true;
  });
  assert.equal(existsSync('/proc/nonexistent'), false);
});
