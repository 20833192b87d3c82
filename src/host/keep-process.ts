/**
 * The host side of one keep process: spawn it on the pinned engine with the control channel on
 * fd 3, send it the request, and collect what it reports. Whatever the keep says is validated
 * (a keep running a hostile workload is not trusted by its host either).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { join } from 'node:path';
import { keepBundleDir } from '../runtime/measurement.js';
import { ENGINE_FLAGS, keepEngine } from '../runtime/engine.js';
import { FrameDecoder, encodeFrame } from '../keep/frames.js';
import { checkKeepEvent } from '../keep/messages.js';
import { validate } from '../keep/validate.js';
import type { KeepEvent } from '../keep/messages.js';
import type { Limits } from '../runtime/limits.js';
import { keepTraceEnv } from '../client/trace.js';

/** How a keep process ended. */
export interface KeepOutcome {
  /** The last event the keep reported (exit, trap or error), if any. */
  readonly event: KeepEvent | undefined;
  /** The process exit status, or null when killed by a signal. */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options for {@link spawnKeep}. */
export interface SpawnKeepOptions {
  /** `inherit`: the keep shares this process's stdio (the local `enarx run`); `pipe`: the caller reads it. */
  readonly stdio: 'inherit' | 'pipe';
  /** Called for every event the keep reports, in order. */
  readonly onEvent?: (event: KeepEvent) => void;
  /** The keep runtime bundle folder to launch (default: the installed one, symlink resolved). */
  readonly bundleDir?: string;
}


/**
 * Options for a keep someone else started (the `enarx` launcher, for `enarx run`): its process id
 * and its control channel, already connected. It shares this process's stdio.
 */
export interface AdoptKeepOptions {
  readonly adopt: { readonly pid: number; readonly control: Socket };
  readonly onEvent?: (event: KeepEvent) => void;
}

/** A running keep process. */
export class KeepProcess {
  /** The process, when this one spawned it. */
  readonly child: ChildProcess | undefined;
  readonly pid: number | undefined;
  /** The keep's stdout and stderr when piped (`stdio: 'pipe'`). */
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly done: Promise<KeepOutcome>;
  private readonly control: Duplex;
  private ended = false;
  /** Told about every event the keep reports; may be set after construction. */
  onEvent: ((event: KeepEvent) => void) | undefined;
  private readonly waiters: { type: KeepEvent['type']; resolve: (e: KeepEvent) => void }[] = [];

  constructor(opts: SpawnKeepOptions | AdoptKeepOptions) {
    this.onEvent = opts.onEvent;
    if ('adopt' in opts) {
      this.child = undefined;
      this.pid = opts.adopt.pid;
      this.stdout = null;
      this.stderr = null;
      this.control = opts.adopt.control;
    } else {
      const engine = keepEngine();
      this.child = spawn(engine.path, [...ENGINE_FLAGS, join(opts.bundleDir ?? keepBundleDir(), 'keep.mjs')], {
        // A deployed workload has no stdin (it reads end-of-file); `inherit` shares this process's.
        stdio: [opts.stdio === 'pipe' ? 'ignore' : 'inherit', opts.stdio, opts.stdio, 'pipe'],
        // The keep sees none of the host's environment (only a trace origin when tracing).
        env: keepTraceEnv(),
      });
      this.pid = this.child.pid;
      this.stdout = this.child.stdout;
      this.stderr = this.child.stderr;
      this.control = this.child.stdio[3] as Duplex;
    }
    let last: KeepEvent | undefined;
    const decoder = new FrameDecoder(1024 * 1024);
    this.control.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        last = { type: 'error', code: 'ERR_PROTOCOL', message: `keep sent a malformed frame: ${(err as Error).message}` };
        this.kill();
        return;
      }
      for (const f of frames) {
        const parsed = validate(checkKeepEvent, f.header);
        if (!parsed.ok) {
          last = { type: 'error', code: 'ERR_PROTOCOL', message: 'keep sent an invalid event' };
          this.kill();
          return;
        }
        const event: KeepEvent = parsed.value;
        if (event.type === 'exit' || event.type === 'trap' || event.type === 'error') last = event;
        const w = this.waiters.findIndex((x) => x.type === event.type);
        if (w !== -1) this.waiters.splice(w, 1)[0]!.resolve(event);
        this.onEvent?.(event);
      }
    });
    this.control.on('error', () => {
      // The keep died; 'exit' tells the rest.
    });
    const child = this.child;
    this.done = new Promise<KeepOutcome>((resolve, reject) => {
      if (child) {
        child.once('error', reject);
        child.once('close', (status, signal) => resolve({ event: last, status, signal }));
      } else {
        // Not our child: its channel closing is its end (it has no other way to talk to us).
        this.control.once('close', () => resolve({ event: last, status: null, signal: null }));
      }
    }).finally(() => {
      this.ended = true;
    });
  }

  /**
   * Asks the keep to create its key for this deploy and waits for the report data it wants its
   * platform to sign. Rejects if the keep ends first.
   */
  async attest(nonce: Uint8Array, kem: 'x25519' | 'x-wing'): Promise<Extract<KeepEvent, { type: 'attestation-request' }>> {
    const reply = this.next('attestation-request');
    this.control.write(encodeFrame({ type: 'attest', nonce: Buffer.from(nonce).toString('hex'), kem }));
    return (await reply) as Extract<KeepEvent, { type: 'attestation-request' }>;
  }

  /** The next event of `type`, or a rejection carrying the keep's outcome if it ends first. */
  private next(type: KeepEvent['type']): Promise<KeepEvent> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ type, resolve });
      void this.done.then((o) => {
        const ev = o.event;
        const why = ev?.type === 'error' ? `${ev.message} [${ev.code}]` : `exit status ${o.status ?? o.signal}`;
        reject(Object.assign(new Error(`the keep ended before sending '${type}': ${why}`), { code: 'ERR_KEEP_CRASHED' }));
      }, reject);
    });
  }

  /** Tells the keep its id, the digest of the evidence the client saw, and what the host lends it. */
  launch(l: { keepId: string; evidenceDigest: Uint8Array; preopens: readonly { host: string; guest: string }[]; limits: Limits }): void {
    this.control.write(
      encodeFrame({
        type: 'launch',
        keepId: l.keepId,
        evidenceDigest: Buffer.from(l.evidenceDigest).toString('hex'),
        preopens: [...l.preopens],
        limits: { ...l.limits },
      }),
    );
  }

  /**
   * Forwards the next slice of the sealed package (opaque to the host). Resolves when the
   * channel can take more, so a large package streams with bounded memory.
   */
  async sendPackage(slice: Uint8Array, last: boolean): Promise<void> {
    if (this.control.write(encodeFrame({ type: 'package', last }, slice))) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.control.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.control.off('drain', onDrain);
        reject(Object.assign(new Error('the keep closed its channel'), { code: 'ERR_KEEP_CRASHED' }));
      };
      this.control.once('drain', onDrain);
      this.control.once('close', onClose);
    });
  }

  /** True until the keep process is known to have ended. */
  get alive(): boolean {
    return this.child ? this.child.exitCode === null && this.child.signalCode === null : !this.ended;
  }

  /** Lets this process exit without waiting for the keep's (after its outcome is known). */
  release(): void {
    this.child?.unref();
    (this.control as Duplex & { unref?: () => void }).unref?.();
  }

  /** Kills the keep process. */
  kill(): void {
    if (this.child) {
      this.child.kill('SIGKILL');
      return;
    }
    if (this.ended || this.pid === undefined) return;
    try {
      // Safe from pid reuse: the keep is this process's child, and nobody reaps it before we exit.
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    this.control.destroy();
  }
}
