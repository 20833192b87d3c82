/**
 * The host agent's core, without HTTP: it creates attested keeps, forwards sealed packages and
 * input it cannot read, keeps the sealed records its keeps send (for replay), supervises keep
 * processes and remembers what became of them. `enarx host serve` puts it behind HTTP (http.ts);
 * `enarx run` and `enarx deploy` without `--host` use it in process (embedded.ts).
 *
 * What it sees: ids, sizes, the keep's public key and evidence (public), the sealed package and
 * the sealed records both ways (ciphertext: counted, forwarded, replayed, never opened), and when
 * each passes. What it stores (SQLite): ids, states, sizes, failure codes, process identities.
 *
 * Supervision: a keep without its whole package by its expiry is killed (`expired`); a keep
 * process that ends without its sealed outcome is `failed` (ERR_KEEP_CRASHED, or what it
 * reported); on {@link Host.close} every keep is killed; on open, keeps a previous agent left
 * are `lost`, and any of their processes still alive (same boot, pid, start time) is killed.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Backend, LaunchRecord } from '../backend/types.js';
import { defaultStateDir } from '../backend/state-dir.js';
import { codeOf } from '../errors.js';
import { KeepFailureCode, cutMessage } from '../protocol/errors.js';
import type { KeepEventsOptions } from '../protocol/host-api.js';
import type { CreateKeepRequest, CreatedKeep, KeepStreamEvent } from '../protocol/http.js';
import type { Evidence } from '../protocol/evidence.js';
import { KEEP_STATES, isTerminal } from '../protocol/names.js';
import type { BackendName } from '../protocol/names.js';
import { RecordSplitter } from '../protocol/records.js';
import { trace } from '../trace.js';
import { attestKeep } from './attest.js';
import { DEFAULT_UPLOAD_IDLE_MS, bounded, forwardInput, forwardPackage, packageFailure } from './delivery.js';
import type { InputSummary } from './delivery.js';
import { HostError } from './errors.js';
import { DEFAULT_ABANDON_AFTER_MS, DEFAULT_ATTEST_TIMEOUT_MS, DEFAULT_MAX_PACKAGE_BYTES, DEFAULT_OUTPUT_RETENTION_MS } from './host-types.js';
import type { HostOptions } from './host-types.js';
import { KeepEvidence } from './keep-evidence.js';
import { KeepProcess } from './keep-process.js';
import { checkCreateRequest, toInfo } from './keep-records.js';
import type { CheckedCreateRequest, HostKeepInfo } from './keep-records.js';
import { LiveKeep } from './live-keep.js';
import type { HostLogger } from './log.js';
import { silentLogger } from './log.js';
import { openKeepStore } from './open-store.js';
import { HostPlatform } from './platform.js';
import { bootId, killIfSameProcess, processIdentity } from './proc.js';
import type { ProcessIdentity } from './proc.js';
import { checkQuotas, promisedMemory } from './quotas.js';
import type { Holding, Quotas } from './quotas.js';
import type { KeepRecord, KeepStore, TenantRecord } from './store.js';
import { DEFAULT_RETAINED_OUTPUT_BYTES } from './stream-log.js';
import { positiveInt, withTimeout } from './util.js';
import { WarmPool } from './warm-pool.js';

/** What a keep's creation has ready before it spawns or adopts a process. */
interface Prepared {
  readonly backend: Backend;
  readonly launch: LaunchRecord;
  /** A warm keep process, already asked for its key (`request`). */
  readonly spare: KeepProcess | undefined;
  readonly request: ReturnType<KeepProcess['attest']> | undefined;
}

/** The host agent core. */
export class Host {
  readonly #store: KeepStore;
  readonly #platform: HostPlatform;
  readonly #live = new Map<string, LiveKeep>();
  /** Quota held by keeps being created (not yet in #live). */
  readonly #reserved = new Set<Holding>();
  readonly #abandonAfterMs: number;
  readonly #uploadIdleMs: number;
  readonly #maxPackageBytes: number;
  readonly #retainBytes: number;
  readonly #retentionMs: number;
  readonly #attestTimeoutMs: number;
  readonly #quotas: Quotas;
  readonly #log: HostLogger;
  readonly #now: () => number;
  readonly #warm: WarmPool;
  readonly #diagnostics: 'inherit' | 'ignore';
  #closing: Promise<void> | undefined;
  #owner: ProcessIdentity | undefined;

  private constructor(store: KeepStore, opts: HostOptions, platform: HostPlatform) {
    this.#store = store;
    this.#platform = platform;
    this.#abandonAfterMs = positiveInt(opts.abandonAfterMs, DEFAULT_ABANDON_AFTER_MS, 'abandonAfterMs');
    this.#uploadIdleMs = positiveInt(opts.uploadIdleMs, DEFAULT_UPLOAD_IDLE_MS, 'uploadIdleMs');
    this.#maxPackageBytes = positiveInt(opts.maxPackageBytes, DEFAULT_MAX_PACKAGE_BYTES, 'maxPackageBytes');
    this.#retainBytes = positiveInt(opts.retainedOutputBytes, DEFAULT_RETAINED_OUTPUT_BYTES, 'retainedOutputBytes');
    this.#retentionMs = positiveInt(opts.outputRetentionMs, DEFAULT_OUTPUT_RETENTION_MS, 'outputRetentionMs');
    this.#attestTimeoutMs = positiveInt(opts.attestTimeoutMs, DEFAULT_ATTEST_TIMEOUT_MS, 'attestTimeoutMs');
    this.#quotas = opts.quotas ?? {};
    this.#log = opts.logger ?? silentLogger;
    this.#now = opts.now ?? Date.now;
    const diagnostics = (this.#diagnostics = opts.keepDiagnostics ?? 'ignore');
    const warmKeeps = !opts.warmKeeps ? 0 : Math.min(positiveInt(opts.warmKeeps, 1, 'warmKeeps'), 64);
    this.#warm = new WarmPool(() => new KeepProcess({ diagnostics, bundleDir: platform.bundleDir }), warmKeeps, opts.spare ? [opts.spare] : []);
  }

  /**
   * Opens the agent: its database (recovering from a previous run: live keeps become `lost`,
   * their surviving processes are killed) and its keep runtime bundle.
   * @throws TypeError on bad options
   * @throws HostError ERR_CONFLICT when another live agent uses `stateDir`; ERR_INTERNAL when the
   *   database cannot be opened or the keep runtime is not built
   */
  static async open(opts: HostOptions = {}): Promise<Host> {
    if (opts.keepDiagnostics !== undefined && opts.keepDiagnostics !== 'inherit' && opts.keepDiagnostics !== 'ignore') throw new TypeError("keepDiagnostics must be 'inherit' or 'ignore'");
    const platform = new HostPlatform(opts.backendStateDir ?? opts.stateDir ?? defaultStateDir(), opts.backend, opts.bundleDir ?? HostPlatform.installedBundle());
    const store = await openKeepStore(opts.stateDir);
    let host: Host;
    try {
      host = new Host(store, opts, platform);
      const me = processIdentity(process.pid);
      if (opts.stateDir !== undefined && me !== undefined) {
        store.claimOwner(me);
        host.#owner = me;
      }
      host.#recover();
    } catch (err) {
      store.close();
      throw err;
    }
    host.#log('host.open', { persistent: opts.stateDir !== undefined });
    host.#warm.refill();
    if (opts.defaultBackend) platform.remember(opts.backend, opts.defaultBackend);
    // Prepare the default backend and the launch measurement now, while keeps boot; a failure
    // here is reported by the first createKeep (neither result is cached when it fails).
    platform
      .backend(undefined)
      .then((b) => b.prepare?.())
      .then(() => trace('host: default backend prepared'))
      .catch(() => {});
    platform.launchRecord().catch(() => {});
    return host;
  }

  /** Declares the keeps of a previous run `lost` and kills what is left of their processes. */
  #recover(): void {
    const now = this.#now();
    const boot = bootId();
    for (const rec of this.#store.live()) {
      let killed = false;
      if (rec.pid !== undefined && rec.pidStartTime !== undefined && rec.bootId !== undefined && rec.bootId === boot) {
        killed = killIfSameProcess({ pid: rec.pid, startTime: rec.pidStartTime, bootId: rec.bootId });
      }
      this.#store.update(rec.id, { state: 'lost', errorCode: KeepFailureCode.LOST, errorMessage: 'the host agent stopped while this keep was live' }, now);
      this.#log('keep.lost', { keep: rec.id, tenant: rec.tenant, previousState: rec.state, killed });
    }
  }

  /** The largest sealed package this host accepts, in bytes. */
  get maxPackageBytes(): number {
    return this.#maxPackageBytes;
  }

  /** The names of the backends available on this host. */
  availableBackends(): Promise<BackendName[]> {
    return this.#platform.availableBackends();
  }

  /** Tenants with their token digests (for the HTTP layer's authentication). */
  tenants(): TenantRecord[] {
    return this.#store.tenants();
  }

  /** Adds a tenant or replaces its token digest (SHA-256 of the token, never the token). */
  setTenant(name: string, tokenSha256: Uint8Array): void {
    if (tokenSha256.length !== 32) throw new TypeError('tokenSha256 must be 32 bytes');
    this.#store.setTenant(name, tokenSha256, this.#now());
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new HostError('ERR_SHUTTING_DOWN', 'the host agent is shutting down');
  }

  /** What the live keeps, and those being created, hold of the quotas. */
  *#holdings(): Generator<Holding> {
    for (const k of this.#live.values()) if (!k.settled) yield k;
    yield* this.#reserved;
  }

  /**
   * Spawns a keep on `req.backend`, has it make a key for `req.nonce` and attests it. The keep
   * then waits (`attested`) for its package; the client verifies the evidence before sealing.
   * @throws TypeError on a malformed request
   * @throws HostError ERR_TOO_MANY_KEEPS, ERR_MEMORY_QUOTA, ERR_BACKEND_UNAVAILABLE,
   *   ERR_ATTESTATION, ERR_SHUTTING_DOWN, ERR_INTERNAL
   */
  async createKeep(tenant: string, req: CreateKeepRequest): Promise<CreatedKeep> {
    this.#checkOpen();
    const checked = checkCreateRequest(tenant, req);
    const holding: Holding = { tenant, memoryBytes: promisedMemory(checked.limits.maxMemoryBytes) };
    checkQuotas(this.#quotas, this.#holdings(), holding);
    this.#reserved.add(holding);
    let live: LiveKeep;
    let prepared: Prepared;
    try {
      prepared = await this.#prepare(checked, req.backend);
      live = this.#spawn(tenant, checked, prepared.backend, prepared.spare, holding.memoryBytes);
    } finally {
      this.#reserved.delete(holding);
    }
    const { evidence, publicKey } = await this.#attest(live, prepared, checked);
    // While it runs, the keep may ask its platform for more evidence (its RA-TLS certificate).
    live.process.serveEvidence(new KeepEvidence(prepared.backend, prepared.launch, this.#now));
    return this.#launchKeep(live, checked, evidence, publicKey, prepared.backend);
  }

  /** The backend, the launch record and a keep process (a warm one asked for its key at once). */
  async #prepare(checked: CheckedCreateRequest, name: BackendName | undefined): Promise<Prepared> {
    const spare = this.#warm.take();
    const request = spare?.attest(checked.nonce, checked.suite.name);
    if (spare) trace('host: warm keep asked for its key');
    // Awaited in attestKeep; a keep that ends first is reported there.
    request?.catch(() => {});
    try {
      const [backend, launch] = await Promise.all([this.#platform.backend(name), this.#platform.launchRecord()]);
      this.#checkOpen();
      return { backend, launch, spare, request };
    } catch (err) {
      spare?.kill();
      if (err instanceof TypeError || err instanceof HostError) throw err;
      if (codeOf(err) === 'ERR_BACKEND_UNAVAILABLE') throw new HostError('ERR_BACKEND_UNAVAILABLE', (err as Error).message, { cause: err });
      throw new HostError('ERR_INTERNAL', `cannot prepare a keep: ${(err as Error).message}`, { cause: err });
    }
  }

  #spawn(tenant: string, checked: CheckedCreateRequest, backend: Backend, spare: KeepProcess | undefined, memoryBytes: number): LiveKeep {
    const id = randomUUID();
    const created = this.#now();
    this.#store.insert({ id, tenant, backend: backend.name, kem: checked.suite.name, state: 'starting', createdAt: created, updatedAt: created });
    this.#log('keep.create', { keep: id, tenant, backend: backend.name, kem: checked.suite.name });
    let process: KeepProcess;
    try {
      process = spare ?? new KeepProcess({ diagnostics: this.#diagnostics, bundleDir: this.#platform.bundleDir });
    } catch (err) {
      this.#store.update(id, { state: 'failed', errorCode: KeepFailureCode.INTERNAL, errorMessage: cutMessage(`cannot spawn the keep: ${(err as Error).message}`) }, this.#now());
      throw new HostError('ERR_INTERNAL', `cannot spawn the keep: ${(err as Error).message}`, { cause: err });
    }
    const book = {
      update: (patch: Parameters<KeepStore['update']>[1], from?: Parameters<KeepStore['update']>[3]) => this.#store.update(id, patch, this.#now(), from),
      record: () => this.#store.get(tenant, id),
      log: this.#log,
    };
    const live = new LiveKeep(id, tenant, process, memoryBytes, book, this.#retainBytes, (k) => this.#onSettled(k));
    this.#live.set(id, live);
    const identity = process.pid === undefined ? undefined : processIdentity(process.pid);
    if (identity !== undefined) this.#store.update(id, { pid: identity.pid, pidStartTime: identity.startTime, bootId: identity.bootId }, this.#now());
    return live;
  }

  async #attest(live: LiveKeep, prepared: Prepared, checked: CheckedCreateRequest): Promise<{ evidence: Evidence; publicKey: Uint8Array }> {
    try {
      return await withTimeout(
        attestKeep(live.process, prepared.backend, prepared.launch, checked.nonce, checked.suite, prepared.request),
        this.#attestTimeoutMs,
        () => Object.assign(new Error(`the keep did not attest within ${this.#attestTimeoutMs} ms`), { code: 'ERR_TIMEOUT' }),
      );
    } catch (err) {
      const message = `the keep could not attest: ${(err as Error).message}`;
      live.end('failed', { errorCode: KeepFailureCode.ATTESTATION, errorMessage: cutMessage(message) });
      this.#log('keep.attest-failed', { keep: live.id, code: codeOf(err) ?? 'ERR_INTERNAL' });
      throw new HostError(codeOf(err) === 'ERR_BACKEND_UNAVAILABLE' ? 'ERR_BACKEND_UNAVAILABLE' : 'ERR_ATTESTATION', message, { cause: err });
    }
  }

  #launchKeep(live: LiveKeep, checked: CheckedCreateRequest, evidence: Evidence, publicKey: Uint8Array, backend: Backend): CreatedKeep {
    const evidenceDigest = new Uint8Array(createHash('sha256').update(evidence.report).digest());
    const expiresAt = this.#now() + this.#abandonAfterMs;
    if (!this.#store.update(live.id, { state: 'attested', expiresAt }, this.#now(), ['starting'])) {
      throw new HostError('ERR_ATTESTATION', `the keep ended while attesting (${this.#store.get(live.tenant, live.id)?.errorCode ?? KeepFailureCode.CRASHED})`);
    }
    try {
      live.process.launch({ keepId: live.id, evidenceDigest, preopens: checked.preopens, limits: checked.limits });
    } catch (err) {
      live.end('failed', { errorCode: KeepFailureCode.INTERNAL, errorMessage: cutMessage(`cannot send the launch request: ${(err as Error).message}`) });
      throw new HostError('ERR_INTERNAL', `cannot launch the keep: ${(err as Error).message}`, { cause: err });
    }
    live.log.appendEvent({ type: 'state', state: 'attested' });
    live.expiry = setTimeout(() => this.#expire(live), this.#abandonAfterMs);
    live.expiry.unref();
    this.#log('keep.attested', { keep: live.id, evidenceBytes: evidence.report.length, publicKeyBytes: publicKey.length });
    return Object.freeze({ id: live.id, backend: backend.name, kem: checked.suite.name, publicKey, evidence, state: 'attested', expiresAt: new Date(expiresAt) });
  }

  #expire(live: LiveKeep): void {
    if (live.settled) return;
    const what = live.delivering ? 'its whole package did not arrive' : 'no package arrived';
    if (live.end('expired', { errorCode: KeepFailureCode.EXPIRED, errorMessage: `${what} within ${this.#abandonAfterMs} ms` })) this.#log('keep.expired', { keep: live.id });
  }

  /** A keep has ended: its quota is free; its records stay replayable for a while. */
  #onSettled(live: LiveKeep): void {
    if (this.#closing !== undefined) return;
    live.retention = setTimeout(() => {
      live.log.discardRecords();
      this.#live.delete(live.id);
    }, this.#retentionMs);
    live.retention.unref();
  }

  #liveOf(tenant: string, id: string): { rec: KeepRecord; live: LiveKeep | undefined } {
    const rec = typeof id === 'string' ? this.#store.get(tenant, id) : undefined;
    if (rec === undefined) throw new HostError('ERR_NOT_FOUND', 'no such keep');
    const live = this.#live.get(id);
    return { rec, live: live?.tenant === tenant ? live : undefined };
  }

  /**
   * Forwards a sealed package to an attested keep, slice by slice, never holding it whole: the
   * bytes are counted, never parsed or stored. It must arrive whole before the keep's expiry and
   * never stall longer than the upload idle limit.
   * @throws HostError ERR_NOT_FOUND; ERR_CONFLICT when the keep is not waiting for a package or
   *   ends while receiving it; ERR_TOO_LARGE, ERR_REQUEST_TIMEOUT, ERR_BAD_REQUEST when the body
   *   fails (the keep is then failed)
   */
  async deliverPackage(tenant: string, id: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    this.#checkOpen();
    const { rec, live } = this.#liveOf(tenant, id);
    if (rec.state !== 'attested' || live === undefined || live.delivering || live.settled) {
      throw new HostError('ERR_CONFLICT', rec.state === 'attested' ? 'a package is already being delivered to this keep' : `the keep is ${rec.state}, not waiting for a package`);
    }
    live.delivering = true;
    this.#log('keep.package-start', { keep: id });
    let total = 0;
    try {
      const timed = bounded(body, { deadline: rec.expiresAt, idleMs: this.#uploadIdleMs, now: this.#now }, 'package upload');
      total = await forwardPackage(live, timed, this.#maxPackageBytes, (n) => (total = n));
    } catch (err) {
      this.#store.update(id, { packageBytes: total }, this.#now(), KEEP_STATES);
      if (err instanceof HostError && err.code === 'ERR_CONFLICT') throw err;
      const fate = packageFailure(err);
      live.end('failed', { errorCode: fate.code, errorMessage: fate.message, packageBytes: total });
      this.#log('keep.package-failed', { keep: id, bytes: total, code: fate.code });
      if (err instanceof HostError) throw err;
      throw new HostError('ERR_BAD_REQUEST', fate.message, { cause: err });
    }
    clearTimeout(live.expiry);
    live.markRunning(total);
    this.#log('keep.package', { keep: id, bytes: total });
  }

  /**
   * Forwards sealed input records to a running keep until the body ends (or the keep does). One
   * input stream at a time; a record, once begun, must arrive whole within the upload idle limit.
   * @throws HostError ERR_NOT_FOUND; ERR_CONFLICT when the keep has no package yet, has ended, or
   *   already has an input stream; ERR_BAD_REQUEST for anything but input records;
   *   ERR_REQUEST_TIMEOUT for a record that stalls
   */
  async sendInput(tenant: string, id: string, body: AsyncIterable<Uint8Array>): Promise<InputSummary> {
    this.#checkOpen();
    const { rec, live } = this.#liveOf(tenant, id);
    if (rec.state !== 'running' || live === undefined || live.settled || live.inputOpen) {
      throw new HostError('ERR_CONFLICT', live?.inputOpen ? 'this keep already has an input stream' : `the keep is ${rec.state}, not running`);
    }
    live.inputOpen = true;
    const splitter = new RecordSplitter();
    try {
      const timed = bounded(body, { idleMs: this.#uploadIdleMs, idleApplies: () => splitter.buffered > 0, now: this.#now }, 'input record');
      return await forwardInput(live, timed, splitter);
    } finally {
      live.inputOpen = false;
    }
  }

  /** A tenant's keep. @throws HostError ERR_NOT_FOUND (also for another tenant's keep) */
  getKeep(tenant: string, id: string): HostKeepInfo {
    const { rec, live } = this.#liveOf(tenant, id);
    return toInfo(rec, live?.ports);
  }

  /** A tenant's keeps, oldest first. */
  listKeeps(tenant: string): HostKeepInfo[] {
    return this.#store.list(tenant).map((r) => toInfo(r, this.#live.get(r.id)?.ports));
  }

  /**
   * Ends a keep: a live one is killed (`killed`, and its record stays); a finished one is
   * forgotten (record and records). Returns the keep's info as of the call's end.
   * @throws HostError ERR_NOT_FOUND
   */
  async killKeep(tenant: string, id: string): Promise<HostKeepInfo> {
    const { rec, live } = this.#liveOf(tenant, id);
    if (!isTerminal(rec.state)) {
      if (live !== undefined) {
        if (live.end('killed')) this.#log('keep.killed', { keep: id });
        await live.ended;
      } else {
        // A record without a process of ours (left by another instance): end it anyway.
        if (rec.pid !== undefined && rec.pidStartTime !== undefined && rec.bootId !== undefined) {
          killIfSameProcess({ pid: rec.pid, startTime: rec.pidStartTime, bootId: rec.bootId });
        }
        this.#store.update(id, { state: 'killed' }, this.#now());
      }
      return this.getKeep(tenant, id);
    }
    const info = toInfo(rec);
    if (live !== undefined) {
      clearTimeout(live.retention);
      live.log.discardRecords();
      this.#live.delete(id);
    }
    this.#store.delete(tenant, id);
    this.#log('keep.forgotten', { keep: id });
    return info;
  }

  /**
   * A keep's stream: the sealed records and lifecycle events retained so far, then live ones,
   * ending once the keep has ended. A keep whose records are gone (ended long ago, or from a
   * previous run of the agent) yields what the host recorded: its failure and final state.
   * @throws HostError ERR_NOT_FOUND
   */
  events(tenant: string, id: string, opts: KeepEventsOptions = {}): AsyncIterable<KeepStreamEvent> {
    const { rec, live } = this.#liveOf(tenant, id);
    if (live !== undefined) return live.log.read(opts.after ?? 0, opts.signal);
    const final: KeepStreamEvent[] = [];
    if (rec.outputRecords !== undefined && rec.outputRecords > 0) final.push({ type: 'dropped', records: rec.outputRecords, bytes: rec.outputBytes ?? 0 });
    if (rec.errorCode !== undefined) final.push({ type: 'error', seq: 0, code: rec.errorCode, message: cutMessage(rec.errorMessage ?? '') });
    final.push({ type: 'state', seq: 0, state: rec.state });
    return (async function* () {
      yield* final;
    })();
  }

  /** Resolves with the keep's info once it has ended. @throws HostError ERR_NOT_FOUND */
  async waitForExit(tenant: string, id: string): Promise<HostKeepInfo> {
    const { live } = this.#liveOf(tenant, id);
    if (live !== undefined) await live.ended;
    return this.getKeep(tenant, id);
  }

  /** Stops the agent: no new keeps or uploads, every live keep killed, the database closed. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#warm.close();
      const waits: Promise<void>[] = [];
      let killed = 0;
      for (const live of this.#live.values()) {
        clearTimeout(live.retention);
        if (!live.settled) {
          if (live.end('killed', { errorCode: KeepFailureCode.SHUTDOWN, errorMessage: 'the host agent shut down' })) killed++;
          waits.push(live.ended);
        }
      }
      // SIGKILLed processes end at once; do not hang shutdown on one that does not.
      await withTimeout(Promise.all(waits), 5000, () => new Error('timeout')).catch(() => {});
      for (const live of this.#live.values()) live.log.close();
      this.#live.clear();
      this.#log('host.close', { killed });
      if (this.#owner !== undefined) this.#store.releaseOwner(this.#owner);
      this.#store.close();
    })();
    return this.#closing;
  }
}
