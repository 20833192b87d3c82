/**
 * A host that tampers with what a keep sends its client: every alteration of the keep's stream
 * (a flipped bit, a dropped, reordered, replayed, invented or foreign record, a stream cut short,
 * a forged outcome) is detected by the client every time, with a stable code, and no byte the
 * keep did not send reaches the client's output. The host can stop a deploy; it cannot make one
 * say anything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { loadReferenceValues } from '../../src/attestation/reference-values.js';
import { deploy } from '../../src/client/deploy.js';
import type { KeepTrustPolicy } from '../../src/client/verify-keep.js';
import type { Package } from '../../src/crypto/package.js';
import { openEmbeddedHost } from '../../src/host/embedded.js';
import type { EmbeddedHost } from '../../src/host/embedded.js';
import type { HostApi } from '../../src/protocol/host-api.js';
import type { KeepStreamEvent } from '../../src/protocol/http.js';
import { REPO_ROOT } from '../support/vectors.js';

let stateDir: string;
let host: EmbeddedHost;
let trust: KeepTrustPolicy;

const bin = (name: string): Buffer => readFileSync(join(REPO_ROOT, 'test', 'workloads', 'bin', name));
const pkg = (wasm: Buffer, args: string[] = []): Package => ({ wasm, files: [], args: ['w', ...args], env: {}, fds: ['stdin', 'stdout', 'stderr'], ttys: [] });
const GENUINE = 'Hello, world!\n';

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'enarx-hostile-'));
  host = await openEmbeddedHost({ backendStateDir: stateDir });
  trust = { sim: 'presented', referenceValues: await loadReferenceValues() };
});
after(async () => {
  await host.close();
  rmSync(stateDir, { recursive: true, force: true });
});

type Tamper = (events: KeepStreamEvent[]) => KeepStreamEvent[];

/** A host that collects each keep's whole stream, then hands the client `tamper`'s version of it. */
function hostile(tamper: Tamper): HostApi {
  return {
    ...host,
    events: (id, opts) =>
      (async function* () {
        const all: KeepStreamEvent[] = [];
        for await (const e of host.events(id, opts)) all.push(e);
        yield* tamper(all);
      })(),
  };
}

/** What a deploy through `api` gives: the output it let through and its outcome or error code. */
async function run(api: HostApi, wasm = bin('hello.wasm')): Promise<{ out: string; result: string }> {
  const out: Buffer[] = [];
  try {
    const r = await deploy(api, pkg(wasm), { trust, backend: 'sim', onOutput: (_, d) => out.push(Buffer.from(d)) });
    return { out: Buffer.concat(out).toString(), result: JSON.stringify(r.outcome) };
  } catch (err) {
    return { out: Buffer.concat(out).toString(), result: (err as { code?: string }).code ?? String(err) };
  }
}

const records = (events: KeepStreamEvent[]): (KeepStreamEvent & { type: 'record' })[] => events.filter((e): e is KeepStreamEvent & { type: 'record' } => e.type === 'record');
const withRecord = (e: KeepStreamEvent & { type: 'record' }, record: Uint8Array): KeepStreamEvent => ({ ...e, record });
const flipped = (r: Uint8Array, at: number): Uint8Array => {
  const b = Buffer.from(r);
  b[at]! ^= 1;
  return b;
};

test('an honest host: the genuine output and exit', async () => {
  assert.deepEqual(await run(hostile((e) => e)), { out: GENUINE, result: JSON.stringify({ type: 'exit', code: 0 }) });
});

test('a flipped bit in a record, in its ciphertext, tag, kind or sequence number, is refused; nothing forged is shown', async () => {
  for (const where of ['ciphertext', 'tag', 'kind', 'seq'] as const) {
    const r = await run(
      hostile((events) => {
        const first = records(events)[0]!;
        const at = where === 'ciphertext' ? 14 : where === 'tag' ? first.record.length - 1 : where === 'kind' ? 4 : 12;
        return events.map((e) => (e === first ? withRecord(first, flipped(first.record, at)) : e));
      }),
    );
    assert.equal(r.out, '', where);
    assert.match(r.result, /^ERR_RECORD_(AUTH|SEQUENCE|FORMAT)$/, where);
  }
});

test('a dropped, reordered or replayed record is refused', async () => {
  const drop = await run(hostile((events) => events.filter((e) => e !== records(events)[0])));
  assert.deepEqual(drop, { out: '', result: 'ERR_RECORD_SEQUENCE' });
  const reorder = await run(
    hostile((events) => {
      const [a, b] = records(events);
      return events.map((e) => (e === a ? b! : e === b ? a! : e));
    }),
  );
  assert.deepEqual(reorder, { out: '', result: 'ERR_RECORD_SEQUENCE' });
  const replay = await run(
    hostile((events) => {
      const first = records(events)[0]!;
      return events.flatMap((e) => (e === first ? [e, e] : [e]));
    }),
  );
  assert.deepEqual(replay, { out: GENUINE, result: 'ERR_RECORD_SEQUENCE' });
});

test('a stream cut short is truncated, not an exit, whatever state the host claims', async () => {
  const cut = await run(hostile((events) => events.slice(0, events.indexOf(records(events).at(-1)!))));
  assert.deepEqual(cut, { out: GENUINE, result: 'ERR_OUTPUT_TRUNCATED' });
  const claimsEnded = await run(hostile((events) => events.filter((e) => e !== records(events).at(-1))));
  assert.deepEqual(claimsEnded, { out: GENUINE, result: 'ERR_OUTPUT_TRUNCATED' });
  const nothing = await run(hostile(() => []));
  assert.deepEqual(nothing, { out: '', result: 'ERR_OUTPUT_TRUNCATED' });
});

test('an outcome the keep did not send is refused: invented, or replayed from another keep', async () => {
  // Invented: a well-formed outcome record under keys the host does not have.
  const invented = await run(
    hostile((events) => {
      const last = records(events).at(-1)!;
      const fake = Buffer.from(last.record);
      fake.fill(0x41, 13);
      return events.map((e) => (e === last ? withRecord(last, fake) : e));
    }),
  );
  assert.deepEqual(invented, { out: GENUINE, result: 'ERR_RECORD_AUTH' });
  // Another keep's genuine stream (exit 42), replayed into this deploy.
  const theirs: KeepStreamEvent[] = [];
  await deploy({ ...host, events: (id, o) => (async function* () {
    for await (const e of host.events(id, o)) {
      theirs.push(e);
      yield e;
    }
  })() }, pkg(bin('exit.wasm'), ['42']), { trust, backend: 'sim' });
  const foreign = await run(hostile(() => theirs));
  assert.deepEqual(foreign, { out: '', result: 'ERR_RECORD_AUTH' });
});

test('the host may say it killed the keep, or that it failed: reported as its word, never as an exit', async () => {
  const killed = await run(hostile((events) => [...events.filter((e) => e.type === 'state' && e.state !== 'ended'), { type: 'state', seq: 99, state: 'killed' }]));
  assert.deepEqual(killed, { out: '', result: 'ERR_KEEP_KILLED' });
  const failed = await run(hostile(() => [{ type: 'error', seq: 1, code: 'ERR_KEEP_CRASHED', message: 'it died' }, { type: 'state', seq: 2, state: 'failed' }]));
  assert.deepEqual(failed, { out: '', result: 'ERR_KEEP_FAILED' });
});

test('property: whatever bit the host flips, the client never accepts an outcome, and shows only genuine output', async () => {
  // One genuine stream, then many tampered replays of it (each deploy makes new keys, so each
  // property run flips a bit of a fresh stream at the same place).
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.nat(), async (which, bit) => {
      const r = await run(
        hostile((events) => {
          const rs = records(events);
          const target = rs[which % rs.length]!;
          const at = bit % (target.record.length * 8);
          const t = Buffer.from(target.record);
          t[at >> 3]! ^= 1 << (at & 7);
          return events.map((e) => (e === target ? withRecord(target, t) : e));
        }),
      );
      assert.ok(GENUINE.startsWith(r.out), `forged output: ${JSON.stringify(r.out)}`);
      assert.match(r.result, /^ERR_RECORD_/);
    }),
    { numRuns: 12 },
  );
});

test('input the host alters is refused by the keep, which tells the client under the session keys', async () => {
  const tampering: HostApi = {
    ...host,
    sendInput: (id, records, signal) =>
      host.sendInput(
        id,
        (async function* () {
          for await (const r of records) yield flipped(r, r.length - 1);
        })(),
        signal,
      ),
  };
  const out: Buffer[] = [];
  const r = await deploy(tampering, pkg(bin('cat.wasm')), {
    trust,
    backend: 'sim',
    input: (async function* () {
      yield Buffer.from('secret input\n');
    })(),
    onOutput: (_, d) => out.push(Buffer.from(d)),
  });
  assert.equal(Buffer.concat(out).toString(), '', 'the workload got nothing the host altered');
  assert.equal(r.outcome.type, 'error');
  assert.equal(r.outcome.type === 'error' && r.outcome.code, 'ERR_RECORD_AUTH');
});
