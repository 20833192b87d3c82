import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, fdEnvironment, parseEnarxToml, type EnarxConfig } from '../../src/config/index.js';

describe('fdEnvironment', () => {
  it('lists the default stdio descriptors', () => {
    assert.deepEqual(fdEnvironment(defaultConfig()), { FD_COUNT: '3', FD_NAMES: 'stdin:stdout:stderr' });
  });

  it('follows [[files]] order, as Enarx does', () => {
    // The example of Enarx's enarx-config tests, with its expected names.
    const c = parseEnarxToml(`
      [[files]]
      kind = "stdin"
      [[files]]
      name = "X"
      kind = "listen"
      prot = "tcp"
      port = 9000
      [[files]]
      kind = "stdout"
      [[files]]
      kind = "null"
      [[files]]
      kind = "stderr"
      [[files]]
      kind = "connect"
      host = "example.com"
      prot = "tls"
    `);
    assert.deepEqual(fdEnvironment(c), { FD_COUNT: '6', FD_NAMES: 'stdin:X:stdout:null:stderr:example.com' });
  });

  it('is empty for `files = []`', () => {
    assert.deepEqual(fdEnvironment(parseEnarxToml('files = []')), { FD_COUNT: '0', FD_NAMES: '' });
  });

  it('rejects a hand-built name with a colon', () => {
    const bad: EnarxConfig = { args: [], env: {}, files: [{ kind: 'null', name: 'a:b' }] };
    assert.throws(() => fdEnvironment(bad), TypeError);
  });
});
