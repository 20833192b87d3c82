/**
 * A progress bar for pushes and pulls of large packages: bytes, rate and time left, redrawn in
 * place at most ten times a second, on stderr when it is a terminal. Quiet with `--json` or when
 * stderr is not a terminal (a log or a pipe gets no carriage returns).
 */

import type { Progress } from '../registry/packages.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `123.4 MiB`. */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${UNITS[u]}`;
}

/** `1m05s`, `7s`. */
function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const t = Math.max(0, Math.round(s));
  return t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}

/** One line of the bar for `done` of `total` bytes, `elapsedMs` after the start, `width` columns. */
export function formatProgress(label: string, done: number, total: number, elapsedMs: number, width = 80): string {
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const left = rate > 0 ? (total - done) / rate : Infinity;
  const tail = ` ${formatBytes(done)} / ${formatBytes(total)}  ${formatBytes(Math.round(rate))}/s  ETA ${formatSeconds(left)}`;
  const head = `${label} `;
  const room = Math.max(10, width - head.length - tail.length - 2);
  const filled = total > 0 ? Math.min(room, Math.floor((done / total) * room)) : room;
  return `${head}[${'#'.repeat(filled)}${'-'.repeat(room - filled)}]${tail}`;
}

const QUIET: Progress = { start: () => {}, advance: () => {}, end: () => {} };

/** A progress bar on `stream` when it is a terminal and JSON output was not asked for; else silence. */
export function progressBar(stream: NodeJS.WriteStream, opts: { json: boolean }): Progress {
  if (opts.json || !stream.isTTY) return QUIET;
  let label = '';
  let total = 0;
  let done = 0;
  let started = 0;
  let drawn = 0;
  const draw = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - drawn < 100) return;
    drawn = now;
    stream.write(`\r${formatProgress(label, done, total, now - started, stream.columns ?? 80)}`);
  };
  return {
    start(l, t) {
      label = l;
      total = t;
      done = 0;
      started = Date.now();
      draw(true);
    },
    advance(bytes) {
      done = Math.min(total, done + bytes);
      draw(false);
    },
    end() {
      draw(true);
      stream.write('\n');
    },
  };
}
