/**
 * Helpers for the host agent tests: an agent (Host + HTTP on 127.0.0.1:0) with two tenants and
 * a captured log, an HTTP helper, an SSE reader and a sealing client.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followKeep } from '../../src/client/session.js';
import { encodePackage } from '../../src/crypto/package.js';
import { sealPackage } from '../../src/crypto/seal.js';
import type { SessionKeys } from '../../src/crypto/session.js';
import { findSuite } from '../../src/crypto/suites.js';
import { Host } from '../../src/host/host.js';
import type { HostOptions } from '../../src/host/host-types.js';
import { serveHost } from '../../src/host/http.js';
import { decodeStreamEvent, encodeCreatedKeep } from '../../src/protocol/http.js';
import type { CreatedKeep, KeepStreamEvent } from '../../src/protocol/http.js';
import type { Outcome } from '../../src/protocol/outcome.js';
import type { HostServer } from '../../src/host/http.js';
import { KeepProcess } from '../../src/host/keep-process.js';
import { jsonLineLogger } from '../../src/host/log.js';
import { TenantAuth, parseTokenFile } from '../../src/host/tokens.js';
import { REPO_ROOT } from '../support/vectors.js';

export { REPO_ROOT };
export const WORKLOADS = join(REPO_ROOT, 'test', 'workloads', 'bin');
export const ENARX = join(REPO_ROOT, 'bin', 'enarx.js');

/** Two tenants. */
export const TOKENS = { alice: 'alice-token-0123456789abcdef', bob: 'bob-token-0123456789abcdef' } as const;
export type Tenant = keyof typeof TOKENS;

const made: string[] = [];

/** A fresh temporary folder, removed by {@link cleanup}. */
export function tempDir(prefix = 'enarx-host-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes the folders made by {@link tempDir}. */
export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A running agent. */
export interface Agent {
  readonly host: Host;
  readonly server: HostServer;
  readonly url: string;
  /** Log lines (JSON). */
  readonly logs: string[];
  /** An HTTP request as `tenant` (undefined: no Authorization header). */
  api(tenant: Tenant | undefined, method: string, path: string, init?: { json?: unknown; body?: string | Uint8Array; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

/** Starts a Host (default: nil backend, in-memory database) behind HTTP on 127.0.0.1:0. */
export async function startAgent(opts: HostOptions = {}): Promise<Agent> {
  const logs: string[] = [];
  const logger = jsonLineLogger((line) => void logs.push(line));
  const host = await Host.open({ backend: 'nil', logger, ...opts });
  const auth = new TenantAuth(parseTokenFile(JSON.stringify({ tenants: TOKENS })));
  const server = await serveHost({ host, auth, hostname: '127.0.0.1', port: 0, logger });
  return {
    host,
    server,
    url: server.url,
    logs,
    api: (tenant, method, path, init = {}) => {
      const headers: Record<string, string> = { ...init.headers };
      if (tenant !== undefined) headers['authorization'] = `Bearer ${TOKENS[tenant]}`;
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    },
    close: async () => {
      const closing = server.close(1000);
      await host.close();
      await closing;
    },
  };
}

/** A fresh nonce as hex. */
export function nonceHex(): string {
  return randomBytes(32).toString('hex');
}

/** Asserts an error answer with `status` and `code`; returns the body. */
export async function assertError(res: Response, status: number, code: string): Promise<{ error: { code: string; message: string } }> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, text);
  assert.equal(typeof body.error.message, 'string');
  return body;
}

/** JSON of a successful answer with `status`. */
export async function okJson<T = Record<string, unknown>>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

/** One server-sent event. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

/** Reads a whole event stream (until the server ends it). */
export async function readSse(res: Response): Promise<SseEvent[]> {
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const text = await res.text();
  const out: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    let id: string | undefined;
    let any = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      any = true;
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (any) out.push(id === undefined ? { event, data: data.join('\n') } : { event, data: data.join('\n'), id });
  }
  return out;
}

/** Server-sent events as the stream events they carry (unknown ones dropped). */
export function decodeSse(events: readonly SseEvent[]): KeepStreamEvent[] {
  return events.flatMap((e) => decodeStreamEvent(e.event, e.data, e.id) ?? []);
}

/** What a client with the session's keys reads from a keep's stream. */
export interface Opened {
  readonly stdout: string;
  readonly stderr: string;
  /** The sealed outcome, when the stream had it. */
  readonly outcome?: Outcome;
  /** Why there is none (a DeployError, SessionError...). */
  readonly error?: Error & { code?: string };
}

/** Opens a keep's stream with the session's keys, as a client would. */
export async function openStream(events: Iterable<KeepStreamEvent> | AsyncIterable<KeepStreamEvent>, keys: SessionKeys, lenient = false): Promise<Opened> {
  const out = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };
  const source = (async function* () {
    yield* events;
  })();
  const text = (s: 'stdout' | 'stderr'): string => Buffer.concat(out[s]).toString('utf8');
  try {
    const outcome = await followKeep(source, keys.output, { onOutput: (s, d) => void out[s].push(d), ...(lenient ? { onDropped: () => {} } : {}) });
    return { stdout: text('stdout'), stderr: text('stderr'), outcome };
  } catch (err) {
    return { stdout: text('stdout'), stderr: text('stderr'), error: err as Error };
  }
}

/** The created-keep answer. */
export interface CreatedJson {
  id: string;
  backend: string;
  kem: 'x25519' | 'x-wing';
  publicKey: string;
  evidence: { backend: string; format: string; report: string; certs: string[]; trustRoots?: string[] };
  state: string;
  expiresAt: string;
}

/** A keep `Host.createKeep` created, as the HTTP API presents it (what a client seals to). */
export function asJson(k: CreatedKeep): CreatedJson {
  return encodeCreatedKeep(k) as unknown as CreatedJson;
}

/** A package sealed to a keep, and the session's keys. */
export interface Sealed {
  readonly body: Buffer;
  readonly keys: SessionKeys;
}

/** Seals `wasm` (with `args`; `input`: the client will stream stdin) to a created keep, as a client would. */
export async function sealFor(created: CreatedJson | CreatedKeep, wasm: Uint8Array, args: string[] = [], input = false): Promise<Sealed> {
  const c = 'state' in created && created.publicKey instanceof Uint8Array ? asJson(created as CreatedKeep) : (created as CreatedJson);
  const suite = findSuite(c.kem);
  assert.ok(suite);
  const plaintext = encodePackage({ wasm, files: [], args, env: {}, fds: ['stdin', 'stdout', 'stderr'], ttys: [], input });
  const evidenceDigest = new Uint8Array(createHash('sha256').update(Buffer.from(c.evidence.report, 'base64')).digest());
  const sealed = await sealPackage(suite, Buffer.from(c.publicKey, 'base64'), c.id, evidenceDigest, plaintext);
  const parts: Uint8Array[] = [];
  for await (const p of sealed.chunks) parts.push(p);
  return { body: Buffer.concat(parts), keys: sealed.keys };
}

/** A workload module from test/workloads/bin. */
export function workload(name: string): Buffer {
  return readFileSync(join(WORKLOADS, name));
}

/** Every file under `dir` (recursively) with its bytes. */
export function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ path: p, bytes: readFileSync(p) });
    }
  };
  walk(dir);
  return out;
}

/** Whether process `pid` still runs (not gone, not a zombie). */
export function processRuns(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Polls `check` every 20 ms until it is true or `ms` pass; returns its last value. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A "keep" the host adopts: a `sleep` process the test owns stands for its process, and one end
 * of a socket pair is its channel; the test plays the keep on `keepSide`.
 */
export async function adoptedKeep(): Promise<{ process: KeepProcess; keepSide: Socket; sleeper: ChildProcess }> {
  const path = join(tempDir(), 'control');
  const server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((r) => server.listen(path, r));
  const control = connect(path);
  await new Promise((r) => control.once('connect', r));
  const keepSide = await accepted;
  server.close();
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  return { process: new KeepProcess({ adopt: { pid: sleeper.pid!, control } }), keepSide, sleeper };
}
