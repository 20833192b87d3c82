/**
 * The host side of one keep process: spawn it on the pinned engine with the control channel on
 * fd 3 (or adopt one the `enarx` launcher started), send it the protocol's messages, and hand on
 * what it says. Whatever the keep says is validated: a keep running a stranger's workload is not
 * trusted by its host either. The keep's own stdio carries no workload data (that travels sealed
 * on the channel): its stderr holds the runtime's diagnostics only.
 */
import type { BoundPort } from '../protocol/sockets.js';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { freeBuffer } from '../free-buffer.js';
import { checkKeepMessage } from '../protocol/control.js';
import type { AttestationRequest, EvidenceRequest, KeepMessage } from '../protocol/control.js';
import { EvidenceErrorCode } from '../protocol/control.js';
import { KeepFailureCode } from '../protocol/errors.js';
import { FrameDecoder, encodeFrame, writeFrameThen } from '../protocol/frames.js';
import type { Limits } from '../protocol/limits.js';
import type { KemName } from '../protocol/names.js';
import { RecordKind, readRecordHeader } from '../protocol/records.js';
import { validate } from '../protocol/validate.js';
import { ENGINE_ENV, ENGINE_FLAGS, keepEngine } from '../runtime/engine.js';
import { keepBundleDir } from '../runtime/measurement.js';
import { keepTraceEnv } from '../trace.js';
import type { KeepEvidence } from './keep-evidence.js';

/** How a keep process ended. */
export interface KeepEnd {
  /** The keep sent its sealed outcome (what it says is the client's to read). */
  readonly sealedOutcome: boolean;
  /** What the keep reported in plain text, or the host's verdict on a broken channel. */
  readonly failure: { readonly code: string; readonly message: string } | undefined;
  /** The process exit status, or null when killed by a signal (or not our child). */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What the keep says, as it says it. */
export interface KeepListener {
  /** A sealed record (output or the outcome), opaque. */
  onRecord?(record: Uint8Array): void;
  /** The workload started. */
  onStarted?(): void;
  /** The workload first asked for stdin. */
  onInputWanted?(): void;
  /** The keep's listen sockets are bound to these addresses. */
  onListening?(ports: readonly BoundPort[]): void;
}

/** Options for a keep this process spawns. */
export interface SpawnKeepOptions {
  /** Where the keep's diagnostics go: this process's stderr (`enarx run`), or discarded. */
  readonly diagnostics: 'inherit' | 'ignore';
  /** The keep runtime bundle folder to launch (default: the installed one, symlink resolved). */
  readonly bundleDir?: string;
}

/** A keep someone else started (the `enarx` launcher, for `enarx run`): its pid and its channel. */
export interface AdoptKeepOptions {
  readonly adopt: { readonly pid: number; readonly control: Socket };
}

/** Largest frame a keep may send: a sealed record and its header. */
const MAX_KEEP_FRAME = 256 * 1024;

/** How long a keep that sent its outcome has to end before its host kills it. */
export const RELEASE_GRACE_MS = 5_000;

/**
 * Released keeps not yet known to have ended, all killed by one `exit` listener of this process:
 * a host agent may have hundreds at once, and a listener each would pass Node.js's limit of ten
 * and print a warning of a leak that is not one.
 */
const releasedKeeps = new Set<KeepProcess>();

function killReleasedKeeps(): void {
  for (const keep of releasedKeeps) if (keep.alive) keep.kill();
}

/** A running keep process. */
export class KeepProcess {
  /** The process, when this one spawned it. */
  readonly child: ChildProcess | undefined;
  readonly pid: number | undefined;
  readonly done: Promise<KeepEnd>;
  private readonly control: Duplex;
  private ended = false;
  private sealedOutcome = false;
  private failure: KeepEnd['failure'];
  /** Told what the keep says; may be set after construction. */
  listener: KeepListener = {};
  private readonly waiters: { type: KeepMessage['type']; resolve: (m: KeepMessage) => void }[] = [];
  #released = false;
  /** Answers the keep's requests for evidence, once the host has launched it. */
  #evidence: KeepEvidence | undefined;

  constructor(opts: SpawnKeepOptions | AdoptKeepOptions) {
    if ('adopt' in opts) {
      this.child = undefined;
      this.pid = opts.adopt.pid;
      this.control = opts.adopt.control;
    } else {
      const engine = keepEngine();
      this.child = spawn(engine.path, [...ENGINE_FLAGS, join(opts.bundleDir ?? keepBundleDir(), 'keep.mjs')], {
        stdio: ['ignore', 'ignore', opts.diagnostics, 'pipe'],
        // The keep sees none of the host's environment: the engine's own, and a trace origin when tracing.
        env: { ...ENGINE_ENV, ...keepTraceEnv() },
      });
      this.pid = this.child.pid;
      this.control = this.child.stdio[3] as Duplex;
    }
    const decoder = new FrameDecoder(MAX_KEEP_FRAME);
    this.control.on('data', (chunk: Buffer) => {
      try {
        for (const f of decoder.push(chunk)) this.receive(f.header, f.payload);
      } catch (err) {
        this.failure = { code: KeepFailureCode.PROTOCOL, message: `the keep broke the control protocol: ${(err as Error).message}` };
        this.kill();
      }
    });
    this.control.on('error', () => {
      // The keep died; its end tells the rest.
    });
    this.done = this.watchEnd();
  }

  private watchEnd(): Promise<KeepEnd> {
    const child = this.child;
    return new Promise<KeepEnd>((resolve) => {
      const end = (status: number | null, signal: NodeJS.Signals | null): void =>
        resolve({ sealedOutcome: this.sealedOutcome, failure: this.failure, status, signal });
      if (child) {
        // The engine could not be started (missing, not executable): an end like any other, said plainly.
        child.once('error', (err) => {
          this.failure ??= { code: KeepFailureCode.CRASHED, message: `the keep engine could not start: ${err.message}` };
          end(null, null);
        });
        child.once('close', end);
      } else {
        // Not our child: its channel closing is its end (it has no other way to talk to us).
        this.control.once('close', () => end(null, null));
      }
    }).finally(() => {
      this.ended = true;
    });
  }

  /** One frame from the keep. @throws Error on anything the protocol does not allow */
  private receive(header: Readonly<Record<string, unknown>>, payload: Uint8Array): void {
    const parsed = validate(checkKeepMessage, header);
    if (!parsed.ok) throw new Error(`invalid message: ${parsed.message}`);
    const msg = parsed.value;
    if (this.sealedOutcome) throw new Error(`'${msg.type}' after the outcome`);
    switch (msg.type) {
      case 'record': {
        const h = readRecordHeader(payload);
        if (typeof h === 'string') throw new Error(`malformed record: ${h}`);
        if (h.kind !== RecordKind.OUTPUT && h.kind !== RecordKind.OUTCOME) throw new Error(`a record of kind ${h.kind} from a keep`);
        if (h.kind === RecordKind.OUTCOME) this.sealedOutcome = true;
        this.listener.onRecord?.(payload);
        if (this.sealedOutcome) this.#endChannel();
        break;
      }
      case 'started':
        this.listener.onStarted?.();
        break;
      case 'input-wanted':
        this.listener.onInputWanted?.();
        break;
      case 'listening':
        this.listener.onListening?.(msg.ports);
        break;
      case 'failed':
        this.failure = { code: msg.code, message: msg.message };
        this.#endChannel();
        break;
      case 'evidence-request':
        this.#answerEvidence(msg);
        break;
      case 'attestation-request':
        break;
    }
    const w = this.waiters.findIndex((x) => x.type === msg.type);
    if (w !== -1) this.waiters.splice(w, 1)[0]!.resolve(msg);
  }

  /**
   * Asks the keep to create its key for this deploy and waits for the report data it wants its
   * platform to sign. Rejects if the keep ends first.
   */
  async attest(nonce: Uint8Array, kem: KemName): Promise<AttestationRequest> {
    const reply = this.next('attestation-request');
    this.control.write(encodeFrame({ type: 'attest', nonce: Buffer.from(nonce).toString('hex'), kem }));
    return (await reply) as AttestationRequest;
  }

  /** The next message of `type`, or a rejection saying how the keep ended if it ends first. */
  private next(type: KeepMessage['type']): Promise<KeepMessage> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ type, resolve });
      void this.done.then((o) => {
        const why = o.failure ? `${o.failure.message} [${o.failure.code}]` : `exit status ${o.status ?? o.signal}`;
        reject(Object.assign(new Error(`the keep ended before sending '${type}': ${why}`), { code: KeepFailureCode.CRASHED }));
      }, reject);
    });
  }

  /** From now on, answers the keep's requests for evidence with `desk` (before: ERR_EVIDENCE_UNAVAILABLE). */
  serveEvidence(desk: KeepEvidence): void {
    this.#evidence = desk;
  }

  /** Answers one request for evidence when the platform has, unless the keep has ended by then. */
  #answerEvidence(request: EvidenceRequest): void {
    const answer = this.#evidence?.answer(request) ??
      Promise.resolve({ type: 'evidence-error' as const, id: request.id, code: EvidenceErrorCode.UNAVAILABLE, message: 'the keep is not launched yet' });
    void answer.then((a) => {
      if (!this.ended && this.control.writable) this.control.write(encodeFrame({ ...a }));
    });
  }

  /** Tells the keep its id, the digest of the evidence the client saw, and what the host lends it. */
  launch(l: { keepId: string; evidenceDigest: Uint8Array; preopens: readonly { host: string; guest: string }[]; limits: Limits }): void {
    this.control.write(
      encodeFrame({
        type: 'launch',
        keepId: l.keepId,
        evidenceDigest: Buffer.from(l.evidenceDigest).toString('hex'),
        preopens: l.preopens.map((p) => ({ host: p.host, guest: p.guest })),
        limits: { ...l.limits },
      }),
    );
  }

  /**
   * Forwards the next slice of the sealed package (opaque to the host), given as pieces: one
   * frame, its pieces written as they are. Resolves when the channel can take more, so a large
   * package streams with bounded memory. The pieces are given: once the channel has taken them,
   * each that is a whole buffer is freed (free-buffer.ts), and the next cipher output or read of
   * its size reuses its memory instead of fresh pages (a 26 MB package through the embedded host:
   * the client's CPU 84 → 47 ms, the delivery 120 → 86 ms; bench/NOTES.md).
   */
  sendPackage(slice: readonly Uint8Array[], last: boolean): Promise<void> {
    return this.send({ type: 'package', last }, slice, () => slice.forEach(freeBuffer));
  }

  /** Forwards one sealed input record, given as a package's pieces are; resolves when the channel can take more. */
  sendInput(record: Uint8Array): Promise<void> {
    return this.send({ type: 'input' }, [record], () => freeBuffer(record));
  }

  /**
   * The keep has said its last (its outcome, or why it failed): our end of the channel closes, and
   * what is sent after it is dropped. The keep reads until then before it leaves: had it left with
   * our input unread, our next write would fail, and a socket whose write fails is destroyed with
   * what the keep said last still unread in it (its outcome lost; seen under load in CI).
   */
  #endChannel(): void {
    if (!this.control.writableEnded) this.control.end();
  }

  private async send(header: Record<string, unknown>, payload: readonly Uint8Array[], written?: () => void): Promise<void> {
    if (this.control.writableEnded) return;
    if (writeFrameThen(this.control, header, payload, written)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.control.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.control.off('drain', onDrain);
        reject(Object.assign(new Error('the keep closed its channel'), { code: KeepFailureCode.CRASHED }));
      };
      this.control.once('drain', onDrain);
      this.control.once('close', onClose);
    });
  }

  /** Stops reading what the keep says (its records wait in the channel: the keep waits too). */
  pause(): void {
    this.control.pause();
  }

  /** Reads what the keep says again. */
  resume(): void {
    this.control.resume();
  }

  /** True until the keep process is known to have ended. */
  get alive(): boolean {
    return this.child ? this.child.exitCode === null && this.child.signalCode === null : !this.ended;
  }

  /**
   * Lets this process exit without waiting for the keep's (after its outcome is known). A keep
   * that has not ended by then, or within {@link RELEASE_GRACE_MS} in a host that lives on, is
   * killed: its work is done, and a keep stuck in its own exit (the pinned engine can hang in
   * process.exit while a background compile job waits) would otherwise live on as an orphan,
   * holding the stderr it shares with this process.
   */
  release(): void {
    this.child?.unref();
    (this.control as Duplex & { unref?: () => void }).unref?.();
    if (this.#released) return;
    this.#released = true;
    if (releasedKeeps.size === 0) process.on('exit', killReleasedKeeps);
    releasedKeeps.add(this);
    const timer = setTimeout(() => {
      if (this.alive) this.kill();
    }, RELEASE_GRACE_MS);
    timer.unref();
    const ended = (): void => {
      clearTimeout(timer);
      releasedKeeps.delete(this);
      if (releasedKeeps.size === 0) process.off('exit', killReleasedKeeps);
    };
    void this.done.then(ended, ended);
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
