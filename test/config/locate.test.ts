import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { formatKeyPath, type KeyPathSegment } from '../../src/config/keypath.js';
import { keyLines, lineOf } from '../../src/config/locate.js';

const lines = (...l: string[]): string => l.join('\n') + '\n';

describe('formatKeyPath', () => {
  it('spells paths as TOML would, with indices in brackets', () => {
    assert.equal(formatKeyPath(['files', 2, 'port']), 'files[2].port');
    assert.equal(formatKeyPath(['env', 'MY VAR']), 'env."MY VAR"');
    assert.equal(formatKeyPath(['env', '']), 'env.""');
    assert.equal(formatKeyPath([]), '');
  });
});

describe('keyLines', () => {
  it('finds top-level keys, tables and array-of-tables entries', () => {
    const m = keyLines(lines(
      '# comment',
      'steward = "https://x"', // 2
      'args = ["a"]', // 3
      '',
      '[env]', // 5
      'A = "1"', // 6
      '', '[[files]]', // 8
      'kind = "stdin"', // 9
      '[[files]]', // 10
      '  # indented comment',
      '  kind = "listen"', // 12
      '  port = 443 # trailing', // 13
    ));
    assert.equal(m.get('steward'), 2);
    assert.equal(m.get('args'), 3);
    assert.equal(m.get('args[0]'), 3);
    assert.equal(m.get('env'), 5);
    assert.equal(m.get('env.A'), 6);
    assert.equal(m.get('files'), 8);
    assert.equal(m.get('files[0]'), 8);
    assert.equal(m.get('files[0].kind'), 9);
    assert.equal(m.get('files[1]'), 10);
    assert.equal(m.get('files[1].kind'), 12);
    assert.equal(m.get('files[1].port'), 13);
  });

  it('skips multi-line strings and arrays that look like keys or headers', () => {
    const m = keyLines(lines(
      'a = """', // 1
      '[[files]]',
      'port = 1 """',
      "b = '''",
      'c = 2',
      "''''", // 6: closing delimiter with one extra quote
      'args = [', // 7
      '  "x", # [env]',
      '  "y",', // 9
      ']',
      'd = "say \\"[env]\\" = 1"', // 11
      'e = 3', // 12
    ));
    assert.equal(m.get('a'), 1);
    assert.equal(m.get('b'), 4);
    assert.equal(m.has('c'), false);
    assert.equal(m.has('files'), false);
    assert.equal(m.has('port'), false);
    assert.equal(m.get('args[1]'), 9);
    assert.equal(m.has('env'), false);
    assert.equal(m.get('d'), 11);
    assert.equal(m.get('e'), 12);
  });

  it('ends a multi-line string at the last of up to five quotes', () => {
    const m = keyLines(lines("a = ['''x'''',", "  \"\"\"y\"\"\"\"\", 'z']", 'b = 1'));
    assert.equal(m.get('a[1]'), 2);
    assert.equal(m.get('a[2]'), 2);
    assert.equal(m.has('a[3]'), false);
    assert.equal(m.get('b'), 3);
  });

  it('handles quoted and dotted keys, spaced headers and CRLF', () => {
    const m = keyLines(['[ env ]', '"MY VAR" = "1"', "'lit.key' = '2'", '"\\u0041B" = "3"', 'x.y = 4', '[[ files ]]', 'kind="null"'].join('\r\n'));
    assert.equal(m.get('env."MY VAR"'), 2);
    assert.equal(m.get('env."lit.key"'), 3);
    assert.equal(m.get('env.AB'), 4);
    assert.equal(m.get('env.x'), 5);
    assert.equal(m.get('env.x.y'), 5);
    assert.equal(m.get('files[0].kind'), 7);
  });

  it('indexes inline arrays of inline tables', () => {
    const m = keyLines(lines(
      'files = [',
      '  { kind = "stdin" },', // 2
      '  { kind = "listen",', // 3
      '    port = 1 },', // 4
      ']',
    ));
    assert.equal(m.get('files'), 1);
    assert.equal(m.get('files[0].kind'), 2);
    assert.equal(m.get('files[1]'), 3);
    assert.equal(m.get('files[1].port'), 4);
  });

  it('puts a sub-table of an array of tables under its latest element', () => {
    const m = keyLines(lines('[[a]]', 'x = 1', '[[a]]', '[a.b]', 'y = 2'));
    assert.equal(m.get('a[1].b'), 4);
    assert.equal(m.get('a[1].b.y'), 5);
  });
});

describe('lineOf', () => {
  it('falls back to the nearest enclosing key', () => {
    const m = keyLines(lines('[[files]]', 'kind = "connect"'));
    assert.equal(lineOf(m, ['files', 0, 'host']), 1);
    assert.equal(lineOf(m, ['files', 0, 'kind']), 2);
    assert.equal(lineOf(m, ['steward']), undefined);
    assert.equal(lineOf(m, []), undefined);
  });
});

describe('keyLines on serialised documents', () => {
  it('finds every key and array element, at or after its parent', () => {
    // TOML's own punctuation is what could throw the scanner off; the rest is any code point.
    const punctuation = fc.constantFrom(...'a_-."\'[]{}#=,\\ \t\n\r'.split(''));
    const str = (maxLength: number) =>
      fc
        .oneof(fc.string({ unit: punctuation, maxLength }), fc.string({ unit: 'binary', maxLength }))
        .filter((s) => !s.includes('\0'));
    const key = str(8).filter((k) => k !== '__proto__');
    const scalar = fc.oneof(str(12), fc.integer(), fc.boolean());
    const tree = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small', maxDepth: 3 }, scalar, fc.array(scalar, { maxLength: 3 }), tie('table'), fc.array(tie('table'), { minLength: 1, maxLength: 2 })),
      table: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    }));
    fc.assert(
      fc.property(tree.table, (doc) => {
        const text = stringify(doc);
        const found = keyLines(text);
        const walk = (v: unknown, path: KeyPathSegment[], parentLine: number): void => {
          if (path.length > 0) {
            const line = found.get(formatKeyPath(path));
            assert.ok(line !== undefined && line >= parentLine, `${formatKeyPath(path)} in\n${text}`);
            parentLine = line;
          }
          if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i], parentLine));
          else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k], parentLine);
        };
        walk(doc, [], 1);
      }),
      { numRuns: 300 },
    );
  });
});
