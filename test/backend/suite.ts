/**
 * The one test suite every backend passes (nil, sim, snp, tdx): availability, platform info,
 * evidence that binds the report data (checked with the real verifiers), argument checks.
 * Each backend's test file calls {@link backendSuite} with a fixture.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { verifyEvidence, type VerifyEvidenceOptions } from '../../src/attestation/verify.js';
import { BackendError } from '../../src/backend/errors.js';
import type { Backend, LaunchRecord } from '../../src/backend/types.js';
import type { Evidence } from '../../src/protocol/evidence.js';
import type { BackendName } from '../../src/protocol/names.js';

/** How to verify a backend's evidence. */
export interface FixtureVerifier {
  readonly format: 'sev-snp' | 'tdx';
  /** verifyEvidence options (certs, roots, time) for this evidence. */
  options(evidence: Evidence): VerifyEvidenceOptions;
  /** Where REPORT_DATA sits in the report (SNP 0x50; TDX v4 48 + 520). */
  readonly reportDataOffset: number;
  /** Codes a report with a flipped REPORT_DATA byte may fail with. */
  readonly tamperCodes: readonly string[];
}

/** A backend under test. */
export interface BackendFixture {
  readonly name: BackendName;
  /** A backend whose platform is available. */
  make(): Promise<Backend>;
  /** The same backend where its platform is not available (absent for nil: always available). */
  makeUnavailable?(): Promise<Backend>;
  /** Absent for backends without evidence (nil). */
  readonly verifier?: FixtureVerifier;
  /** Runs after each test (e.g. checks that no configfs entry was left behind). */
  afterEach?(): void | Promise<void>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const launch = (): LaunchRecord => ({ measurement: new Uint8Array(randomBytes(48)) });
const fresh = (): Uint8Array => new Uint8Array(randomBytes(64));

async function rejectsWithCode(p: Promise<unknown>, codes: readonly string[]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    assert.ok(typeof code === 'string' && codes.includes(code), `expected one of ${codes.join(', ')}, got ${String(code)}: ${(err as Error).message}`);
    return true;
  });
}

/** Registers the shared tests for `f`. */
export function backendSuite(f: BackendFixture): void {
  describe(`backend suite: ${f.name}`, () => {
    const run = (name: string, body: (b: Backend) => Promise<void>): void => {
      test(name, async () => {
        const b = await f.make();
        try {
          await body(b);
        } finally {
          await f.afterEach?.();
        }
      });
    };

    run('is named and available, without a reason', async (b) => {
      assert.equal(b.name, f.name);
      const a = await b.availability();
      assert.deepEqual({ ...a }, { available: true });
    });

    if (f.makeUnavailable) {
      test('unavailable: says why, and attest refuses with ERR_BACKEND_UNAVAILABLE', async () => {
        const b = await f.makeUnavailable!();
        const a = await b.availability();
        assert.equal(a.available, false);
        assert.ok(typeof a.reason === 'string' && a.reason.length > 10, String(a.reason));
        await rejectsWithCode(b.attest(fresh(), launch()), ['ERR_BACKEND_UNAVAILABLE']);
        await assert.rejects(b.attest(fresh(), launch()), BackendError);
      });
    }

    run('platformInfo: a JSON-friendly object naming the backend', async (b) => {
      const info = await b.platformInfo();
      assert.equal(info['backend'], f.name);
      assert.deepEqual(JSON.parse(JSON.stringify(info)), { ...info });
    });

    run('attest: evidence of the right backend and format, frozen', async (b) => {
      const e = await b.attest(fresh(), launch());
      assert.equal(e.backend, f.name);
      assert.equal(e.format, f.verifier?.format ?? 'none');
      assert.ok(Object.isFrozen(e) && Object.isFrozen(e.certs));
      assert.ok(e.report instanceof Uint8Array);
      for (const c of e.certs) assert.ok(c instanceof Uint8Array && c[0] === 0x30, 'certs are DER');
      if (f.verifier === undefined) {
        assert.equal(e.report.length, 0);
        assert.deepEqual(e.certs, []);
        assert.equal(e.trustRoots, undefined);
      } else {
        assert.ok(e.report.length > 0);
      }
    });

    if (f.verifier) {
      const v = f.verifier;
      run('attest binds the report data: the real verifier accepts it with that report data only', async (b) => {
        const rd = fresh();
        const e = await b.attest(rd, launch());
        const a = await verifyEvidence(e.report, { ...v.options(e), reportData: rd });
        assert.equal(a.reportData, hex(rd));
        const other = fresh();
        await rejectsWithCode(verifyEvidence(e.report, { ...v.options(e), reportData: other }), ['ERR_REPORT_DATA']);
      });

      run('what was checked is what is used: changing the caller\'s buffer afterwards changes nothing', async (b) => {
        const rd = fresh();
        const expected = hex(rd);
        const pending = b.attest(rd, launch());
        rd.fill(0);
        const e = await pending;
        assert.equal((await verifyEvidence(e.report, v.options(e))).reportData, expected);
      });

      run('concurrent requests each get their own report data', async (b) => {
        const datas = [fresh(), fresh(), fresh(), fresh()];
        const all = await Promise.all(datas.map((d) => b.attest(d, launch())));
        for (const [i, e] of all.entries()) {
          assert.equal((await verifyEvidence(e.report, v.options(e))).reportData, hex(datas[i]!));
        }
      });

      run('a flipped REPORT_DATA byte fails verification', async (b) => {
        const e = await b.attest(fresh(), launch());
        const bad = new Uint8Array(e.report);
        bad[v.reportDataOffset + 5]! ^= 0x01;
        await rejectsWithCode(verifyEvidence(bad, v.options(e)), v.tamperCodes);
      });
    }

    run('report data of the wrong size or type is a TypeError', async (b) => {
      for (const bad of [new Uint8Array(0), new Uint8Array(63), new Uint8Array(65), Array.from(new Uint8Array(64)), 'ab'.repeat(64), undefined]) {
        await assert.rejects(b.attest(bad as unknown as Uint8Array, launch()), TypeError);
      }
    });
  });
}
