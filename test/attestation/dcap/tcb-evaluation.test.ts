/**
 * TCB evaluation rules in isolation: level selection, the TDX tee_tcb_svn rule, the TDX module
 * identity, the QE identity checks, and Intel's status convergence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TcbStatus } from '../../../src/attestation/appraisal.js';
import { parseCollateral, parseSgxQuote, parseTdxQuote } from '../../../src/attestation/dcap/index.js';
import { evaluateQeIdentity, evaluateTcb } from '../../../src/attestation/dcap/tcb-evaluation.js';
import { convergeTcbStatus } from '../../../src/attestation/dcap/tcb-status.js';
import type { QeIdentity } from '../../../src/attestation/dcap/qe-identity.js';
import type { TcbInfo, TcbLevel } from '../../../src/attestation/dcap/tcb-info.js';
import type { TdReportBody } from '../../../src/attestation/dcap/report-body.js';
import { ownVector } from './helpers.js';

const UP = { status: 'UpToDate' as TcbStatus, advisoryIds: [] as string[] };
const code = (c: string) => (e: { code?: string }) => e.code === c;
const zeros = (n: number) => new Array<number>(n).fill(0);

function tdxInfo(levels: Partial<TcbLevel>[], extra: Partial<TcbInfo> = {}): TcbInfo {
  const base = parseCollateral(ownVector('tdx-collateral.json')).tcbInfo.value;
  return {
    ...base,
    tcbLevels: levels.map((l) => ({ sgxComponents: zeros(16), pceSvn: 0, tdxComponents: zeros(16), tcbDate: 'x', status: 'UpToDate', advisoryIds: [], ...l })),
    ...extra,
  };
}

function td(teeTcbSvn: number[]): TdReportBody {
  const body = parseTdxQuote(ownVector('tdx-v4.dat')).body.report;
  return { ...body, teeTcbSvn: Uint8Array.from([...teeTcbSvn, ...zeros(16 - teeTcbSvn.length)]) };
}

describe('convergeTcbStatus (QVL convergeTcbStatusWith*)', () => {
  it('follows Intel’s table', () => {
    const table: [TcbStatus, TcbStatus, TcbStatus][] = [
      ['UpToDate', 'UpToDate', 'UpToDate'],
      ['SWHardeningNeeded', 'UpToDate', 'SWHardeningNeeded'],
      ['UpToDate', 'OutOfDate', 'OutOfDate'],
      ['SWHardeningNeeded', 'OutOfDate', 'OutOfDate'],
      ['ConfigurationNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'],
      ['ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'],
      ['OutOfDate', 'OutOfDate', 'OutOfDate'],
      ['OutOfDateConfigurationNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'],
      ['UpToDate', 'Revoked', 'Revoked'],
      ['Revoked', 'UpToDate', 'Revoked'],
    ];
    for (const [platform, component, expected] of table) assert.equal(convergeTcbStatus(platform, component), expected, `${platform} + ${component}`);
  });
});

describe('evaluateTcb', () => {
  it('takes the first level whose SGX components and PCESVN are all met', () => {
    const info: TcbInfo = {
      ...tdxInfo([]),
      id: 'SGX',
      tcbLevels: [
        { sgxComponents: [5, ...zeros(15)], pceSvn: 1, tcbDate: 'a', status: 'UpToDate', advisoryIds: [] },
        { sgxComponents: [3, ...zeros(15)], pceSvn: 9, tcbDate: 'b', status: 'SWHardeningNeeded', advisoryIds: ['A'] },
        { sgxComponents: [3, ...zeros(15)], pceSvn: 1, tcbDate: 'c', status: 'OutOfDate', advisoryIds: ['B'] },
      ],
    };
    const r = evaluateTcb(info, { sgxComponents: [4, ...zeros(15)], pceSvn: 5 }, UP);
    assert.equal(r.status, 'OutOfDate');
    assert.deepEqual(r.advisoryIds, ['B']);
    assert.throws(() => evaluateTcb(info, { sgxComponents: [2, ...zeros(15)], pceSvn: 9 }, UP), code('ERR_TCB_NO_MATCH'));
  });

  it('TDX: compares tee_tcb_svn from byte 0, or from byte 2 when byte 1 (module version) is set', () => {
    const info = tdxInfo([
      { tdxComponents: [9, 0, 3, ...zeros(13)], status: 'UpToDate' },
      { tdxComponents: [0, 0, 1, ...zeros(13)], status: 'OutOfDate', advisoryIds: ['SA-1'] },
    ], { tdxModuleIdentities: [{ id: 'TDX_01', mrSigner: new Uint8Array(48), attributes: new Uint8Array(8), attributesMask: new Uint8Array(8).fill(0xff), tcbLevels: [{ isvSvn: 0, status: 'UpToDate', advisoryIds: [] }] }] });
    const platform = { sgxComponents: zeros(16), pceSvn: 0 };
    // Module version 0: byte 0 (2 < 9) counts, so the first level fails.
    assert.equal(evaluateTcb(info, { ...platform, td: td([2, 0, 3]) }, UP).status, 'OutOfDate');
    // Module version 1: bytes 0-1 are judged by the module identity instead.
    assert.equal(evaluateTcb(info, { ...platform, td: td([2, 1, 3]) }, UP).status, 'UpToDate');
    assert.throws(() => evaluateTcb(info, { ...platform, td: td([2, 1, 0]) }, UP), code('ERR_TCB_NO_MATCH'));
  });

  it('TDX module: missing identity, wrong MRSIGNERSEAM, or ISVSVN below every level', () => {
    const module = { id: 'TDX_03', mrSigner: new Uint8Array(48), attributes: new Uint8Array(8), attributesMask: new Uint8Array(8).fill(0xff), tcbLevels: [{ isvSvn: 5, status: 'UpToDate' as TcbStatus, advisoryIds: [] }] };
    const info = tdxInfo([{}], { tdxModuleIdentities: [module] });
    const platform = { sgxComponents: zeros(16), pceSvn: 0 };
    assert.throws(() => evaluateTcb(info, { ...platform, td: td([5, 1]) }, UP), code('ERR_TCB_MISMATCH'));
    assert.throws(() => evaluateTcb(info, { ...platform, td: td([4, 3]) }, UP), code('ERR_TCB_NO_MATCH'));
    assert.equal(evaluateTcb(info, { ...platform, td: td([5, 3]) }, UP).tdxModule?.id, 'TDX_03');
    const signed = { ...td([5, 3]), mrSignerSeam: new Uint8Array(48).fill(1) };
    assert.throws(() => evaluateTcb(info, { ...platform, td: signed }, UP), code('ERR_TCB_MISMATCH'));
    const { tdxModuleIdentities: _omit, ...noIdentities } = info;
    assert.throws(() => evaluateTcb(noIdentities, { ...platform, td: td([5, 3]) }, UP), code('ERR_COLLATERAL'));
  });

  it('folds the QE status in and merges advisories without duplicates', () => {
    const info = tdxInfo([{ status: 'ConfigurationNeeded', advisoryIds: ['SA-1', 'SA-2'] }]);
    const r = evaluateTcb(info, { sgxComponents: zeros(16), pceSvn: 0, td: td([0]) }, { status: 'OutOfDate', advisoryIds: ['SA-2', 'SA-3'] });
    assert.equal(r.status, 'OutOfDateConfigurationNeeded');
    assert.deepEqual(r.advisoryIds, ['SA-1', 'SA-2', 'SA-3']);
  });
});

describe('evaluateQeIdentity', () => {
  const qeReport = () => parseSgxQuote(ownVector('sgx-v3.dat')).signatureData.qeReport;
  const identity = (): QeIdentity => parseCollateral(ownVector('sgx-collateral.json')).qeIdentity.value;

  it('selects the first level at or below the QE ISVSVN', () => {
    assert.equal(evaluateQeIdentity(qeReport(), identity(), false).status, 'UpToDate');
    const r = evaluateQeIdentity({ ...qeReport(), isvSvn: 3 }, identity(), false);
    assert.equal(r.status, 'OutOfDate');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-90003']);
    assert.throws(() => evaluateQeIdentity({ ...qeReport(), isvSvn: 1 }, identity(), false), code('ERR_TCB_NO_MATCH'));
  });

  it('refuses a QE that is not the one the identity describes', () => {
    const attributes = qeReport().attributes.slice();
    attributes[0] = attributes[0]! | 0x02; // DEBUG
    const bad = [
      { ...qeReport(), mrSigner: new Uint8Array(32) },
      { ...qeReport(), isvProdId: 2 },
      { ...qeReport(), miscSelect: 1 },
      { ...qeReport(), attributes },
    ];
    for (const r of bad) assert.throws(() => evaluateQeIdentity(r, identity(), false), code('ERR_QE_REPORT'));
  });

  it('refuses an identity for the other TEE', () => {
    assert.throws(() => evaluateQeIdentity(qeReport(), identity(), true), code('ERR_COLLATERAL'));
  });
});
