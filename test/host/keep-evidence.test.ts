/**
 * A keep's requests for evidence while it runs, as its host answers them: its own platform over
 * the report data it chose, at most 2 at a time and 30 a minute, every failure an evidence-error
 * and none the host's. The end-to-end case plays a hostile keep over a real host agent's control
 * channel (an adopted "keep" whose process is a `sleep` this test owns).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { after, test } from 'node:test';
import { createBackend } from '../../src/backend/index.js';
import type { Backend, LaunchRecord } from '../../src/backend/index.js';
import { BackendError } from '../../src/backend/errors.js';
import { Host } from '../../src/host/host.js';
import { KeepEvidence } from '../../src/host/keep-evidence.js';
import type { KeepProcess } from '../../src/host/keep-process.js';
import { checkEvidence } from '../../src/protocol/evidence.js';
import type { Evidence } from '../../src/protocol/evidence.js';
import { encodeFrame, FrameDecoder } from '../../src/protocol/frames.js';
import { adoptedKeep, cleanup, tempDir } from './support.js';

after(cleanup);

const launch: LaunchRecord = { measurement: new Uint8Array(48).fill(7) };
const request = (id: number) => ({ type: 'evidence-request' as const, id, reportData: randomBytes(64).toString('hex') });
const EVIDENCE: Evidence = Object.freeze({ backend: 'sim', format: 'sev-snp', report: new Uint8Array(8), certs: [] });

/** A backend whose attest calls wait until the test releases them. */
function gatedBackend(): { backend: Backend; release: () => void; calls: () => number } {
  let calls = 0;
  let open!: () => void;
  let gate = new Promise<void>((r) => (open = r));
  const backend = {
    name: 'sim' as const,
    availability: async () => ({ available: true }),
    platformInfo: async () => ({ backend: 'sim' }),
    attest: async () => {
      calls++;
      await gate;
      return EVIDENCE;
    },
  };
  return {
    backend,
    release: () => {
      open();
      gate = new Promise<void>((r) => (open = r));
    },
    calls: () => calls,
  };
}

test('at most 2 requests at a time: a third is refused at once, and a slot frees when one is answered', async () => {
  const { backend, release, calls } = gatedBackend();
  const desk = new KeepEvidence(backend, launch);
  const first = desk.answer(request(1));
  const second = desk.answer(request(2));
  const third = await desk.answer(request(3));
  assert.deepEqual({ type: third.type, id: third.id, code: third.type === 'evidence-error' ? third.code : '' }, { type: 'evidence-error', id: 3, code: 'ERR_EVIDENCE_BUSY' });
  assert.equal(calls(), 2, 'the refused request never reached the platform');
  release();
  assert.equal((await first).type, 'evidence');
  assert.equal((await second).type, 'evidence');
  const fourth = desk.answer(request(4));
  release();
  const answered = await fourth;
  assert.equal(answered.type, 'evidence');
  assert.deepEqual(checkEvidence((answered as { evidence: unknown }).evidence, 'evidence'), EVIDENCE, 'the answer is in the JSON form');
});

test('at most 30 a minute: the 31st is refused until the first is a minute old', async () => {
  let now = 1_000_000;
  const sim = { ...gatedBackend().backend, attest: async () => EVIDENCE };
  const desk = new KeepEvidence(sim, launch, () => now);
  for (let i = 0; i < 30; i++) {
    assert.equal((await desk.answer(request(i))).type, 'evidence', `request ${i}`);
    now += 1000;
  }
  const over = await desk.answer(request(30));
  assert.equal(over.type === 'evidence-error' && over.code, 'ERR_EVIDENCE_RATE');
  now = 1_000_000 + 60_000; // the first request is a minute old
  assert.equal((await desk.answer(request(31))).type, 'evidence');
  assert.equal((await desk.answer(request(32))).type === 'evidence-error', true, 'the second is not a minute old yet');
});

test('nil has no evidence, and a failing platform is an evidence-error, never a rejection', async () => {
  const nil = new KeepEvidence(createBackend('nil'), launch);
  const answer = await nil.answer(request(9));
  assert.equal(answer.type === 'evidence-error' && answer.code, 'ERR_EVIDENCE_UNAVAILABLE');
  for (const failure of [new BackendError('ERR_BACKEND_IO', 'the device is gone'), new TypeError('bad'), 'a string']) {
    const broken = new KeepEvidence({ ...gatedBackend().backend, attest: () => Promise.reject(failure) }, launch);
    const a = await broken.answer(request(1));
    assert.equal(a.type === 'evidence-error' && a.code, 'ERR_EVIDENCE_FAILED', String(failure));
  }
});

/** The keep side of a control channel, played by the test. */
class FakeKeep {
  readonly frames: Record<string, unknown>[] = [];
  #waiters: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) this.frames.push(f.header as Record<string, unknown>);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  send(header: Record<string, unknown>): void {
    this.socket.write(encodeFrame(header));
  }

  /** Waits until `pred` holds of the frames received. */
  async until(pred: (frames: Record<string, unknown>[]) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!pred(this.frames)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.map((f) => f['type']))}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  answers(): Record<string, unknown>[] {
    return this.frames.filter((f) => f['type'] === 'evidence' || f['type'] === 'evidence-error');
  }
}

/** A "keep" the host adopts (support.ts), played by a FakeKeep. */
async function adoptedFakeKeep(): Promise<{ process: KeepProcess; keep: FakeKeep; sleeper: ChildProcess }> {
  const { process, keepSide, sleeper } = await adoptedKeep();
  return { process, keep: new FakeKeep(keepSide), sleeper };
}

test('a keep flooding its host with requests for evidence gets evidence-errors; the host lives on', { timeout: 60_000 }, async () => {
  const { process: adopted, keep, sleeper } = await adoptedFakeKeep();
  let now = Date.now();
  const host = await Host.open({ backend: 'sim', backendStateDir: tempDir(), spare: adopted, now: () => now });
  try {
    // Before its launch, a keep gets no evidence this way.
    keep.send(request(100));
    await keep.until((f) => f.some((x) => x['id'] === 100), 'the early answer');
    assert.equal(keep.answers()[0]!['code'], 'ERR_EVIDENCE_UNAVAILABLE');

    const created = host.createKeep('alice', { nonce: randomBytes(32), backend: 'sim' });
    await keep.until((f) => f.some((x) => x['type'] === 'attest'), 'attest');
    keep.send({ type: 'attestation-request', reportData: randomBytes(64).toString('hex'), publicKey: randomBytes(32).toString('hex'), kem: 'x25519' });
    const { id } = await created;
    await keep.until((f) => f.some((x) => x['type'] === 'launch'), 'launch');

    // A burst: two are answered with the platform's evidence, the rest refused at once.
    for (let i = 0; i < 50; i++) keep.send(request(i));
    await keep.until((f) => keep.answers().filter((x) => typeof x['id'] === 'number' && (x['id'] as number) < 50).length === 50, '50 answers');
    const burst = keep.answers().filter((x) => (x['id'] as number) < 50);
    const evidence = burst.filter((x) => x['type'] === 'evidence');
    assert.ok(evidence.length >= 2 && evidence.length < 50, `${evidence.length} answered`);
    assert.ok(burst.filter((x) => x['type'] === 'evidence-error').every((x) => x['code'] === 'ERR_EVIDENCE_BUSY' || x['code'] === 'ERR_EVIDENCE_RATE'));
    assert.equal(checkEvidence(evidence[0]!['evidence'], 'evidence').backend, 'sim', 'real evidence from the keep\'s platform');

    // One at a time, up to 30 a minute, then ERR_EVIDENCE_RATE until a minute has passed.
    let rate = 0;
    for (let i = 200; i < 240 && rate === 0; i++) {
      keep.send(request(i));
      await keep.until(() => keep.answers().some((x) => x['id'] === i), `answer ${i}`);
      if (keep.answers().find((x) => x['id'] === i)!['code'] === 'ERR_EVIDENCE_RATE') rate = i;
    }
    assert.ok(rate > 0, 'the rate limit was reached');
    assert.equal(keep.answers().filter((x) => x['type'] === 'evidence').length, 30, '30 answered in the minute');
    now += 61_000;
    keep.send(request(300));
    await keep.until(() => keep.answers().some((x) => x['id'] === 300), 'answer 300');
    assert.equal(keep.answers().find((x) => x['id'] === 300)!['type'], 'evidence', 'answered again a minute later');
    assert.equal(host.getKeep('alice', id).state, 'attested', 'the keep itself is unaffected');

    // A malformed request breaks the protocol: that keep is failed, and only that keep.
    keep.send({ type: 'evidence-request', id: 1, reportData: 'zz' });
    const ended = await host.waitForExit('alice', id);
    assert.equal(ended.state, 'failed');
    assert.equal(ended.error?.code, 'ERR_PROTOCOL');
    assert.deepEqual(await host.availableBackends().then((b) => b.includes('sim')), true, 'the host still answers');
  } finally {
    await host.close();
    sleeper.kill('SIGKILL');
  }
});
