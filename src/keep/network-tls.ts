/**
 * TLS of the keep's sockets, terminated in the keep: a listen socket's server (the keep's
 * certificate, optional or required client authentication against the configured trust anchors,
 * ALPN) and a connect socket's client (the server verified against the configured anchors or the
 * engine's root store, SNI = the configured host, optionally the keep's certificate). Versions,
 * groups and signature schemes are crypto/tls-params.ts's, nowhere else.
 */
import { connect as tcpConnect, isIP } from 'node:net';
import type { Server, Socket } from 'node:net';
import { connect as tlsConnect, createServer } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { tlsOptions } from '../crypto/tls-params.js';
import type { ConnectSpec, ListenTls } from '../protocol/sockets.js';
import { RuntimeError, RuntimeErrorCode } from '../runtime/errors.js';
import type { TlsIdentity } from './tls-identity.js';

/** How long a client may take to finish its handshake before it is dropped. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** A TLS server for a listen socket; `accepted` gets each connection once its handshake is done. */
export function tlsServer(spec: ListenTls, identity: TlsIdentity, accepted: (socket: Socket) => void): Server {
  const server = createServer(
    {
      ...tlsOptions(),
      key: identity.keyPem,
      cert: identity.certPem,
      // Not half-open during the handshake: a client that ends its side mid-handshake can never
      // finish it and is dropped at once, not held until the timeout. Half-open once secure.
      allowHalfOpen: false,
      noDelay: true,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      requestCert: spec.clientAuth !== 'none',
      // Optional authentication lets a client without a certificate in; one with a bad one is
      // refused below.
      rejectUnauthorized: spec.clientAuth === 'required',
      ...(spec.trustAnchors.length > 0 ? { ca: [...spec.trustAnchors] } : {}),
      ...(spec.alpn.length > 0 ? { ALPNProtocols: [...spec.alpn] } : {}),
    },
    (socket: TLSSocket) => {
      if (spec.clientAuth === 'optional' && !socket.authorized && presentedCertificate(socket)) {
        socket.destroy();
        return;
      }
      socket.allowHalfOpen = true;
      accepted(socket);
    },
  );
  // A client that sends garbage or fails its handshake loses its own connection, nothing else.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  // A renewed certificate serves the next handshakes; open connections keep theirs.
  identity.onRenew?.((next) => server.setSecureContext({ ...tlsOptions(), key: next.keyPem, cert: next.certPem, ...(spec.trustAnchors.length > 0 ? { ca: [...spec.trustAnchors] } : {}) }));
  return server;
}

function presentedCertificate(socket: TLSSocket): boolean {
  const cert = socket.getPeerCertificate();
  return cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
}

/** Connects to `address` for `spec` (TLS: verified, with SNI); resolves once usable. @throws RuntimeError */
export function connectOut(spec: ConnectSpec, address: string, identity: TlsIdentity | undefined, timeoutMs: number): Promise<Socket> {
  const where = `${spec.host}:${spec.port}`;
  return new Promise((resolve, reject) => {
    let socket: Socket;
    const fail = (code: RuntimeErrorCode, message: string): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new RuntimeError(code, `cannot connect to ${where}: ${message}`));
    };
    const timer = setTimeout(() => fail(RuntimeErrorCode.CONNECT, `no connection within ${timeoutMs} ms`), timeoutMs);
    const ready = (): void => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    };
    if (spec.tls === undefined) {
      socket = tcpConnect({ host: address, port: spec.port, allowHalfOpen: true, noDelay: true }, ready);
      socket.once('error', (err: NodeJS.ErrnoException) => fail(RuntimeErrorCode.CONNECT, err.code ?? err.message));
      return;
    }
    const tls = spec.tls;
    socket = tlsConnect(
      {
        ...tlsOptions(),
        host: address,
        port: spec.port,
        // Verified against the configured name, whatever address it resolved to.
        ...(isIP(spec.host) === 0 ? { servername: spec.host } : {}),
        // Node's tls.connect hands allowHalfOpen to its socket; its types do not list it.
        allowHalfOpen: true,
        ...(tls.trustAnchors !== undefined ? { ca: [...tls.trustAnchors] } : {}),
        ...(identity !== undefined ? { key: identity.keyPem, cert: identity.certPem } : {}),
        ...(tls.alpn.length > 0 ? { ALPNProtocols: [...tls.alpn] } : {}),
      } as ConnectionOptions,
      ready,
    );
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // System errors (ECONNREFUSED, ECONNRESET...) are the connection's; the rest, the handshake's.
      const tlsFailure = !/^E[A-Z]+$/.test(err.code ?? '');
      fail(tlsFailure ? RuntimeErrorCode.TLS_HANDSHAKE : RuntimeErrorCode.CONNECT, tlsFailure ? `TLS handshake failed: ${err.message}` : (err.code ?? err.message));
    });
  });
}
