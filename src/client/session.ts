/**
 * The client's side of the sealed session with its keep (crypto/session.ts): reading the keep's
 * stream through the untrusted host, opening each record in order and handing on only what
 * authenticates; and sealing what the client sends (stdin) as input records.
 *
 * What the host says in plain text (states, failures, records it dropped) is reported as the
 * host's word: it can make a deploy fail, never succeed with output or an outcome the keep did
 * not send.
 */
import { RecordOpener, RecordSealer, SessionError } from '../crypto/session.js';
import type { DirectionKeys } from '../crypto/session.js';
import type { KeepStreamEvent } from '../protocol/http.js';
import { decodeOutcome } from '../protocol/outcome.js';
import type { Outcome } from '../protocol/outcome.js';
import { MAX_RECORD_PLAINTEXT, OUTPUT_KINDS, RecordKind, decodeSegments } from '../protocol/records.js';
import type { OutputStreamName } from '../protocol/records.js';
import { DeployError } from './errors.js';

/** Options of {@link followKeep}. */
export interface FollowOptions {
  /** Receives each piece of authenticated output, in order. */
  readonly onOutput?: (stream: OutputStreamName, data: Uint8Array) => void;
  /**
   * Records the host no longer holds. Without this, a gap fails the follow (ERR_OUTPUT_DROPPED):
   * a deploy must see everything. With it (`enarx keep logs`), the client is told and goes on.
   */
  readonly onDropped?: (records: number, bytes: number) => void;
  /** Told each state the host reports (not authenticated). */
  readonly onState?: (state: string) => void;
  /** Told when the keep says its workload wants stdin (the host's word: it can only delay it). */
  readonly onInputWanted?: () => void;
}

/**
 * Follows a keep's stream to its sealed outcome. @throws SessionError for a record that does not
 * open in order; DeployError when the stream ends without the outcome (killed, failed,
 * truncated) or loses records; the stream's own error (HostApiError) when it breaks
 */
export async function followKeep(events: AsyncIterable<KeepStreamEvent>, keys: DirectionKeys, opts: FollowOptions = {}): Promise<Outcome> {
  const opener = new RecordOpener(keys, OUTPUT_KINDS, RecordKind.OUTCOME);
  let hostFailure: { code: string; message: string } | undefined;
  let lastState: string | undefined;
  let skipTo: bigint | undefined;
  for await (const e of events) {
    switch (e.type) {
      case 'record': {
        if (skipTo !== undefined) {
          // The host dropped records before this one: the next to open is the one it holds.
          const seq = new DataView(e.record.buffer, e.record.byteOffset + 5, 8).getBigUint64(0);
          if (seq >= opener.seq) opener.skip(Number(seq - opener.seq));
          skipTo = undefined;
        }
        const opened = opener.open(e.record);
        if (opened.kind === RecordKind.OUTCOME) {
          const outcome = decodeOutcome(opened.plaintext);
          if (typeof outcome === 'string') throw new SessionError('ERR_RECORD_FORMAT', outcome);
          return outcome;
        }
        const segments = decodeSegments(opened.plaintext);
        if (typeof segments === 'string') throw new SessionError('ERR_RECORD_FORMAT', segments);
        for (const s of segments) opts.onOutput?.(s.stream, s.data);
        break;
      }
      case 'dropped':
        if (!opts.onDropped) {
          throw new DeployError('ERR_OUTPUT_DROPPED', `the host no longer holds ${e.records} records (${e.bytes} bytes) of this keep's output`);
        }
        opts.onDropped(e.records, e.bytes);
        skipTo = 0n;
        break;
      case 'state':
        lastState = e.state;
        opts.onState?.(e.state);
        break;
      case 'input-wanted':
        opts.onInputWanted?.();
        break;
      case 'error':
        hostFailure = { code: e.code, message: e.message };
        break;
    }
  }
  throw endedWithoutOutcome(lastState, hostFailure);
}

function endedWithoutOutcome(state: string | undefined, failure: { code: string; message: string } | undefined): Error {
  const reason = failure ? `: ${failure.message} [${failure.code}]` : '';
  if (state === 'killed') return new DeployError('ERR_KEEP_KILLED', `the host says it killed the keep${reason}`, failure?.code ?? 'killed');
  if (state === 'failed' || state === 'expired' || state === 'lost') {
    return new DeployError('ERR_KEEP_FAILED', `the host says the keep ${state === 'failed' ? 'failed' : `is ${state}`}${reason}`, failure?.code ?? state);
  }
  if (state === 'ended') return new DeployError('ERR_OUTPUT_TRUNCATED', "the host says the keep ended, but its stream ends without the keep's sealed outcome: cut short or altered");
  return new DeployError('ERR_OUTPUT_TRUNCATED', "the keep's stream ended without its sealed outcome: cut short by the host or the network");
}

/**
 * Seals `input` (the client's stdin) as input records of at most 64 KiB each, then the end of
 * input: what the host forwards to the keep, unreadable and unalterable to it.
 */
export async function* sealInput(keys: DirectionKeys, input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const sealer = new RecordSealer(keys);
  for await (const chunk of input) {
    for (let at = 0; at < chunk.length; at += MAX_RECORD_PLAINTEXT) yield sealer.seal(RecordKind.INPUT, chunk.subarray(at, at + MAX_RECORD_PLAINTEXT));
  }
  yield sealer.seal(RecordKind.INPUT_END, new Uint8Array(0));
}
