/**
 * An in-process host: the keeps run on this machine, supervised by this process. It is what
 * `enarx run` and `enarx deploy` without `--host` talk to, through the same HostApi (and the
 * same deploy protocol) as a remote host agent.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BackendName } from '../backend/types.js';
import { findSuite } from '../crypto/suites.js';
import { KeepProcess } from '../host/keep-process.js';
import { DEFAULT_LIMITS } from '../runtime/limits.js';
import { keepBundleDir } from '../runtime/measurement.js';
import type { CreateKeepRequest, CreatedKeep, HostApi, KeepOutput } from './host-api.js';

/** Largest slice of the sealed package sent in one control frame. */
const SLICE = 1024 * 1024;

/** Options of {@link LocalHost}. */
export interface LocalHostOptions {
  /** `inherit`: keeps write to this process's stdout/stderr directly (byte-exact, no copies). */
  readonly stdio: 'inherit' | 'pipe';
  /** The sim platform's state directory (default: the user's state dir). */
  readonly stateDir?: string;
}

interface LocalKeep {
  readonly process: KeepProcess;
  readonly backend: BackendName;
}

/** The host, in this process. */
export class LocalHost implements HostApi {
  private readonly keeps = new Map<string, LocalKeep>();
  private spare: { process: KeepProcess; bundleDir: string } | undefined;

  constructor(private readonly opts: LocalHostOptions) {}

  /** Starts a keep process now, so that its start-up overlaps the caller's own work. */
  prespawn(): void {
    if (this.spare) return;
    const bundleDir = keepBundleDir();
    this.spare = { process: new KeepProcess({ stdio: this.opts.stdio, bundleDir }), bundleDir };
  }

  async createKeep(req: CreateKeepRequest): Promise<CreatedKeep> {
    const suite = findSuite(req.kem);
    if (!suite) throw new TypeError(`unknown KEM '${req.kem}'`);
    const spare = this.spare ?? { process: new KeepProcess({ stdio: this.opts.stdio, bundleDir: keepBundleDir() }), bundleDir: keepBundleDir() };
    this.spare = undefined;
    const keep = spare.process;
    try {
      // The backends, measurement and attestation code is large; load it when a keep is made.
      const [{ selectBackend }, { runtimeMeasurement }, { attestKeep }] = await Promise.all([
        import('../backend/select.js'),
        import('../runtime/measurement.js'),
        import('../host/attest.js'),
      ]);
      const backend = await selectBackend(req.backend, this.opts.stateDir ? { stateDir: this.opts.stateDir } : {});
      // What was launched is what is measured: the launcher's own record, never the keep's word.
      const { measurement } = await runtimeMeasurement(spare.bundleDir);
      const { evidence, publicKey } = await attestKeep(keep, backend, { measurement }, req.nonce, suite);
      const id = randomBytes(12).toString('base64url');
      keep.launch({
        keepId: id,
        evidenceDigest: new Uint8Array(createHash('sha256').update(evidence.report).digest()),
        preopens: req.preopens ?? [],
        limits: { ...DEFAULT_LIMITS, ...req.limits },
      });
      this.keeps.set(id, { process: keep, backend: backend.name });
      return { id, backend: backend.name, publicKey, evidence };
    } catch (err) {
      keep.kill();
      throw err;
    }
  }

  async deliverPackage(id: string, sealed: AsyncIterable<Uint8Array>): Promise<void> {
    const keep = this.get(id).process;
    // One slice of look-ahead, so that the final slice goes out marked `last`.
    let held: Uint8Array | undefined;
    let buffered: Uint8Array[] = [];
    let size = 0;
    const flush = async (last: boolean): Promise<void> => {
      const slice = buffered.length === 1 ? buffered[0]! : Buffer.concat(buffered);
      buffered = [];
      size = 0;
      if (held) await keep.sendPackage(held, false);
      held = slice;
      if (last) await keep.sendPackage(held, true);
    };
    for await (const piece of sealed) {
      buffered.push(piece);
      size += piece.length;
      if (size >= SLICE) await flush(false);
    }
    await flush(true);
  }

  async *events(id: string): AsyncGenerator<KeepOutput> {
    const keep = this.get(id).process;
    const queue: KeepOutput[] = [];
    let wake: (() => void) | undefined;
    const push = (o: KeepOutput): void => {
      queue.push(o);
      wake?.();
    };
    const pipe = (stream: Readable | null, type: 'stdout' | 'stderr'): Promise<void> =>
      new Promise((resolve) => {
        if (!stream) return resolve();
        stream.on('data', (data: Buffer) => push({ type, data }));
        stream.once('close', resolve);
        stream.once('end', resolve);
      });
    const outputsDone = Promise.all([pipe(keep.child.stdout, 'stdout'), pipe(keep.child.stderr, 'stderr')]);
    void Promise.all([keep.done, outputsDone]).then(([outcome]) => {
      const ev = outcome.event;
      if (ev && ev.type !== 'started' && ev.type !== 'attestation-request') push(ev);
      else {
        const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with status ${outcome.status}`;
        push({ type: 'error', code: 'ERR_KEEP_CRASHED', message: `the keep process ${how} without reporting an outcome` });
      }
    });
    for (;;) {
      while (queue.length > 0) {
        const o = queue.shift()!;
        yield o;
        if (o.type !== 'stdout' && o.type !== 'stderr') return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  }

  async killKeep(id: string): Promise<void> {
    this.get(id).process.kill();
  }

  /** Kills every keep (and the spare). */
  close(): void {
    this.spare?.process.kill();
    for (const k of this.keeps.values()) k.process.kill();
  }

  private get(id: string): LocalKeep {
    const k = this.keeps.get(id);
    if (!k) throw Object.assign(new Error(`no keep '${id}'`), { code: 'ERR_NOT_FOUND' });
    return k;
  }
}
