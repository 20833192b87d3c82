import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  defaultConfig,
  MAX_CONFIG_BYTES,
  parseEnarxToml,
  type ConfigErrorCode,
} from '../../src/config/index.js';

/** Asserts that `text` is rejected with `code`, at `key` and `line`; returns the error. */
function rejects(text: string, code: ConfigErrorCode, key?: string, line?: number): ConfigError {
  try {
    parseEnarxToml(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.key, key, err.message);
    assert.equal(err.line, line, err.message);
    return err;
  }
  assert.fail(`accepted:\n${text}`);
}

const lines = (...l: string[]): string => l.join('\n') + '\n';

describe('parseEnarxToml: defaults', () => {
  it('an empty file is the default config', () => {
    assert.deepEqual(parseEnarxToml(''), defaultConfig());
    assert.deepEqual(defaultConfig(), {
      args: [],
      env: {},
      files: [
        { kind: 'stdin', name: 'stdin' },
        { kind: 'stdout', name: 'stdout' },
        { kind: 'stderr', name: 'stderr' },
      ],
    });
  });

  it('a file without `files` still gets stdio; `files = []` gets nothing', () => {
    assert.equal(parseEnarxToml('args = ["x"]').files.length, 3);
    assert.deepEqual(parseEnarxToml('files = []').files, []);
  });

  it('reads steward, args and env', () => {
    const c = parseEnarxToml(lines('steward = "https://steward.example.com:8443/x"', 'args = ["--a", "b c", ""]', '[env]', 'A = "1"', '"MY VAR" = ""'));
    assert.equal(c.steward, 'https://steward.example.com:8443/x');
    assert.deepEqual(c.args, ['--a', 'b c', '']);
    assert.deepEqual(c.env, { A: '1', 'MY VAR': '' });
  });

  it('accepts an http steward and normalises the URL', () => {
    assert.equal(parseEnarxToml('steward = "http://LOCALHOST:3000"').steward, 'http://localhost:3000/');
  });

  it('reads dns_names (ours), once each, and refuses what is no DNS name with its line', () => {
    const c = parseEnarxToml('dns_names = ["api.example.com", "api.example.com", "x-1.test"]');
    assert.deepEqual(c.dnsNames, ['api.example.com', 'x-1.test']);
    assert.ok(Object.isFrozen(c.dnsNames));
    assert.equal(parseEnarxToml('args = []').dnsNames, undefined);
    assert.throws(() => parseEnarxToml(lines('args = []', 'dns_names = ["API.example.com"]')), /Enarx\.toml:2: dns_names\[0\]|dns_names/);
    assert.throws(() => parseEnarxToml('dns_names = ["*.example.com"]'), /dns_names/);
    assert.throws(() => parseEnarxToml('dns_names = "api.example.com"'), /dns_names/);
  });

  it('reads steward_trust_anchors (ours) as paths, and refuses an empty list', () => {
    assert.deepEqual(parseEnarxToml('steward = "https://s.example"\nsteward_trust_anchors = ["ca.pem"]').stewardTrustAnchors, ['ca.pem']);
    assert.throws(() => parseEnarxToml('steward_trust_anchors = []'), /steward_trust_anchors/);
  });

  it('keeps env keys that are Object.prototype names as own data', () => {
    const c = parseEnarxToml(lines('[env]', '__proto__ = "p"', 'constructor = "c"'));
    assert.deepEqual(Object.entries(c.env), [['__proto__', 'p'], ['constructor', 'c']]);
    assert.equal(Object.getPrototypeOf(c.env), Object.prototype);
  });

  it('returns frozen objects', () => {
    const c = parseEnarxToml(lines('args = ["a"]', '[[files]]', 'kind = "null"'));
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.args) && Object.isFrozen(c.env) && Object.isFrozen(c.files));
    assert.ok(Object.isFrozen(c.files[0]));
    assert.ok(Object.isFrozen(defaultConfig().files[0]));
  });
});

describe('parseEnarxToml: file kinds', () => {
  it('null and stdio kinds default their name to the kind', () => {
    const c = parseEnarxToml(lines('[[files]]', 'kind = "null"', '[[files]]', 'kind = "stdin"', '[[files]]', 'kind = "stdout"', '[[files]]', 'kind = "stderr"', 'name = "err"'));
    assert.deepEqual(c.files, [
      { kind: 'null', name: 'null' },
      { kind: 'stdin', name: 'stdin' },
      { kind: 'stdout', name: 'stdout' },
      { kind: 'stderr', name: 'err' },
    ]);
  });

  it('listen: addr defaults to "::", port to 443 for tls and 80 for tcp', () => {
    const c = parseEnarxToml(lines(
      '[[files]]', 'kind = "listen"', 'name = "a"', 'prot = "tls"',
      '[[files]]', 'kind = "listen"', 'name = "b"', 'prot = "tcp"',
      '[[files]]', 'kind = "listen"', 'name = "c"', 'prot = "tcp"', 'addr = "127.0.0.1"', 'port = 9000',
    ));
    assert.deepEqual(c.files, [
      { kind: 'listen', name: 'a', prot: 'tls', addr: '::', port: 443, tls: { clientAuth: 'none', trustAnchors: [], alpn: [] } },
      { kind: 'listen', name: 'b', prot: 'tcp', addr: '::', port: 80 },
      { kind: 'listen', name: 'c', prot: 'tcp', addr: '127.0.0.1', port: 9000 },
    ]);
  });

  it('connect: name defaults to host, port to the protocol default', () => {
    const c = parseEnarxToml(lines(
      '[[files]]', 'kind = "connect"', 'prot = "tls"', 'host = "example.com"',
      '[[files]]', 'kind = "connect"', 'prot = "tcp"', 'host = "10.0.0.1"', 'port = 65535',
      '[[files]]', 'kind = "connect"', 'prot = "tcp"', 'host = "::1"', 'name = "v6"',
    ));
    assert.deepEqual(c.files, [
      { kind: 'connect', name: 'example.com', prot: 'tls', host: 'example.com', port: 443, tls: { clientCert: false, alpn: [] } },
      { kind: 'connect', name: '10.0.0.1', prot: 'tcp', host: '10.0.0.1', port: 65535 },
      { kind: 'connect', name: 'v6', prot: 'tcp', host: '::1', port: 80 },
    ]);
  });

  it('listen and connect over tls take client_auth, trust_anchors, client_cert and alpn', () => {
    const c = parseEnarxToml(lines(
      '[[files]]', 'kind = "listen"', 'name = "a"', 'prot = "tls"', 'client_auth = "required"', 'trust_anchors = ["ca.pem"]', 'alpn = ["h2", "http/1.1"]',
      '[[files]]', 'kind = "connect"', 'prot = "tls"', 'host = "db"', 'trust_anchors = ["db-ca.pem"]', 'client_cert = true',
    ));
    assert.deepEqual(c.files, [
      { kind: 'listen', name: 'a', prot: 'tls', addr: '::', port: 443, tls: { clientAuth: 'required', trustAnchors: ['ca.pem'], alpn: ['h2', 'http/1.1'] } },
      { kind: 'connect', name: 'db', prot: 'tls', host: 'db', port: 443, tls: { trustAnchors: ['db-ca.pem'], clientCert: true, alpn: [] } },
    ]);
  });

  it('refuses TLS options on tcp entries, and client authentication without trust anchors', () => {
    rejects(lines('[[files]]', 'kind = "listen"', 'name = "a"', 'prot = "tcp"', 'alpn = ["h2"]'), 'ERR_CONFIG_VALUE', 'files[0].alpn', 5);
    rejects(lines('[[files]]', 'kind = "connect"', 'prot = "tcp"', 'host = "h"', 'client_cert = true'), 'ERR_CONFIG_VALUE', 'files[0].client_cert', 5);
    rejects(lines('[[files]]', 'kind = "listen"', 'name = "a"', 'prot = "tls"', 'client_auth = "optional"'), 'ERR_CONFIG_MISSING', 'files[0].trust_anchors', 1);
    rejects(lines('[[files]]', 'kind = "listen"', 'name = "a"', 'prot = "tls"', 'client_auth = "sometimes"'), 'ERR_CONFIG_VALUE', 'files[0].client_auth', 5);
    rejects(lines('[[files]]', 'kind = "listen"', 'name = "a"', 'prot = "tls"', 'alpn = [""]'), 'ERR_CONFIG_VALUE', 'files[0].alpn[0]', 5);
    rejects(lines('[[files]]', 'kind = "connect"', 'prot = "tls"', 'host = "h"', 'trust_anchors = []'), 'ERR_CONFIG_VALUE', 'files[0].trust_anchors', 5);
  });

  it('accepts inline tables', () => {
    const c = parseEnarxToml('files = [{ kind = "stdin" }, { kind = "listen", name = "l", prot = "tcp", port = 1 }]');
    assert.deepEqual(c.files[1], { kind: 'listen', name: 'l', prot: 'tcp', addr: '::', port: 1 });
  });
});

describe('parseEnarxToml: errors', () => {
  it('syntax errors carry the line', () => {
    const err = rejects(lines('args = []', '', '[[files]]', 'kind = '), 'ERR_CONFIG_SYNTAX', undefined, 4);
    assert.match(err.message, /^Enarx\.toml:4: invalid TOML: /);
    rejects(lines('a = 1', 'a = 2'), 'ERR_CONFIG_SYNTAX', undefined, 2);
  });

  it('uses the source name in messages', () => {
    try {
      parseEnarxToml(lines('[[files]]', 'kind = "listen"', 'name = "x"', 'prot = "tls"', 'port = 0'), 'pkg/Enarx.toml');
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.source, 'pkg/Enarx.toml');
      assert.equal(err.message, 'pkg/Enarx.toml:5: files[0].port: expected an integer from 1 to 65535, got the integer 0');
    }
  });

  it('unknown keys at top level, in [env]-like tables and in [[files]]', () => {
    rejects(lines('args = []', 'stewart = "https://x"'), 'ERR_CONFIG_KEY', 'stewart', 2);
    rejects(lines('[network]', 'x = 1'), 'ERR_CONFIG_KEY', 'network', 1);
    const err = rejects(lines('[[files]]', 'kind = "stdin"', '[[files]]', 'kind = "listen"', 'name = "l"', 'prot = "tls"', 'host = "x"'), 'ERR_CONFIG_KEY', 'files[1].host', 7);
    assert.match(err.detail, /"listen" entry.*kind, name, prot, addr, port/);
    rejects(lines('[[files]]', 'kind = "null"', 'port = 1'), 'ERR_CONFIG_KEY', 'files[0].port', 3);
  });

  it('reports the earliest error in the file first', () => {
    rejects(lines('zzz = 1', '[[files]]', 'kind = "bogus"'), 'ERR_CONFIG_KEY', 'zzz', 1);
    rejects(lines('args = [1]', 'zzz = 1'), 'ERR_CONFIG_VALUE', 'args[0]', 1);
  });

  it('wrong types', () => {
    rejects('steward = 1', 'ERR_CONFIG_VALUE', 'steward', 1);
    rejects('args = "x"', 'ERR_CONFIG_VALUE', 'args', 1);
    rejects(lines('args = [', '  "a",', '  2,', ']'), 'ERR_CONFIG_VALUE', 'args[1]', 3);
    rejects('env = ["A=1"]', 'ERR_CONFIG_VALUE', 'env', 1);
    rejects(lines('[env]', 'A = "1"', 'B = 2'), 'ERR_CONFIG_VALUE', 'env.B', 3);
    rejects(lines('[env]', 'A = 1979-05-27'), 'ERR_CONFIG_VALUE', 'env.A', 2);
    rejects(lines('[files]', 'kind = "null"'), 'ERR_CONFIG_VALUE', 'files', 1);
    rejects('files = [1]', 'ERR_CONFIG_VALUE', 'files[0]', 1);
    rejects(lines('[[files]]', 'kind = "null"', 'name = 5'), 'ERR_CONFIG_VALUE', 'files[0].name', 3);
    rejects(lines('[[files]]', 'kind = 1'), 'ERR_CONFIG_VALUE', 'files[0].kind', 2);
  });

  it('NUL and bad env names', () => {
    rejects(lines('[env]', '"A=B" = "1"'), 'ERR_CONFIG_VALUE', 'env."A=B"', 2);
    rejects(lines('[env]', '"" = "1"'), 'ERR_CONFIG_VALUE', 'env.""', 2);
    rejects(lines('[env]', 'A = "x\\u0000"'), 'ERR_CONFIG_VALUE', 'env.A', 2);
    rejects('args = ["a\\u0000b"]', 'ERR_CONFIG_VALUE', 'args[0]', 1);
  });

  it('bad kinds', () => {
    const err = rejects(lines('[[files]]', 'kind = "stdin"', '', '[[files]]', 'kind = "file"'), 'ERR_CONFIG_VALUE', 'files[1].kind', 5);
    assert.match(err.detail, /got "file"/);
    rejects(lines('[[files]]', 'name = "x"'), 'ERR_CONFIG_MISSING', 'files[0].kind', 1);
  });

  it('bad ports', () => {
    const entry = (port: string): string => lines('[[files]]', 'kind = "connect"', 'prot = "tcp"', 'host = "h"', `port = ${port}`);
    for (const port of ['0', '65536', '-1', '99999999999999999999999', '"80"', '80.0', 'true']) {
      const err = rejects(entry(port), 'ERR_CONFIG_VALUE', 'files[0].port', 5);
      assert.match(err.detail, /^expected an integer from 1 to 65535, got /);
    }
  });

  it('bad prot and missing prot', () => {
    rejects(lines('[[files]]', 'kind = "listen"', 'name = "l"', 'prot = "udp"'), 'ERR_CONFIG_VALUE', 'files[0].prot', 4);
    rejects(lines('[[files]]', 'kind = "listen"', 'name = "l"'), 'ERR_CONFIG_MISSING', 'files[0].prot', 1);
    rejects(lines('[[files]]', 'kind = "connect"', 'host = "h"'), 'ERR_CONFIG_MISSING', 'files[0].prot', 1);
  });

  it('missing host, missing listen name', () => {
    const err = rejects(lines('[[files]]', 'kind = "stdin"', '[[files]]', 'kind = "connect"', 'prot = "tls"', 'port = 1'), 'ERR_CONFIG_MISSING', 'files[1].host', 3);
    assert.match(err.detail, /"connect" entry/);
    rejects(lines('[[files]]', 'kind = "listen"', 'prot = "tls"'), 'ERR_CONFIG_MISSING', 'files[0].name', 1);
  });

  it('bad hosts and addresses', () => {
    for (const host of ['""', '"a b"', '"[::1]"', '"http://x"', '"x/y"', '"a..b"']) {
      rejects(lines('[[files]]', 'kind = "connect"', 'prot = "tls"', `host = ${host}`), 'ERR_CONFIG_VALUE', 'files[0].host', 4);
    }
    rejects(lines('[[files]]', 'kind = "listen"', 'name = "l"', 'prot = "tls"', 'addr = "0.0.0.0:80"'), 'ERR_CONFIG_VALUE', 'files[0].addr', 5);
  });

  it('bad names', () => {
    for (const name of ['"a:b"', '""', '"a\\u0000"']) {
      rejects(lines('[[files]]', 'kind = "null"', `name = ${name}`), 'ERR_CONFIG_VALUE', 'files[0].name', 3);
    }
    // An unnamed connect entry takes its host as name; an IPv6 host would break FD_NAMES.
    rejects(lines('[[files]]', 'kind = "connect"', 'prot = "tls"', 'host = "::1"'), 'ERR_CONFIG_MISSING', 'files[0].name', 1);
  });

  it('duplicate names, explicit or implied', () => {
    rejects(lines('[[files]]', 'kind = "stdin"', '[[files]]', 'kind = "null"', 'name = "stdin"'), 'ERR_CONFIG_DUPLICATE', 'files[1].name', 5);
    const err = rejects(lines('[[files]]', 'kind = "null"', '[[files]]', 'kind = "null"'), 'ERR_CONFIG_DUPLICATE', 'files[1].name', 3);
    assert.match(err.detail, /files\[0\]/);
    rejects(lines('files = [', '  { kind = "connect", prot = "tls", host = "h" },', '  { kind = "connect", prot = "tcp", host = "h", port = 80 },', ']'), 'ERR_CONFIG_DUPLICATE', 'files[1].name', 3);
  });

  it('bad steward URLs', () => {
    for (const url of ['"steward.example.com"', '"ftp://x"', '"file:///etc/passwd"', '""', '"https://"']) {
      rejects(`steward = ${url}`, 'ERR_CONFIG_VALUE', 'steward', 1);
    }
  });

  it('refuses text over MAX_CONFIG_BYTES', () => {
    const big = '# ' + 'x'.repeat(MAX_CONFIG_BYTES);
    rejects(big, 'ERR_CONFIG_TOO_LARGE');
    // Measured in UTF-8 bytes, not UTF-16 units.
    rejects('# ' + 'é'.repeat(MAX_CONFIG_BYTES / 2), 'ERR_CONFIG_TOO_LARGE');
    assert.doesNotThrow(() => parseEnarxToml('#' + 'x'.repeat(MAX_CONFIG_BYTES - 2) + '\n'));
  });

  it('refuses deep nesting as a syntax error', () => {
    rejects('args = ' + '['.repeat(100) + ']'.repeat(100), 'ERR_CONFIG_SYNTAX', undefined, 1);
  });

  it('throws TypeError for a non-string', () => {
    assert.throws(() => parseEnarxToml(42 as unknown as string), TypeError);
  });
});
