/**
 * The keep's main thread: the keep side of the deploy protocol, one handler per host message,
 * in a fixed order of phases, and everything from the host validated:
 *
 *   waiting ─attest→ attested ─launch→ launched ─package…(last)→ running ─(outcome)→ finished
 *                                                        input… ↗
 *
 * - `attest`: binds a fresh key to the client's nonce; asks the host for evidence over it.
 * - `launch`: the keep's id, the digest of the evidence the client verified, limits, host folders.
 * - `package`: slices of the package sealed to this keep's key; the last opens it, which makes
 *   the session (crypto/session.ts) and starts the workload in the worker thread.
 * - `input`: sealed stdin records from the client, opened in order into the stdin ring.
 * - `evidence`, `evidence-error`: answers to the keep's own requests for evidence (evidence.ts),
 *   made while it runs, in any phase.
 * Output leaves as sealed records (output-pump.ts); the outcome is the last one. Before the
 * session exists, a failure can only be reported in plain text (`failed`), and says nothing of
 * the workload. Exit status: 0 after a sealed outcome, 1 otherwise.
 */
import type { Socket } from 'node:net';
import type { Worker } from 'node:worker_threads';
import type { PackageOpener } from '../crypto/seal.js';
import type { AttestationRequest, HostMessage, LaunchMessage } from '../protocol/control.js';
import { checkHostMessage } from '../protocol/control.js';
import { KeepFailureCode, cutMessage } from '../protocol/errors.js';
import { FrameDecoder, encodeFrame, writeFrameThen } from '../protocol/frames.js';
import type { Frame } from '../protocol/frames.js';
import { DEFAULT_KEM } from '../protocol/names.js';
import type { Outcome } from '../protocol/outcome.js';
import { validate } from '../protocol/validate.js';
import { CodedError } from '../errors.js';
import { keepTrace } from '../trace.js';
import { EvidenceRequests } from './evidence.js';
import type { KeepIdentity } from './identity.js';
import type { ReadBlocks } from './read-blocks.js';
import type { Session } from './running.js';

/** What the keep needs once its package has opened: loaded after the attestation request. */
let runningCode: Promise<typeof import('./running.js')> | undefined;
const loadRunningCode = (): Promise<typeof import('./running.js')> => (runningCode ??= import('./running.js'));

/**
 * The key of the default suite is made as soon as this module is loaded, while the keep still
 * waits for its host: a keep serves one deploy, so this is the key of that deploy (bound to the
 * client's nonce on 'attest'). A request for another suite gets a key of that suite instead.
 */
const identityCode = import('./identity.js');
const earlyKey = identityCode.then(async (m) => {
  const key = await m.generateKeepKey(DEFAULT_KEM);
  keepTrace('early key made');
  return key;
});
earlyKey.catch(() => {
  // Reported if it is used (onAttest); an unused key's failure does not matter.
});

/** A failure to report: a stable code and a message. */
class KeepFailure extends CodedError<KeepFailureCode> {}

type Phase = 'waiting' | 'attested' | 'launched' | 'running' | 'finished';

/** How long a keep that has said its last word waits for its host to close the channel. */
const LAST_WORD_WAIT_MS = 3000;

/** One keep's main thread. */
export class Keep {
  #phase: Phase = 'waiting';
  #identity: KeepIdentity | undefined;
  #launch: LaunchMessage | undefined;
  #packageOpener: PackageOpener | undefined;
  #session: Session | undefined;
  #worker: Worker | undefined;
  readonly #workerReady: Promise<void>;
  #onReady!: () => void;
  readonly #evidence = new EvidenceRequests((header) => this.control.write(encodeFrame(header)));

  /**
   * @param control the channel to the host; `reads` is where its reads land (control.ts)
   * @param startWorker starts the worker thread (called on the next turn, after this thread's start-up)
   */
  constructor(
    private readonly control: Socket,
    private readonly reads: ReadBlocks,
    private readonly startWorker: () => Worker,
  ) {
    this.#workerReady = new Promise((resolve) => (this.#onReady = resolve));
  }

  /** Starts serving the host. */
  start(): void {
    keepTrace('main thread running');
    this.#listen();
    // The keep lives only as long as its host holds the channel: no orphans if the host dies.
    const hostGone = (): void => {
      if (this.#phase === 'finished') return;
      this.#phase = 'finished';
      void this.#worker?.terminate();
      process.exit(1);
    };
    this.control.on('end', hostGone);
    this.control.on('close', hostGone);
    this.control.on('error', hostGone);
    setImmediate(() => {
      this.#worker = this.startWorker();
      this.#worker.on('message', (m: { type?: unknown }) => {
        if (m?.type === 'ready') {
          keepTrace('worker ready');
          this.#onReady();
        }
      });
    });
  }

  /**
   * Frames are handled strictly in order; reading pauses while one is (back-pressure on input).
   * A handler reads its frame's bytes before it settles and keeps no view of them: once a batch
   * is handled, the reads the decoder is done with go back to be read into again (read-blocks.ts;
   * a package passes through here).
   */
  #listen(): void {
    let queue = Promise.resolve();
    let consumed: Buffer[] = [];
    let handling = 0;
    const decoder = new FrameDecoder(undefined, (read) => consumed.push(read));
    this.reads.listen((chunk) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        return void this.#fail(new KeepFailure(KeepFailureCode.PROTOCOL, (err as Error).message));
      }
      if (frames.length === 0) return;
      this.control.pause();
      handling++;
      for (const f of frames) queue = queue.then(() => (this.#phase === 'finished' ? undefined : this.#dispatch(f)));
      const done = consumed;
      consumed = [];
      queue = queue.then(
        () => {
          for (const read of done) this.reads.giveBack(read);
          if (--handling === 0) this.control.resume();
        },
        (err: unknown) => this.#fail(err),
      );
    });
    // Reading stops when the host sent much before this listened (read-blocks.ts); frames found in
    // what it sent resume it once handled.
    if (handling === 0) this.control.resume();
  }

  async #dispatch(f: Frame): Promise<void> {
    const m = validate(checkHostMessage, f.header);
    if (!m.ok) throw new KeepFailure(KeepFailureCode.PROTOCOL, `bad message from the host: ${m.message}`);
    const msg: HostMessage = m.value;
    switch (msg.type) {
      case 'attest':
        return this.#onAttest(msg);
      case 'launch':
        return this.#onLaunch(msg);
      case 'package':
        return this.#onPackage(msg.last, f.parts);
      case 'input':
        return this.#onInput(f.payload);
      case 'evidence':
      case 'evidence-error':
        return this.#evidence.receive(msg);
    }
  }

  #expect(phase: Phase, what: string): void {
    if (this.#phase !== phase) throw new KeepFailure(KeepFailureCode.PROTOCOL, `'${what}' is out of order (the keep is ${this.#phase})`);
  }

  async #onAttest(msg: Extract<HostMessage, { type: 'attest' }>): Promise<void> {
    this.#expect('waiting', 'attest');
    keepTrace('attest received');
    const { bindKeepKey, generateKeepKey } = await identityCode;
    const key = msg.kem === DEFAULT_KEM ? await earlyKey : await generateKeepKey(msg.kem);
    this.#identity = bindKeepKey(key, Buffer.from(msg.nonce, 'hex'));
    this.#phase = 'attested';
    keepTrace('attest: key bound');
    const request: AttestationRequest = {
      type: 'attestation-request',
      reportData: Buffer.from(this.#identity.reportData).toString('hex'),
      publicKey: Buffer.from(this.#identity.publicKey).toString('hex'),
      kem: this.#identity.suite.name,
    };
    this.control.write(encodeFrame(request));
    // While the host and the client work: the opening and running code, and the key in HPKE form.
    void import('../crypto/seal.js');
    void loadRunningCode().then((m) => m.loadPackageCode());
    void this.#identity.opener().catch(() => {});
  }

  async #onLaunch(msg: LaunchMessage): Promise<void> {
    this.#expect('attested', 'launch');
    this.#launch = msg;
    keepTrace('launch received');
    const { PackageOpener } = await import('../crypto/seal.js');
    // The package is held once, in this keep; its size is bounded by the memory cap plus room for files.
    this.#packageOpener = new PackageOpener(await this.#identity!.opener(), msg.keepId, Buffer.from(msg.evidenceDigest, 'hex'), 1024 * 1024 * 1024);
    this.#phase = 'launched';
  }

  async #onPackage(last: boolean, parts: readonly Uint8Array[]): Promise<void> {
    this.#expect('launched', 'package');
    const opener = this.#packageOpener!;
    // The slice as it arrived, piece by piece: decrypted from the channel's own buffers.
    for (const p of parts) await opener.push(p);
    if (!last) return;
    keepTrace('package received');
    const { plaintext, keys, digest } = await opener.finish();
    keepTrace('package opened');
    const { startRunning } = await loadRunningCode();
    const { session, outcome } = await startRunning(keys, plaintext, {
      launch: this.#launch!,
      packageDigest: digest,
      worker: this.#worker!,
      workerReady: this.#workerReady,
      sendRecord: (r, written) => this.#sendRecord(r, written),
      requestEvidence: this.#evidence.requestEvidence,
      onStarted: () => this.control.write(encodeFrame({ type: 'started' })),
      onInputWanted: () => this.#phase === 'running' && this.control.write(encodeFrame({ type: 'input-wanted' })),
      onListening: (ports) => this.control.write(encodeFrame({ type: 'listening', ports: ports.map((p) => ({ address: p.address, port: p.port })) })),
    });
    this.#session = session;
    this.#phase = 'running';
    void outcome.then((o) => this.#end(o));
  }

  async #onInput(record: Uint8Array): Promise<void> {
    this.#expect('running', 'input');
    const { deliverInput } = await loadRunningCode();
    try {
      await deliverInput(this.#session!, record);
    } catch (err) {
      // The host altered the client's input: the client is told, under the session's keys.
      return this.#end({ type: 'error', code: (err as { code: string }).code, message: `the host altered the input: ${(err as Error).message}` });
    }
  }

  /** Sends one sealed record, in pieces (output-pump.ts's SendRecord). */
  #sendRecord(record: readonly Uint8Array[], written?: () => void): Promise<void> {
    if (writeFrameThen(this.control, { type: 'record' }, record, written)) return Promise.resolve();
    return new Promise((resolve) => {
      const go = (): void => {
        this.control.off('drain', go);
        this.control.off('close', go);
        resolve();
      };
      this.control.on('drain', go);
      this.control.on('close', go);
    });
  }

  /** The workload is over: its output drained and sealed, then its outcome, the last record. */
  async #end(outcome: Outcome): Promise<void> {
    if (this.#phase === 'finished') return;
    this.#phase = 'finished';
    keepTrace(`finish: ${outcome.type}`);
    const s = this.#session!;
    // The workload is over (its worker reported, or was stopped): what it wrote is in the ring.
    // A worker still running (a failure of the session's) is stopped; what it writes now is not sent.
    void this.#worker?.terminate();
    await s.pump.finish();
    const { sealOutcome } = await loadRunningCode();
    this.#leave(encodeFrame({ type: 'record' }, Buffer.concat(sealOutcome(s, outcome))), 0);
  }

  /** A failure: sealed when the session exists (the client is told), in plain text before. */
  #fail(err: unknown): void {
    const code = err instanceof KeepFailure ? err.code : KeepFailureCode.INTERNAL;
    const raw = (err as { code?: unknown }).code;
    // A package that does not open says why with its own (keep failure) code.
    const failure = typeof raw === 'string' && (Object.values(KeepFailureCode) as string[]).includes(raw) ? (raw as KeepFailureCode) : code;
    const message = cutMessage((err as Error)?.message ?? String(err));
    if (this.#session) {
      void this.#end({ type: 'error', code: failure, message });
      return;
    }
    if (this.#phase === 'finished') return;
    this.#phase = 'finished';
    keepTrace(`failed: ${failure}`);
    this.#leave(encodeFrame({ type: 'failed', code: failure, message }), 1);
  }

  /**
   * Sends the last frame and leaves once the host has closed its end (it does on that frame:
   * KeepProcess#endChannel), reading and dropping what it still sends. Leaving at once would close
   * the channel with the host's input unread, and the host's next write would then fail and take
   * the unread last frame down with its socket. If the host does not close (it always does: this
   * only bounds a broken one), leave after {@link LAST_WORD_WAIT_MS}.
   */
  #leave(lastFrame: Uint8Array, status: number): void {
    const leave = (): void => process.exit(status);
    this.control.end(lastFrame);
    this.control.once('end', leave);
    this.control.once('close', leave);
    this.control.once('error', leave);
    // Reading may have paused on a frame that failed: the host's end must be seen.
    this.control.resume();
    setTimeout(leave, LAST_WORD_WAIT_MS).unref();
  }
}
