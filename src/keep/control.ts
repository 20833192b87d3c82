/**
 * The keep's control channel to its host. Normally fd 3, a socket pair end its host made when it
 * spawned the keep. `enarx run` from the `enarx` command starts its keep before the CLI's own
 * Node.js is up (see bin/enarx): that keep gets `--listen PATH` instead, a UNIX socket path in a
 * private (0700) folder of its host's, and takes the first connection to it as the channel.
 * Either way the channel carries the same frames and the host is just as untrusted.
 */
import { rmdirSync, unlinkSync } from 'node:fs';
import { Server, Socket } from 'node:net';
import { dirname, isAbsolute } from 'node:path';

/** How long a listening keep waits for its host before it gives up and exits. */
export const LISTEN_TIMEOUT_MS = 10_000;

/** What the keep's command line asks for. */
export type ControlSpec = { readonly kind: 'fd3' } | { readonly kind: 'listen'; readonly path: string };

/**
 * Parses the keep's arguments: none (fd 3) or `--listen PATH` (an absolute path that fits a UNIX
 * socket address). @throws Error naming what is wrong
 */
export function parseControlArgs(argv: readonly string[]): ControlSpec {
  if (argv.length === 0) return { kind: 'fd3' };
  const [flag, path, ...rest] = argv;
  if (flag !== '--listen' || path === undefined || rest.length > 0) throw new Error('usage: keep.mjs [--listen PATH]');
  if (!isAbsolute(path) || Buffer.byteLength(path) > 100 || path.includes('\0')) throw new Error('--listen: expected an absolute socket path of at most 100 bytes');
  return { kind: 'listen', path };
}

/**
 * Opens the channel `spec` names: fd 3 at once, or the first connection to the listening socket
 * (rejects after `timeoutMs` without one).
 */
export function openControl(spec: ControlSpec, timeoutMs = LISTEN_TIMEOUT_MS): Promise<Socket> {
  if (spec.kind === 'fd3') return Promise.resolve(new Socket({ fd: 3, readable: true, writable: true }));
  return new Promise((resolve, reject) => {
    // Not paused on connect: bytes that arrive before the keep listens for them wait in the stream.
    const server = new Server();
    server.maxConnections = 1;
    const forget = (): void => {
      try {
        unlinkSync(spec.path);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      server.close();
      forget();
      // The folder was made for this socket alone; an empty one is left by a host that died.
      try {
        rmdirSync(dirname(spec.path));
      } catch {
        // not empty, or not ours to remove
      }
      reject(new Error(`no host connected within ${timeoutMs} ms`));
    }, timeoutMs);
    server.once('connection', (socket: Socket) => {
      clearTimeout(timer);
      // One host per keep: nobody else may connect after it.
      server.close();
      forget();
      resolve(socket);
    });
    server.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    server.listen(spec.path);
  });
}
