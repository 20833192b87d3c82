/**
 * The host agent's core, without HTTP: it creates attested keeps, forwards sealed packages it
 * cannot read, supervises keep processes and remembers what became of them. `enarx host serve`
 * puts it behind HTTP (http.ts); `enarx run` and `enarx deploy` without `--host` use it in
 * process.
 *
 * What it sees: ids, sizes, the keep's public key and evidence (public), the sealed package
 * (ciphertext, counted and forwarded, never parsed or stored), and the keep's stdout and stderr
 * (kept in memory only, in a bounded ring per stream). What it stores (SQLite): ids, states,
 * sizes, codes and process identities.
 *
 * Supervision:
 * - a keep that never gets its package within `abandonAfterMs` is killed (`expired`);
 * - a keep process that ends without reporting an outcome is `failed` with ERR_KEEP_CRASHED;
 * - on {@link Host.close} every keep is killed (`killed`);
 * - on open, keeps a previous agent left running are `lost`, and any of their processes still
 *   alive (same boot, pid and start time) is killed, so no keep outlives its agent for long.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Backend, BackendName, Evidence, LaunchRecord } from '../backend/index.js';
import { defaultStateDir } from '../backend/state-dir.js';
import type { KeepEvent } from '../keep/messages.js';
import { keepBundleDir, runtimeMeasurement } from '../runtime/measurement.js';
import { attestKeep } from './attest.js';
import { codeOf } from '../errors.js';
import { HostError, KeepFateCode } from './errors.js';
import { checkCreateRequest, cut, toInfo, verdictOf } from './keep-records.js';
import { trace } from '../client/trace.js';
import { DEFAULT_OUTPUT_BYTES_PER_STREAM, EventLog } from './event-log.js';
import type { KeepStreamEvent } from './event-log.js';
import { KeepProcess } from './keep-process.js';
import { WarmPool } from './warm-pool.js';
import { positiveInt, withTimeout } from './util.js';
import type { HostLogger } from './log.js';
import { silentLogger } from './log.js';
import { bootId, killIfSameProcess, processIdentity } from './proc.js';
import type { ProcessIdentity } from './proc.js';
import { isTerminal, openKeepStore } from './store.js';
import type { KeepPatch, KeepRecord, KeepStore, TenantRecord } from './store.js';

import { DEFAULT_ABANDON_AFTER_MS, DEFAULT_MAX_PACKAGE_BYTES, PACKAGE_SLICE_BYTES, DEFAULT_ATTEST_TIMEOUT_MS, DEFAULT_OUTPUT_RETENTION_MS } from './host-types.js';
import type { HostOptions, CreateKeepRequest, CreatedKeep, KeepInfo, KeepEventsOptions } from './host-types.js';

export { DEFAULT_ABANDON_AFTER_MS, DEFAULT_MAX_PACKAGE_BYTES, PACKAGE_SLICE_BYTES, DEFAULT_ATTEST_TIMEOUT_MS, DEFAULT_OUTPUT_RETENTION_MS };
export type { HostOptions, CreateKeepRequest, CreatedKeep, KeepInfo, KeepEventsOptions };

/** The runtime side of a keep this agent spawned. */
interface LiveKeep {
  readonly id: string;
  readonly tenant: string;
  readonly process: KeepProcess;
  readonly log: EventLog;
  /** Resolves once the process has ended and the record and log are final. */
  readonly ended: Promise<void>;
  settled: boolean;
  /** Why the host ended it, when it did (the state was recorded then). */
  endedBy?: 'killed' | 'expired' | 'failed';
  delivering: boolean;
  expiry?: NodeJS.Timeout;
  retention?: NodeJS.Timeout;
}

/** The host agent core. */
export class Host {
  readonly #store: KeepStore;
  readonly #live = new Map<string, LiveKeep>();
  readonly #backends = new Map<string, Promise<Backend>>();
  readonly #backendStateDir: string;
  readonly #defaultBackend: BackendName | undefined;
  readonly #bundleDir: string;
  #launch: Promise<LaunchRecord> | undefined;
  readonly #abandonAfterMs: number;
  readonly #maxPackageBytes: number;
  readonly #stdio: 'pipe' | 'inherit';
  readonly #outputBytes: number;
  readonly #retentionMs: number;
  readonly #attestTimeoutMs: number;
  readonly #log: HostLogger;
  readonly #now: () => number;
  #closing: Promise<void> | undefined;
  readonly #warm: WarmPool;
  #owner: ProcessIdentity | undefined;

  private constructor(store: KeepStore, opts: HostOptions, bundleDir: string) {
    this.#store = store;
    this.#backendStateDir = opts.backendStateDir ?? opts.stateDir ?? defaultStateDir();
    this.#defaultBackend = opts.backend;
    this.#bundleDir = bundleDir;
    this.#abandonAfterMs = positiveInt(opts.abandonAfterMs, DEFAULT_ABANDON_AFTER_MS, 'abandonAfterMs');
    this.#maxPackageBytes = positiveInt(opts.maxPackageBytes, DEFAULT_MAX_PACKAGE_BYTES, 'maxPackageBytes');
    this.#stdio = opts.stdio ?? 'pipe';
    this.#outputBytes = positiveInt(opts.outputBytesPerStream, DEFAULT_OUTPUT_BYTES_PER_STREAM, 'outputBytesPerStream');
    this.#retentionMs = positiveInt(opts.outputRetentionMs, DEFAULT_OUTPUT_RETENTION_MS, 'outputRetentionMs');
    this.#attestTimeoutMs = positiveInt(opts.attestTimeoutMs, DEFAULT_ATTEST_TIMEOUT_MS, 'attestTimeoutMs');
    this.#log = opts.logger ?? silentLogger;
    this.#now = opts.now ?? Date.now;
    const warmKeeps = !opts.warmKeeps ? 0 : Math.min(positiveInt(opts.warmKeeps, 1, 'warmKeeps'), 64);
    this.#warm = new WarmPool(() => new KeepProcess({ stdio: this.#stdio, bundleDir: this.#bundleDir }), warmKeeps, opts.spare ? [opts.spare] : []);
  }

  /**
   * Opens the agent: its database (recovering from a previous run: live keeps become `lost`,
   * their surviving processes are killed) and its keep runtime bundle.
   * @throws TypeError on bad options
   * @throws HostError ERR_CONFLICT when another live agent uses `stateDir`; ERR_INTERNAL when the
   *   database cannot be opened or the keep runtime is not built
   */
  static async open(opts: HostOptions = {}): Promise<Host> {
    if (opts.stdio !== undefined && opts.stdio !== 'pipe' && opts.stdio !== 'inherit') throw new TypeError("stdio must be 'pipe' or 'inherit'");
    let bundleDir: string;
    try {
      bundleDir = opts.bundleDir ?? keepBundleDir();
    } catch (err) {
      throw new HostError('ERR_INTERNAL', `the keep runtime bundle is missing (run the build): ${(err as Error).message}`, { cause: err });
    }
    const store = await openKeepStore(opts.stateDir);
    let host: Host;
    try {
      host = new Host(store, opts, bundleDir);
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
    host.#log('host.open', { persistent: opts.stateDir !== undefined, stdio: host.#stdio });
    host.#warm.refill();
    if (opts.defaultBackend) host.#rememberBackend(opts.backend ?? '', opts.defaultBackend);
    // Prepare the default backend and the launch measurement now, while keeps boot; a failure
    // here is reported by the first createKeep (neither result is cached when it fails).
    host.#backendFor(undefined)
      .then((b) => b.prepare?.())
      .then(() => trace('host: default backend prepared'))
      .catch(() => {});
    host.#launchRecord().catch(() => {});
    return host;
  }

  /** Declares the keeps of a previous run `lost` and kills what is left of their processes. */
  #recover(): void {
    const now = this.#now();
    const boot = bootId();
    for (const rec of this.#store.live()) {
      if (this.#live.has(rec.id)) continue;
      let killed = false;
      if (rec.pid !== undefined && rec.pidStartTime !== undefined && rec.bootId !== undefined && rec.bootId === boot) {
        killed = killIfSameProcess({ pid: rec.pid, startTime: rec.pidStartTime, bootId: rec.bootId });
      }
      this.#store.update(rec.id, { state: 'lost', errorCode: KeepFateCode.LOST, errorMessage: 'the host agent stopped while this keep was live' }, now);
      this.#log('keep.lost', { keep: rec.id, tenant: rec.tenant, previousState: rec.state, killed });
    }
  }

  /** The largest sealed package this host accepts, in bytes. */
  get maxPackageBytes(): number {
    return this.#maxPackageBytes;
  }

  /** The names of the backends available on this host. */
  async availableBackends(): Promise<BackendName[]> {
    const { backendStatuses } = await import('../backend/select.js');
    const statuses = await backendStatuses({ stateDir: this.#backendStateDir });
    return statuses.filter((s) => s.available).map((s) => s.name);
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

  #backendFor(name: BackendName | undefined): Promise<Backend> {
    const wanted = name ?? this.#defaultBackend;
    const key = wanted ?? '';
    let p = this.#backends.get(key);
    if (p === undefined) {
      // Loaded on first use: the backends bring the X.509 and report code (start-up cost for
      // in-process users such as `enarx run`).
      p = import('../backend/select.js').then(({ selectBackend }) => selectBackend(wanted, { stateDir: this.#backendStateDir }));
      this.#rememberBackend(key, p);
    }
    return p;
  }

  /** Keeps `p` as the backend for `key` while it does not fail: one unavailable now may be later. */
  #rememberBackend(key: string, p: Promise<Backend>): void {
    this.#backends.set(key, p);
    p.catch(() => {
      if (this.#backends.get(key) === p) this.#backends.delete(key);
    });
  }

  #launchRecord(): Promise<LaunchRecord> {
    if (this.#launch === undefined) {
      this.#launch = runtimeMeasurement(this.#bundleDir).then((m) => ({ measurement: m.measurement }));
      this.#launch.catch(() => (this.#launch = undefined));
    }
    return this.#launch;
  }

  /**
   * Spawns a keep on `req.backend`, has it make a key for `req.nonce` and attests it. The keep
   * then waits (`attested`) for its package; the client verifies the evidence before sealing.
   * @throws TypeError on a malformed request
   * @throws HostError ERR_BACKEND_UNAVAILABLE, ERR_ATTESTATION, ERR_SHUTTING_DOWN, ERR_INTERNAL
   */
  async createKeep(tenant: string, req: CreateKeepRequest): Promise<CreatedKeep> {
    this.#checkOpen();
    const { nonce, suite, limits, preopens } = checkCreateRequest(tenant, req);

    // A warm keep is asked for its key at once, while the backend and the launch measurement
    // are made ready (its answer waits in the channel).
    const spare = this.#warm.take();
    const request = spare?.attest(nonce, suite.name);
    if (spare) trace('host: warm keep asked for its key');
    request?.catch(() => {
      // Awaited in attestKeep; a keep that ends first is reported there.
    });
    let backend: Backend;
    let launch: LaunchRecord;
    try {
      [backend, launch] = await Promise.all([this.#backendFor(req.backend), this.#launchRecord()]);
      this.#checkOpen();
    } catch (err) {
      spare?.kill();
      if (err instanceof TypeError || err instanceof HostError) throw err;
      if (codeOf(err) === 'ERR_BACKEND_UNAVAILABLE') throw new HostError('ERR_BACKEND_UNAVAILABLE', (err as Error).message, { cause: err });
      throw new HostError('ERR_INTERNAL', `cannot prepare a keep: ${(err as Error).message}`, { cause: err });
    }

    const id = randomUUID();
    const created = this.#now();
    this.#store.insert({ id, tenant, backend: backend.name, kem: suite.name, state: 'starting', createdAt: created, updatedAt: created });
    this.#log('keep.create', { keep: id, tenant, backend: backend.name, kem: suite.name });

    const log = new EventLog(this.#outputBytes);
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
    let keepProcess: KeepProcess;
    // Events can arrive before `live` exists only in theory (the keep needs our request first).
    let live: LiveKeep | undefined;
    try {
      const onEvent = (e: KeepEvent): void => {
        if (live !== undefined) this.#onKeepEvent(live, e);
      };
      if (spare) spare.onEvent = onEvent;
      keepProcess = spare ?? new KeepProcess({
        stdio: this.#stdio,
        bundleDir: this.#bundleDir,
        onEvent,
      });
    } catch (err) {
      this.#store.update(id, { state: 'failed', errorCode: 'ERR_INTERNAL', errorMessage: cut(`cannot spawn the keep: ${(err as Error).message}`) }, this.#now());
      throw new HostError('ERR_INTERNAL', `cannot spawn the keep: ${(err as Error).message}`, { cause: err });
    }
    live = { id, tenant, process: keepProcess, log, ended, settled: false, delivering: false };
    this.#live.set(id, live);
    const identity = keepProcess.pid === undefined ? undefined : processIdentity(keepProcess.pid);
    if (identity !== undefined) this.#store.update(id, { pid: identity.pid, pidStartTime: identity.startTime, bootId: identity.bootId }, this.#now());
    keepProcess.stdout?.on('data', (b: Buffer) => log.appendOutput('stdout', b));
    keepProcess.stderr?.on('data', (b: Buffer) => log.appendOutput('stderr', b));
    const l = live;
    keepProcess.done
      .then(
        (outcome) => this.#onKeepDone(l, outcome.event, `status ${outcome.status ?? outcome.signal ?? 'unknown'}`),
        (err: unknown) => this.#onKeepDone(l, undefined, `spawn failed: ${(err as Error).message}`),
      )
      .catch((err: unknown) => this.#log('host.error', { keep: id, where: 'keep-done', code: codeOf(err) ?? 'ERR_INTERNAL' }))
      .finally(resolveEnded);

    let evidence: Evidence;
    let publicKey: Uint8Array;
    try {
      ({ evidence, publicKey } = await withTimeout(
        attestKeep(keepProcess, backend, launch, nonce, suite, request),
        this.#attestTimeoutMs,
        () => Object.assign(new Error(`the keep did not attest within ${this.#attestTimeoutMs} ms`), { code: 'ERR_TIMEOUT' }),
      ));
    } catch (err) {
      const message = `the keep could not attest: ${(err as Error).message}`;
      this.#endKeep(l, 'failed', { errorCode: KeepFateCode.ATTESTATION, errorMessage: cut(message) });
      this.#log('keep.attest-failed', { keep: id, code: codeOf(err) ?? 'ERR_INTERNAL' });
      const code = codeOf(err) === 'ERR_BACKEND_UNAVAILABLE' ? 'ERR_BACKEND_UNAVAILABLE' : 'ERR_ATTESTATION';
      throw new HostError(code, message, { cause: err });
    }

    const evidenceDigest = new Uint8Array(createHash('sha256').update(evidence.report).digest());
    const expiresAt = this.#now() + this.#abandonAfterMs;
    if (!this.#store.update(id, { state: 'attested', expiresAt }, this.#now(), ['starting'])) {
      throw new HostError('ERR_ATTESTATION', `the keep ended while attesting (${this.#store.get(tenant, id)?.errorCode ?? 'ERR_KEEP_CRASHED'})`);
    }
    try {
      keepProcess.launch({ keepId: id, evidenceDigest, preopens, limits });
    } catch (err) {
      this.#endKeep(l, 'failed', { errorCode: 'ERR_INTERNAL', errorMessage: cut(`cannot send the launch request: ${(err as Error).message}`) });
      throw new HostError('ERR_INTERNAL', `cannot launch the keep: ${(err as Error).message}`, { cause: err });
    }
    log.appendEvent({ type: 'state', state: 'attested' });
    l.expiry = setTimeout(() => this.#expire(l), this.#abandonAfterMs);
    l.expiry.unref();
    this.#log('keep.attested', { keep: id, evidenceBytes: evidence.report.length, publicKeyBytes: publicKey.length });
    return Object.freeze({ id, backend: backend.name, kem: suite.name, publicKey, evidence, state: 'attested', expiresAt: new Date(expiresAt) });
  }

  #onKeepEvent(live: LiveKeep, e: KeepEvent): void {
    if (e.type === 'started' && this.#store.update(live.id, { state: 'running', expiresAt: null }, this.#now(), ['attested'])) {
      live.log.appendEvent({ type: 'state', state: 'running' });
      this.#log('keep.state', { keep: live.id, state: 'running' });
    }
    // A keep sharing this process's stdio has written all of its output (synchronously) before
    // it reports its outcome, so the outcome stands now, not after the process has torn itself
    // down (~10 ms); the ending process no longer holds this one. With piped output the host
    // waits for the process to end, and so for the last of its output.
    if ((e.type === 'exit' || e.type === 'trap' || e.type === 'error') && this.#stdio === 'inherit' && !live.settled && live.endedBy === undefined) {
      this.#onKeepDone(live, e, 'reported');
      live.process.release();
    }
  }

  /** Records a verdict of the host's (killed, expired, failed) and kills the process. */
  #endKeep(live: LiveKeep, state: 'killed' | 'expired' | 'failed', patch: Omit<KeepPatch, 'state'> = {}): boolean {
    clearTimeout(live.expiry);
    const changed = this.#store.update(live.id, { ...patch, state }, this.#now());
    if (changed) {
      live.endedBy = state;
      this.#log('keep.state', { keep: live.id, state, code: patch.errorCode ?? null });
    }
    live.process.kill();
    return changed;
  }

  #expire(live: LiveKeep): void {
    if (live.delivering || live.settled) return;
    if (this.#endKeep(live, 'expired', { errorCode: KeepFateCode.EXPIRED, errorMessage: `no package arrived within ${this.#abandonAfterMs} ms` })) {
      this.#log('keep.expired', { keep: live.id });
    }
  }

  /** The keep process ended: record the outcome (unless the host already had), finish the log. */
  #onKeepDone(live: LiveKeep, event: KeepEvent | undefined, how: string): void {
    if (live.settled) return;
    clearTimeout(live.expiry);
    live.settled = true;
    const now = this.#now();
    const { state, patch, events } = verdictOf(event, how);
    const changed = this.#store.update(live.id, { ...patch, state }, now);
    const rec = this.#store.get(live.tenant, live.id);
    const final = rec?.state ?? live.endedBy ?? state;
    if (changed) {
      if (patch.errorCode !== undefined && event === undefined) events.push({ type: 'error', code: patch.errorCode, message: patch.errorMessage ?? '' });
      this.#log('keep.state', { keep: live.id, state, code: patch.errorCode ?? null, exitCode: patch.exitCode ?? null });
    } else if (rec?.errorCode !== undefined && (final === 'expired' || final === 'failed')) {
      events.push({ type: 'error', code: rec.errorCode, message: rec.errorMessage ?? '' });
    }
    for (const e of events) live.log.appendEvent(e);
    live.log.appendEvent({ type: 'state', state: final });
    live.log.close();
    this.#log('keep.ended', { keep: live.id, state: final, stdoutBytes: live.log.written('stdout'), stderrBytes: live.log.written('stderr') });
    if (this.#closing === undefined) {
      live.retention = setTimeout(() => {
        live.log.discardOutput();
        this.#live.delete(live.id);
      }, this.#retentionMs);
      live.retention.unref();
    }
  }

  #liveOf(tenant: string, id: string): { rec: KeepRecord; live: LiveKeep | undefined } {
    const rec = typeof id === 'string' ? this.#store.get(tenant, id) : undefined;
    if (rec === undefined) throw new HostError('ERR_NOT_FOUND', 'no such keep');
    const live = this.#live.get(id);
    return { rec, live: live?.tenant === tenant ? live : undefined };
  }

  /**
   * Forwards a sealed package to an attested keep, slice by slice (≤ 1 MiB per control frame,
   * the last one flagged), waiting for the keep to take each slice before reading more of
   * `body`: the package is never held whole. The bytes are counted, never parsed or stored.
   * @throws HostError ERR_NOT_FOUND; ERR_CONFLICT when the keep is not waiting for a package
   *   or ends while receiving it; ERR_TOO_LARGE beyond `maxPackageBytes` (the keep is then
   *   killed); ERR_BAD_REQUEST when `body` fails (the keep is then killed)
   */
  async deliverPackage(tenant: string, id: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    this.#checkOpen();
    const { rec, live } = this.#liveOf(tenant, id);
    if (rec.state !== 'attested' || live === undefined || live.delivering || live.settled) {
      throw new HostError('ERR_CONFLICT', rec.state === 'attested' ? 'a package is already being delivered to this keep' : `the keep is ${rec.state}, not waiting for a package`);
    }
    live.delivering = true;
    clearTimeout(live.expiry);
    this.#log('keep.package-start', { keep: id });
    const ended = live.ended.then(() => {
      const now = this.#store.get(tenant, id);
      throw new HostError('ERR_CONFLICT', `the keep ended while receiving its package (${now?.state ?? 'gone'}${now?.errorCode ? `: ${now.errorCode}` : ''})`);
    });
    ended.catch(() => {});
    const send = async (slice: Uint8Array, last: boolean): Promise<void> => {
      try {
        await Promise.race([live.process.sendPackage(slice, last), ended]);
      } catch (err) {
        if (err instanceof HostError) throw err;
        // The channel broke: the keep is ending; report how it ended.
        await ended;
      }
    };
    let total = 0;
    let pending: Uint8Array | undefined;
    try {
      for await (const chunk of body) {
        if (!(chunk instanceof Uint8Array)) throw new TypeError('body must yield Uint8Array chunks');
        total += chunk.length;
        if (total > this.#maxPackageBytes) {
          throw new HostError('ERR_TOO_LARGE', `the package is larger than this host accepts (${this.#maxPackageBytes} bytes)`);
        }
        for (let at = 0; at < chunk.length; at += PACKAGE_SLICE_BYTES) {
          if (pending !== undefined) await send(pending, false);
          pending = chunk.subarray(at, Math.min(chunk.length, at + PACKAGE_SLICE_BYTES));
        }
        if (live.settled || live.endedBy !== undefined) await ended;
      }
      await send(pending ?? new Uint8Array(0), true);
    } catch (err) {
      this.#store.update(id, { packageBytes: total }, this.#now(), ['attested', 'running', 'failed', 'exited', 'trapped', 'killed', 'expired']);
      if (err instanceof HostError && err.code === 'ERR_CONFLICT') {
        this.#log('keep.package-refused', { keep: id, bytes: total });
        throw err;
      }
      if (err instanceof HostError && err.code === 'ERR_TOO_LARGE') {
        this.#endKeep(live, 'failed', { errorCode: KeepFateCode.TOO_LARGE, errorMessage: err.message, packageBytes: total });
        throw err;
      }
      if (err instanceof TypeError) {
        this.#endKeep(live, 'failed', { errorCode: KeepFateCode.PACKAGE_INCOMPLETE, errorMessage: 'the package body was not bytes', packageBytes: total });
        throw err;
      }
      this.#endKeep(live, 'failed', { errorCode: KeepFateCode.PACKAGE_INCOMPLETE, errorMessage: 'the package upload stopped before its end', packageBytes: total });
      this.#log('keep.package-incomplete', { keep: id, bytes: total });
      throw new HostError('ERR_BAD_REQUEST', 'the package upload stopped before its end', { cause: err });
    }
    const running = this.#store.update(id, { state: 'running', packageBytes: total, expiresAt: null }, this.#now(), ['attested']);
    if (!running) this.#store.update(id, { packageBytes: total }, this.#now(), ['running']);
    if (running) live.log.appendEvent({ type: 'state', state: 'running' });
    this.#log('keep.package', { keep: id, bytes: total });
  }

  /** A tenant's keep. @throws HostError ERR_NOT_FOUND (also for another tenant's keep) */
  getKeep(tenant: string, id: string): KeepInfo {
    return toInfo(this.#liveOf(tenant, id).rec);
  }

  /** A tenant's keeps, oldest first. */
  listKeeps(tenant: string): KeepInfo[] {
    return this.#store.list(tenant).map(toInfo);
  }

  /**
   * Ends a keep: a live one is killed (`killed`, and its record stays); a finished one is
   * forgotten (record and output). Returns the keep's info as of the call's end.
   * @throws HostError ERR_NOT_FOUND
   */
  async killKeep(tenant: string, id: string): Promise<KeepInfo> {
    const { rec, live } = this.#liveOf(tenant, id);
    if (!isTerminal(rec.state)) {
      if (live !== undefined) {
        if (this.#endKeep(live, 'killed')) this.#log('keep.killed', { keep: id });
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
      live.log.discardOutput();
      this.#live.delete(id);
    }
    this.#store.delete(tenant, id);
    this.#log('keep.forgotten', { keep: id });
    return info;
  }

  /**
   * A keep's stdout, stderr and lifecycle events: what was retained so far, then live, ending
   * once the keep has ended. A keep whose output is gone (finished long ago, or from a previous
   * run of the agent) yields its outcome and final state only.
   * @throws HostError ERR_NOT_FOUND
   */
  events(tenant: string, id: string, opts: KeepEventsOptions = {}): AsyncIterable<KeepStreamEvent> {
    const { rec, live } = this.#liveOf(tenant, id);
    if (live !== undefined) return live.log.read(opts.after ?? 0, opts.signal);
    const final: KeepStreamEvent[] = [];
    if (rec.exitCode !== undefined) final.push({ type: 'exit', code: rec.exitCode });
    if (rec.errorCode !== undefined) final.push({ type: 'error', code: rec.errorCode, message: rec.errorMessage ?? '' });
    final.push({ type: 'state', state: rec.state });
    return (async function* () {
      yield* final;
    })();
  }

  /** Resolves with the keep's info once it has ended. @throws HostError ERR_NOT_FOUND */
  async waitForExit(tenant: string, id: string): Promise<KeepInfo> {
    const { live } = this.#liveOf(tenant, id);
    if (live !== undefined) await live.ended;
    return this.getKeep(tenant, id);
  }

  /**
   * Stops the agent: no new keeps or packages, every live keep killed (`killed`), the
   * database closed. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#warm.close();
      const waits: Promise<void>[] = [];
      let killed = 0;
      for (const live of this.#live.values()) {
        clearTimeout(live.expiry);
        clearTimeout(live.retention);
        if (!live.settled) {
          if (this.#endKeep(live, 'killed', { errorCode: KeepFateCode.SHUTDOWN, errorMessage: 'the host agent shut down' })) killed++;
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
