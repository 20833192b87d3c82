/**
 * What a keep does once its package has opened: the session with its client (crypto/session.ts:
 * output sealed by the pump, input opened in order into the workload's stdin ring) and the run of
 * the workload in the worker. Loaded while the host and the client work (after the attestation
 * request), apart from the code the keep needs to attest.
 */
import type { Worker } from 'node:worker_threads';
import { RecordOpener, RecordSealer } from '../crypto/session.js';
import { freeBuffer } from '../free-buffer.js';
import type { SessionKeys } from '../crypto/session.js';
import type { LaunchMessage } from '../protocol/control.js';
import { cutMessage } from '../protocol/errors.js';
import type { Outcome } from '../protocol/outcome.js';
import { RecordKind } from '../protocol/records.js';
import { RuntimeErrorCode } from '../runtime/errors.js';
import { Doorbell } from '../runtime/doorbell.js';
import { InputWriter, OutputReader, createRing } from '../runtime/stdio-ring.js';
import type { BoundPort } from '../protocol/sockets.js';
import type { RequestEvidence } from './evidence.js';
import { OutputPump } from './output-pump.js';
import type { SendRecord } from './output-pump.js';
import { loadPackageCode, runWorkload } from './workload.js';

export { loadPackageCode };

/** The session with the client. */
export interface Session {
  readonly sealer: RecordSealer;
  /** Opens the client's input records, in order. */
  readonly opener: RecordOpener;
  /** Seals the workload's output as it comes. */
  readonly pump: OutputPump;
  /** The workload's stdin. */
  readonly input: InputWriter;
}

/** What running the package needs from the keep. */
export interface RunContext {
  readonly launch: LaunchMessage;
  /** SHA-256 of the package, verified when it opened: the workload's identity. */
  readonly packageDigest: Uint8Array;
  readonly worker: Worker;
  readonly workerReady: Promise<void>;
  /** Sends a sealed record to the host. */
  readonly sendRecord: SendRecord;
  /** Asks the keep's platform, through the host, for evidence (its RA-TLS certificate). */
  readonly requestEvidence: RequestEvidence;
  /** Tells the host the workload has started. */
  readonly onStarted: () => void;
  /** Tells the host the workload asked for its input (the client streams it from then on). */
  readonly onInputWanted: () => void;
  /** Tells the host which ports the workload's listen sockets are bound to. */
  readonly onListening?: (ports: readonly BoundPort[]) => void;
}

/**
 * Opens the session for `keys` and starts the package `plaintext`: resolves with the session and
 * the workload's outcome to come (never rejecting: a package that does not decode is an outcome).
 */
export async function startRunning(keys: SessionKeys, plaintext: Uint8Array, ctx: RunContext): Promise<{ session: Session; outcome: Promise<Outcome> }> {
  const rings = { output: createRing(), input: createRing() };
  const bell = new Doorbell(Doorbell.memory());
  const sealer = new RecordSealer(keys.output);
  const session: Session = {
    sealer,
    opener: new RecordOpener(keys.input, [RecordKind.INPUT, RecordKind.INPUT_END], RecordKind.INPUT_END),
    pump: new OutputPump(new OutputReader(rings.output), sealer, ctx.sendRecord),
    input: new InputWriter(rings.input, bell),
  };
  const [{ decodePackage }] = await loadPackageCode();
  let pkg;
  try {
    pkg = decodePackage(plaintext);
  } catch (err) {
    return { session, outcome: Promise.resolve({ type: 'error', code: RuntimeErrorCode.PACKAGE, message: cutMessage((err as Error).message) }) };
  }
  // No input will come: the workload's stdin is empty. Input that will come is asked for once the
  // workload first wants it, so that a client reads none of its own stdin for a workload that
  // never reads (its next reader gets it all).
  if (!pkg.input) session.input.close();
  else void session.input.demanded().then(() => session.input.readerClosed || ctx.onInputWanted());
  const outcome = runWorkload(pkg, ctx.launch, pkg.ttys, {
    worker: ctx.worker,
    workerReady: ctx.workerReady,
    output: rings.output,
    input: rings.input,
    bell,
    requestEvidence: ctx.requestEvidence,
    packageDigest: ctx.packageDigest,
    onStarted: ctx.onStarted,
    ...(ctx.onListening ? { onListening: ctx.onListening } : {}),
  });
  return { session, outcome };
}

/** Opens one input record into the workload's stdin. @throws SessionError when it does not open */
export async function deliverInput(session: Session, record: Uint8Array): Promise<void> {
  const opened = session.opener.open(record);
  if (opened.kind !== RecordKind.INPUT) return session.input.close();
  await session.input.write(opened.plaintext);
  // Copied into the ring: its memory is the next record's (free-buffer.ts).
  freeBuffer(opened.plaintext);
}

/** The outcome record's pieces, sealed. */
export function sealOutcome(session: Session, outcome: Outcome): Buffer[] {
  return session.sealer.sealParts(RecordKind.OUTCOME, Buffer.from(JSON.stringify(outcome)));
}
