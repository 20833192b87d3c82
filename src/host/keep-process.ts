/**
 * The host side of one keep process: spawn it on the pinned engine with the control channel on
 * fd 3, send it the request, and collect what it reports. Whatever the keep says is validated
 * (a keep running a hostile workload is not trusted by its host either).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { packagePath } from '../paths.js';
import { ENGINE_FLAGS, keepEngine } from '../runtime/engine.js';
import { FrameDecoder, encodeFrame } from '../keep/frames.js';
import { KeepEventSchema } from '../keep/messages.js';
import type { KeepEvent, RunRequest } from '../keep/messages.js';

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
}

/** The keep runtime bundle (published atomically by the build; see scripts/build.mjs). */
const keepMain = (): string => packagePath('dist', 'bundle', 'keep.mjs');

/** A running keep process. */
export class KeepProcess {
  readonly child: ChildProcess;
  readonly done: Promise<KeepOutcome>;
  private readonly control: Duplex;

  constructor(opts: SpawnKeepOptions) {
    const engine = keepEngine();
    this.child = spawn(engine.path, [...ENGINE_FLAGS, keepMain()], {
      stdio: [opts.stdio, opts.stdio, opts.stdio, 'pipe'],
      // The keep sees none of the host's environment.
      env: {},
    });
    this.control = this.child.stdio[3] as Duplex;
    let last: KeepEvent | undefined;
    const decoder = new FrameDecoder(1024 * 1024);
    this.control.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        last = { type: 'error', code: 'ERR_PROTOCOL', message: `keep sent a malformed frame: ${(err as Error).message}` };
        this.child.kill('SIGKILL');
        return;
      }
      for (const f of frames) {
        const parsed = KeepEventSchema.safeParse(f.header);
        if (!parsed.success) {
          last = { type: 'error', code: 'ERR_PROTOCOL', message: 'keep sent an invalid event' };
          this.child.kill('SIGKILL');
          return;
        }
        const event = parsed.data as KeepEvent;
        if (event.type !== 'started') last = event;
        opts.onEvent?.(event);
      }
    });
    this.control.on('error', () => {
      // The keep died; 'exit' tells the rest.
    });
    this.done = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (status, signal) => resolve({ event: last, status, signal }));
    });
  }

  /** Sends the run request with the module's bytes. */
  run(req: RunRequest, module: Uint8Array): void {
    this.control.write(encodeFrame(req, module));
  }

  /** Kills the keep process. */
  kill(): void {
    this.child.kill('SIGKILL');
  }
}
