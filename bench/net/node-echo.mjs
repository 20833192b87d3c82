// The peer of the keep's echo figures: a plain Node.js echo server (TCP, or TLS with the keep's own
// TLS parameters and the same kind of self-signed P-256 certificate), one thread, `socket.pipe(socket)`.
// Run on the keep's engine after a build: node bench/net/node-echo.mjs tcp|tls PORT
// Prints "ready" when it listens; runs until killed.
import { createServer as tcpServer } from 'node:net';
import { createServer as tlsServer } from 'node:tls';

const [mode, port] = process.argv.slice(2);
const dist = new URL('../../dist/src/', import.meta.url);
const echo = (s) => {
  s.on('error', () => {});
  s.pipe(s);
};
let server;
if (mode === 'tls') {
  const { tlsOptions } = await import(new URL('crypto/tls-params.js', dist).href);
  const { createSelfSignedIdentity } = await import(new URL('keep/tls-identity.js', dist).href);
  const id = await createSelfSignedIdentity();
  server = tlsServer({ ...tlsOptions(), key: id.keyPem, cert: id.certPem, allowHalfOpen: true }, echo);
} else {
  server = tcpServer({ allowHalfOpen: true, noDelay: true }, echo);
}
server.listen(Number(port), '127.0.0.1', () => console.log('ready'));
