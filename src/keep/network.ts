/**
 * The keep's network, on its main thread: the package's listen sockets bound and its connect
 * sockets connected before the workload starts, TLS terminated here with the keep's identity (so
 * plaintext never leaves the keep), and every connection pumped to the workload's descriptor in
 * the worker (connection.ts). What the worker receives: a doorbell, one MessagePort on which
 * accepted connections arrive, and per socket descriptor either its listener number or its
 * connection's shared memory.
 */
import { lookup } from 'node:dns/promises';
import { createServer as createTcpServer, isIP } from 'node:net';
import type { Server as TcpServer, Socket } from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { BoundPort, ConnectSpec, ListenSpec, SocketSpec } from '../protocol/sockets.js';
import type { Doorbell } from '../runtime/doorbell.js';
import { RuntimeError, RuntimeErrorCode } from '../runtime/errors.js';
import type { AcceptedConnection, WorkerNetMessage } from '../runtime/socket-handles.js';
import type { WorkerSocket } from '../runtime/worker.js';
import { SlotPool } from '../runtime/socket-ring.js';
import type { ConnectionSlot } from '../runtime/socket-ring.js';
import { Connection } from './connection.js';
import { connectOut, tlsServer } from './network-tls.js';
import type { TlsIdentity } from './tls-identity.js';

/** Connections a listener holds for the workload before it accepts them; more are refused. */
export const ACCEPT_BACKLOG = 1024;
/** Connections one keep holds at once; more are refused. */
export const MAX_CONNECTIONS = 16_384;
/** How long a connect socket may take to resolve, connect and shake hands. */
export const CONNECT_TIMEOUT_MS = 15_000;
/** How long the keep flushes its connections when the workload has ended. */
export const STOP_FLUSH_MS = 5_000;

/** The workload's network, open. */
export interface Network {
  /** For the worker: per descriptor (index = fd), its socket or undefined. */
  readonly sockets: readonly (WorkerSocket | undefined)[];
  /** For the worker: accepted connections arrive here (transfer it). */
  readonly port: MessagePort;
  /** For the worker: connections waiting per listener (Int32 per fd). */
  readonly pending: SharedArrayBuffer;
  readonly bound: readonly BoundPort[];
  /** Stops listening and flushes and closes every connection. */
  stop(): Promise<void>;
}

/** Needs of {@link openNetwork}. */
export interface NetworkOptions {
  readonly bell: Doorbell;
  /** Makes (once) the keep's TLS identity, when a TLS socket needs it. */
  readonly identity: () => Promise<TlsIdentity>;
}

/** Opens the sockets of `specs` (index = fd; undefined for other descriptors). @throws RuntimeError */
export async function openNetwork(specs: readonly (SocketSpec | undefined)[], opts: NetworkOptions): Promise<Network> {
  const channel = new MessageChannel();
  const pending = new SharedArrayBuffer(4 * Math.max(1, specs.length));
  const state: NetState = {
    bell: opts.bell,
    port: channel.port1,
    pending: new Int32Array(pending),
    connections: new Set(),
    servers: new Map(),
    slots: new SlotPool(),
    done: new Map(),
  };
  const sockets: (WorkerSocket | undefined)[] = [];
  const bound: BoundPort[] = [];
  try {
    for (const [fd, spec] of specs.entries()) {
      if (spec === undefined) sockets.push(undefined);
      else if (spec.kind === 'listen') {
        const server = await listen(fd, spec, state, opts);
        const a = server.address();
        if (a !== null && typeof a === 'object') bound.push({ address: a.address, port: a.port });
        sockets.push({ kind: 'listener' });
      } else {
        const socket = await connect(spec, opts);
        sockets.push({ kind: 'stream', slot: track(state, socket) });
      }
    }
  } catch (err) {
    await stopAll(state);
    throw err;
  }
  channel.port1.on('message', (msg: WorkerNetMessage) => {
    if (msg?.type === 'close-listener') state.servers.get(msg.listener)?.close();
    else if (msg?.type === 'slot-done') slotDone(state, msg.id, 'worker');
  });
  channel.port1.unref();
  return { sockets, port: channel.port2, pending, bound, stop: () => stopAll(state) };
}

interface NetState {
  readonly bell: Doorbell;
  readonly port: MessagePort;
  readonly pending: Int32Array;
  readonly connections: Set<Connection>;
  readonly servers: Map<number, TcpServer>;
  readonly slots: SlotPool;
  /** Slots one side is done with, by id: which side, and the slot (known to the main side). */
  readonly done: Map<number, { readonly side: 'main' | 'worker'; readonly slot?: ConnectionSlot }>;
}

/** Pumps `socket` through a slot of its own, tracked until it closes. */
function track(state: NetState, socket: Socket): ConnectionSlot {
  const slot = state.slots.acquire();
  const conn = new Connection(socket, slot, state.bell);
  state.connections.add(conn);
  void conn.closed.then(() => {
    state.connections.delete(conn);
    slotDone(state, slot.id, 'main', slot);
  });
  return slot;
}

/**
 * One side is done with a slot: the socket closed here, or the descriptor in the worker. Once
 * both are, the slot is lent again, never while the workload could still read or write through it.
 */
function slotDone(state: NetState, id: number, side: 'main' | 'worker', slot?: ConnectionSlot): void {
  const other = state.done.get(id);
  if (other === undefined || other.side === side) {
    state.done.set(id, { side, ...(slot ? { slot } : {}) });
    return;
  }
  state.done.delete(id);
  state.slots.release((slot ?? other.slot)!);
}

async function listen(fd: number, spec: ListenSpec, state: NetState, opts: NetworkOptions): Promise<TcpServer> {
  const accepted = (socket: Socket): void => {
    if (Atomics.load(state.pending, fd) >= ACCEPT_BACKLOG || state.connections.size >= MAX_CONNECTIONS) {
      socket.destroy();
      return;
    }
    const slot = track(state, socket);
    Atomics.add(state.pending, fd, 1);
    state.port.postMessage({ type: 'accepted', listener: fd, slot } satisfies AcceptedConnection);
    state.bell.ring();
  };
  const server = spec.tls ? tlsServer(spec.tls, await opts.identity(), accepted) : createTcpServer({ allowHalfOpen: true, noDelay: true }, accepted);
  server.on('error', () => {});
  await bind(server, spec);
  state.servers.set(fd, server);
  return server;
}

/** Binds `server` to the spec's address; `::` falls back to 0.0.0.0 on a host without IPv6. */
async function bind(server: TcpServer, spec: ListenSpec): Promise<void> {
  const attempt = (host: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen({ host, port: spec.port, backlog: 511, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
  try {
    await attempt(spec.addr);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (spec.addr === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) return attempt('0.0.0.0').catch((e: unknown) => Promise.reject(bindError(spec, e)));
    throw bindError(spec, err);
  }
}

/** The error a failed bind of `spec` gives the client, by the system error code. */
export function bindError(spec: ListenSpec, err: unknown): RuntimeError {
  const where = `${isIP(spec.addr) === 6 ? `[${spec.addr}]` : spec.addr}:${spec.port}`;
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EACCES':
      return new RuntimeError(RuntimeErrorCode.PORT_PRIVILEGED, `cannot listen on ${where}: ports below 1024 need privileges this keep does not have; choose a port from 1024 up in Enarx.toml`);
    case 'EADDRINUSE':
      return new RuntimeError(RuntimeErrorCode.PORT_IN_USE, `cannot listen on ${where}: the address is already in use`);
    case 'EADDRNOTAVAIL':
      return new RuntimeError(RuntimeErrorCode.ADDRESS_UNAVAILABLE, `cannot listen on ${where}: no such local address`);
    default:
      return new RuntimeError(RuntimeErrorCode.INTERNAL, `cannot listen on ${where}: ${(err as Error).message}`);
  }
}

/** Resolves and connects a connect socket (and shakes hands, for TLS). @throws RuntimeError */
async function connect(spec: ConnectSpec, opts: NetworkOptions): Promise<Socket> {
  const where = `${spec.host}:${spec.port}`;
  let address: string;
  try {
    // Resolved in the keep; the answer is untrusted, which TLS makes harmless (it authenticates the peer).
    address = isIP(spec.host) !== 0 ? spec.host : (await lookup(spec.host, { verbatim: true })).address;
  } catch (err) {
    throw new RuntimeError(RuntimeErrorCode.HOST_NOT_FOUND, `cannot connect to ${where}: host name does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const identity = spec.tls?.presentCertificate ? await opts.identity() : undefined;
  return connectOut(spec, address, identity, CONNECT_TIMEOUT_MS);
}

async function stopAll(state: NetState): Promise<void> {
  for (const server of state.servers.values()) server.close();
  state.port.close();
  await Promise.all([...state.connections].map((c) => c.stop(STOP_FLUSH_MS)));
}
