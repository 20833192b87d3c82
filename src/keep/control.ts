/**
 * The keep's control channel to its host. Normally fd 3, a socket pair end its host made when it
 * spawned the keep. `enarx run` from the `enarx` command starts its keep before the CLI's own
 * Node.js is up (see bin/enarx): that keep gets `--connect PATH` instead, a UNIX socket path in a
 * private (0700) folder the launcher made, where its host (the CLI) listens once it is up; the
 * keep connects as soon as it can. Either way the channel carries the same frames and the host is
 * just as untrusted.
 *
 * The keep is the side that connects so that it makes its socket itself: only a socket made with
 * Node's `onread` option reads into memory of the keep's choosing (read-blocks.ts), and the
 * sockets a listening server accepts cannot be given one.
 */
import { lstatSync, rmdirSync, rmSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import type { OnReadOpts, SocketConstructorOpts } from 'node:net';
import { dirname, isAbsolute } from 'node:path';
import { CodedError } from '../errors.js';
import { ReadBlocks } from './read-blocks.js';

/** How long a connecting keep waits for its host before it gives up and exits. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** The pause between two attempts to connect while the host is not listening yet. */
const RETRY_MS = 2;

/**
 * What the keep's command line asks for. `parent`: the pid of the process that started the keep
 * and will be its host (the launcher, which becomes the CLI); while connecting, a keep whose
 * parent is no longer that process gives up. Default: its parent when it starts.
 */
export type ControlSpec = { readonly kind: 'fd3' } | { readonly kind: 'connect'; readonly path: string; readonly parent?: number };

/** The keep's end of the channel, and the memory its reads land in. */
export interface ControlChannel {
  readonly socket: Socket;
  readonly reads: ReadBlocks;
}

/**
 * Parses the keep's arguments: none (fd 3) or `--connect PATH [--parent PID]` (an absolute path
 * that fits a UNIX socket address; a process id). @throws Error naming what is wrong
 */
export function parseControlArgs(argv: readonly string[]): ControlSpec {
  if (argv.length === 0) return { kind: 'fd3' };
  const [flag, path, parentFlag, parent, ...rest] = argv;
  const usage = 'usage: keep.mjs [--connect PATH [--parent PID]]';
  if (flag !== '--connect' || path === undefined || rest.length > 0) throw new Error(usage);
  if (!isAbsolute(path) || Buffer.byteLength(path) > 100 || path.includes('\0')) throw new Error('--connect: expected an absolute socket path of at most 100 bytes');
  if (parentFlag === undefined) return { kind: 'connect', path };
  if (parentFlag !== '--parent' || parent === undefined) throw new Error(usage);
  if (!/^[1-9][0-9]{0,9}$/.test(parent)) throw new Error('--parent: expected a process id');
  return { kind: 'connect', path, parent: Number(parent) };
}

/** The reason a connecting keep gave up because the process that started it is gone. */
export const HOST_GONE = 'ERR_KEEP_HOST_GONE';

/**
 * Gives up a channel's private folder: with `staleSocket`, the socket a host that is gone left
 * there (nothing else is removed), then the folder if that leaves it empty.
 */
function leaveFolder(path: string, staleSocket: boolean): void {
  try {
    if (staleSocket && lstatSync(path, { throwIfNoEntry: false })?.isSocket()) rmSync(path);
    rmdirSync(dirname(path));
  } catch {
    // not empty, or not ours to remove
  }
}

/**
 * Opens the channel `spec` names: fd 3 at once, or a connection to the host's socket, tried again
 * while nobody listens there yet. It rejects after `timeoutMs`, or as soon as its parent is not
 * `spec.parent` (the launcher's keep is the CLI's child, and a CLI that failed before it listened,
 * or died, will never come; it may be gone before the keep has even booted); that error's `code`
 * is {@link HOST_GONE}.
 */
export function openControl(spec: ControlSpec, timeoutMs = CONNECT_TIMEOUT_MS): Promise<ControlChannel> {
  const reads = new ReadBlocks();
  if (spec.kind === 'fd3') {
    // Node.js takes `onread` here too; its type declarations name it for connect() only.
    const options: SocketConstructorOpts & { onread: OnReadOpts } = { fd: 3, readable: true, writable: true, onread: reads.onread };
    return Promise.resolve({ socket: new Socket(options), reads });
  }
  const deadline = Date.now() + timeoutMs;
  const parent = spec.parent ?? process.ppid;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (process.ppid !== parent) {
        leaveFolder(spec.path, true);
        return void reject(new CodedError(HOST_GONE, 'the process that started this keep is gone'));
      }
      const socket = connect({ path: spec.path, onread: reads.onread });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve({ socket, reads });
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.destroy();
        const waiting = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
        if (waiting && Date.now() < deadline) return void setTimeout(attempt, RETRY_MS);
        // The folder was made for this channel alone; a socket nobody listens on is a dead host's.
        leaveFolder(spec.path, err.code === 'ECONNREFUSED');
        reject(waiting ? new Error(`no host listened within ${timeoutMs} ms`) : err);
      });
    };
    attempt();
  });
}
