/**
 * What a failed bind of a listen socket tells the client, by the system's error code. The
 * end-to-end test of a privileged port (network-errors.test.ts) needs an unprivileged user that
 * can reach the checkout, and skips without one; this holds the mapping itself everywhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindError } from '../../src/keep/network.js';
import type { ListenSpec } from '../../src/protocol/sockets.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`listen ${code}`), { code });

test('a failed bind names the address and a stable code for each cause', () => {
  const v4: ListenSpec = { kind: 'listen', prot: 'tcp', addr: '127.0.0.1', port: 443 };
  const v6: ListenSpec = { kind: 'listen', prot: 'tls', addr: '::1', port: 8443 };
  const cases: [ListenSpec, string, string, RegExp][] = [
    [v4, 'EACCES', 'ERR_PORT_PRIVILEGED', /127\.0\.0\.1:443: ports below 1024/],
    [v6, 'EADDRINUSE', 'ERR_PORT_IN_USE', /\[::1\]:8443: the address is already in use/],
    [v4, 'EADDRNOTAVAIL', 'ERR_ADDRESS_UNAVAILABLE', /no such local address/],
    [v4, 'EMFILE', 'ERR_INTERNAL', /listen EMFILE/],
  ];
  for (const [spec, sys, code, message] of cases) {
    const err = bindError(spec, errno(sys));
    assert.equal(err.code, code, sys);
    assert.match(err.message, message);
  }
});
