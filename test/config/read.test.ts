import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, MAX_CONFIG_BYTES, parseEnarxTomlBytes, readEnarxToml } from '../../src/config/index.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('parseEnarxTomlBytes', () => {
  it('decodes UTF-8 and strips a byte-order mark', () => {
    assert.deepEqual(parseEnarxTomlBytes(utf8('\ufeffargs = ["é"]')).args, ['é']);
  });

  it('rejects invalid UTF-8 as a syntax error', () => {
    assert.throws(() => parseEnarxTomlBytes(new Uint8Array([0x61, 0x20, 0x3d, 0x20, 0x22, 0xff, 0x22])), (err: unknown) => err instanceof ConfigError && err.code === 'ERR_CONFIG_SYNTAX');
  });

  it('rejects more than MAX_CONFIG_BYTES before decoding', () => {
    assert.throws(() => parseEnarxTomlBytes(new Uint8Array(MAX_CONFIG_BYTES + 1)), (err: unknown) => err instanceof ConfigError && err.code === 'ERR_CONFIG_TOO_LARGE');
  });
});

describe('readEnarxToml', () => {
  it('reads a file and names it in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'enarx-config-'));
    try {
      const good = join(dir, 'good.toml');
      await writeFile(good, 'args = ["x"]\n');
      assert.deepEqual((await readEnarxToml(good)).args, ['x']);

      const bad = join(dir, 'bad.toml');
      await writeFile(bad, '\nargs = 1\n');
      await assert.rejects(readEnarxToml(bad), (err: unknown) => err instanceof ConfigError && err.code === 'ERR_CONFIG_VALUE' && err.message.startsWith(`${bad}:2: args: `));

      const big = join(dir, 'big.toml');
      await writeFile(big, '#'.repeat(MAX_CONFIG_BYTES + 10));
      await assert.rejects(readEnarxToml(big), (err: unknown) => err instanceof ConfigError && err.code === 'ERR_CONFIG_TOO_LARGE');

      await assert.rejects(readEnarxToml(join(dir, 'absent.toml')), (err: unknown) => (err as { code?: unknown }).code === 'ENOENT');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
