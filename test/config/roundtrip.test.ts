import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { ConfigError, parseEnarxToml } from '../../src/config/index.js';

// Strings TOML can carry that the schema accepts: anything without NUL.
const text = fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !s.includes('\0'));
const envName = text.filter((s) => s !== '' && !s.includes('='));

describe('parseEnarxToml round trips', () => {
  it('args and env written by a TOML serialiser come back unchanged', () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 5 }), fc.dictionary(envName, text, { maxKeys: 5 }), (args, env) => {
        const c = parseEnarxToml(stringify({ args, env }));
        assert.deepEqual(c.args, args);
        assert.deepEqual({ ...c.env }, { ...env });
      }),
      { numRuns: 200 },
    );
  });

  it('every port from 1 to 65535 is accepted and nothing outside is', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100000, max: 200000 }), (port) => {
        const toml = `[[files]]\nkind = "connect"\nprot = "tcp"\nhost = "h"\nport = ${port}\n`;
        if (port >= 1 && port <= 65535) {
          const file = parseEnarxToml(toml).files[0];
          assert.ok(file?.kind === 'connect');
          assert.equal(file.port, port);
        } else {
          assert.throws(() => parseEnarxToml(toml), (e: unknown) => e instanceof ConfigError && e.code === 'ERR_CONFIG_VALUE' && e.line === 5);
        }
      }),
      { numRuns: 300 },
    );
  });
});
