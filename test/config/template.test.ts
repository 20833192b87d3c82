import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_TEMPLATE, defaultConfig, FILE_KINDS, parseEnarxToml } from '../../src/config/index.js';

/** The template with every `# ` example line enabled (`## ` lines are prose and stay). */
function uncommented(): string {
  return CONFIG_TEMPLATE.split('\n')
    .map((l) => (l.startsWith('# ') ? l.slice(2) : l))
    .join('\n');
}

describe('CONFIG_TEMPLATE', () => {
  it('parses as written, giving the default config', () => {
    assert.deepEqual(parseEnarxToml(CONFIG_TEMPLATE), defaultConfig());
  });

  it('parses with every example enabled, covering every key', () => {
    const c = parseEnarxToml(uncommented());
    assert.ok(c.steward !== undefined);
    assert.ok(c.args.length > 0);
    assert.ok(Object.keys(c.env).length > 0);
    const kinds = new Set(c.files.map((f) => f.kind));
    for (const kind of FILE_KINDS) if (kind !== 'null') assert.ok(kinds.has(kind), `template has no ${kind} example`);
  });

  it('mentions every kind and the FD variables', () => {
    for (const kind of FILE_KINDS) assert.ok(CONFIG_TEMPLATE.includes(`"${kind}"`), kind);
    assert.match(CONFIG_TEMPLATE, /FD_COUNT/);
    assert.match(CONFIG_TEMPLATE, /FD_NAMES/);
  });
});
