/**
 * A client of Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm, kernel ≥ 6.7): guest
 * attestation reports through plain file I/O, one report entry per request.
 *
 *   <configfs>/tsm/report/<entry>/
 *     inblob      WO  up to 64 bytes of caller data (SNP REPORT_DATA, TDX REPORTDATA)
 *     outblob     RO  the report, generated when first read after an inblob write
 *     auxblob     RO  extra data, e.g. the SNP GHCB certificate table (absent for some providers)
 *     provider    RO  "sev_guest", "tdx_guest", ...
 *     generation  RO  incremented by every write to inblob (or any other option)
 *     privlevel   WO  SNP VMPL to request (default 0)
 *
 * The generation counter is the kernel's defence against two writers sharing an entry: a
 * reader that saw generation N+1 after its own write, and still sees N+1 after reading
 * outblob/auxblob, knows the blobs belong to its inblob. Each request here uses a fresh,
 * uniquely named entry, checks the counter around every step, and retries in a new entry when
 * it moved; the entry is removed afterwards whatever happened.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError, errnoOf } from '../errors.js';

/** TSM_REPORT_OUTBLOB_MAX: the kernel caps outblob and auxblob at 32 KiB. */
export const TSM_OUTBLOB_MAX = 32 * 1024;

/**
 * The file operations the client uses. The default is node:fs; tests substitute a fake kernel.
 * Errors are Node.js system errors (with `code`: ENOENT, EINVAL...).
 */
export interface ConfigfsIo {
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  /** Reads until end of file, or `limit` + 1 bytes at most. */
  readFile(path: string, limit: number): Promise<Uint8Array>;
  /** Writes `data` to an existing attribute (never creates or truncates a file). */
  writeFile(path: string, data: Uint8Array): Promise<void>;
}

/**
 * configfs through node:fs. Reads loop until EOF instead of trusting the file size, which
 * configfs reports as 4096 whatever the blob's length (a TDX quote or an auxblob is longer).
 */
export const nodeConfigfsIo: ConfigfsIo = Object.freeze({
  async mkdir(path: string): Promise<void> {
    await mkdir(path);
  },
  async rmdir(path: string): Promise<void> {
    await rmdir(path);
  },
  async readdir(path: string): Promise<string[]> {
    return readdir(path);
  },
  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return false;
      throw err;
    }
  },
  async readFile(path: string, limit: number): Promise<Uint8Array> {
    const fh = await open(path, constants.O_RDONLY);
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      while (total <= limit) {
        const buf = Buffer.alloc(Math.min(64 * 1024, limit + 1 - total));
        const { bytesRead } = await fh.read(buf, 0, buf.length, total);
        if (bytesRead === 0) break;
        chunks.push(buf.subarray(0, bytesRead));
        total += bytesRead;
      }
      return new Uint8Array(Buffer.concat(chunks));
    } finally {
      await fh.close();
    }
  },
  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const fh = await open(path, constants.O_WRONLY);
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, done);
        done += bytesWritten;
      }
    } finally {
      // configfs commits a binary attribute when the file is closed: close errors are real errors.
      await fh.close();
    }
  },
});

/** The report folder under a configfs mount point. */
export function tsmReportDir(configfsRoot: string): string {
  return join(configfsRoot, 'tsm', 'report');
}

/** What one request returned. */
export interface TsmReport {
  readonly provider: string;
  readonly outblob: Uint8Array;
  /** Empty when the provider has no auxblob or left it empty. */
  readonly auxblob: Uint8Array;
  /** The generation the blobs belong to. */
  readonly generation: number;
}

/** Options of {@link requestTsmReport}. */
export interface TsmRequestOptions {
  readonly io: ConfigfsIo;
  /** The configfs mount point (normally /sys/kernel/config). */
  readonly configfsRoot: string;
  /** The provider the caller can interpret (`sev_guest`, `tdx_guest`). */
  readonly provider: string;
  /** New entries to try when the generation moves under us. Default 3. */
  readonly attempts?: number;
}

const describe = (err: unknown): string => errnoOf(err) ?? (err as Error).message;

/** Maps a failure to create an entry: most mean that this backend cannot be used here. */
function mkdirError(reportDir: string, err: unknown): BackendError {
  const code = errnoOf(err);
  const unavailable = (why: string): BackendError => new BackendError('ERR_BACKEND_UNAVAILABLE', why, { cause: err });
  if (code === 'ENOENT') return unavailable(`configfs-tsm is not available: ${reportDir} does not exist`);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return unavailable(`configfs-tsm: this user may not create report entries in ${reportDir} (${code})`);
  }
  if (code === 'ENXIO' || code === 'ENOTTY') return unavailable(`configfs-tsm: no TSM report provider is registered (${code})`);
  return new BackendError('ERR_BACKEND_IO', `configfs-tsm: cannot create a report entry in ${reportDir}: ${describe(err)}`, { cause: err });
}

function ioError(what: string, err: unknown): BackendError {
  const code = errnoOf(err);
  const hint = code === 'EINVAL' ? ' (the provider rejected the request)' : '';
  return new BackendError('ERR_BACKEND_IO', `configfs-tsm: ${what} failed: ${describe(err)}${hint}`, { cause: err });
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8').trim();
}

/** Outcome of one attempt: the report, or a generation race (retry in a new entry). */
type Attempt = { readonly report: TsmReport } | { readonly race: string };

async function attempt(io: ConfigfsIo, entry: string, opts: TsmRequestOptions, inblob: Uint8Array): Promise<Attempt> {
  const read = async (attr: string, limit: number): Promise<Uint8Array> => {
    try {
      return await io.readFile(join(entry, attr), limit);
    } catch (err) {
      throw ioError(`reading ${attr}`, err);
    }
  };
  const generation = async (): Promise<number> => {
    const t = text(await read('generation', 64));
    if (!/^\d{1,15}$/.test(t)) throw new BackendError('ERR_BACKEND_PROTOCOL', `configfs-tsm: generation '${t.slice(0, 32)}' is not a number`);
    return Number(t);
  };
  const blob = async (attr: string, optional: boolean): Promise<Uint8Array> => {
    let data: Uint8Array;
    try {
      data = await io.readFile(join(entry, attr), TSM_OUTBLOB_MAX);
    } catch (err) {
      // A provider may hide auxblob (the attribute is then absent) or refuse it.
      if (optional && (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'EOPNOTSUPP')) return new Uint8Array(0);
      throw ioError(`reading ${attr}`, err);
    }
    if (data.length > TSM_OUTBLOB_MAX) throw new BackendError('ERR_BACKEND_PROTOCOL', `configfs-tsm: ${attr} exceeds ${TSM_OUTBLOB_MAX} bytes`);
    return data;
  };

  const provider = text(await read('provider', 256));
  if (provider !== opts.provider) {
    throw new BackendError('ERR_BACKEND_UNAVAILABLE', `configfs-tsm provider is '${provider}', not '${opts.provider}'`);
  }
  const before = await generation();
  try {
    await io.writeFile(join(entry, 'inblob'), inblob);
  } catch (err) {
    throw ioError('writing inblob', err);
  }
  const written = await generation();
  if (written !== before + 1) return { race: `generation went from ${before} to ${written} across one inblob write` };
  const outblob = await blob('outblob', false);
  const auxblob = await blob('auxblob', true);
  const after = await generation();
  if (after !== written) return { race: `generation moved from ${written} to ${after} while the report was read` };
  if (outblob.length === 0) throw new BackendError('ERR_BACKEND_PROTOCOL', 'configfs-tsm: outblob is empty');
  return { report: Object.freeze({ provider, outblob, auxblob, generation: after }) };
}

/**
 * Obtains one report for `inblob` (the caller checks its length against the provider's needs).
 * @throws BackendError ERR_BACKEND_UNAVAILABLE (no configfs-tsm, no permission, wrong provider),
 *   ERR_BACKEND_IO (an attribute could not be read or written, e.g. EINVAL from the provider),
 *   ERR_BACKEND_PROTOCOL (the generation kept moving, malformed attributes, oversized blobs)
 */
export async function requestTsmReport(inblob: Uint8Array, opts: TsmRequestOptions): Promise<TsmReport> {
  const { io } = opts;
  const reportDir = tsmReportDir(opts.configfsRoot);
  const attempts = opts.attempts ?? 3;
  const races: string[] = [];
  for (let i = 0; i < attempts; i++) {
    const entry = join(reportDir, `enarx-${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      await io.mkdir(entry);
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') continue;
      throw mkdirError(reportDir, err);
    }
    try {
      const r = await attempt(io, entry, opts, inblob);
      if ('report' in r) return r.report;
      races.push(r.race);
    } finally {
      // Removing the entry frees the kernel's copy of the blobs. A failure here leaks one
      // empty entry and must not turn a good report into an error.
      await io.rmdir(entry).catch(() => undefined);
    }
  }
  throw new BackendError(
    'ERR_BACKEND_PROTOCOL',
    `configfs-tsm: another writer changed the report entry during ${attempts} attempts (${races.join('; ') || 'no entry could be created'})`,
  );
}

/** The result of {@link probeTsm}. */
export interface TsmProbe {
  readonly available: boolean;
  readonly reason?: string;
  /** The registered provider, when it could be learnt. */
  readonly provider?: string;
}

/**
 * Whether configfs-tsm offers `provider` under `configfsRoot`. Reads the provider of an
 * existing entry when there is one, else creates and removes an empty entry (no report is
 * generated: that happens only when outblob is read).
 */
export async function probeTsm(io: ConfigfsIo, configfsRoot: string, provider: string): Promise<TsmProbe> {
  const reportDir = tsmReportDir(configfsRoot);
  const missing = (reason: string): TsmProbe => Object.freeze({ available: false, reason });
  try {
    if (!(await io.exists(configfsRoot))) return missing(`configfs is not mounted at ${configfsRoot}`);
    if (!(await io.exists(join(configfsRoot, 'tsm')))) {
      return missing(`no tsm directory in ${configfsRoot}: kernel older than 6.7, or no TEE guest driver (sev-guest, tdx-guest) loaded`);
    }
    if (!(await io.exists(reportDir))) return missing(`${reportDir} does not exist: no TSM report provider registered`);
  } catch (err) {
    return missing(`cannot inspect ${configfsRoot}: ${describe(err)}`);
  }
  let seen: string | undefined;
  for (const name of await io.readdir(reportDir).catch(() => [] as string[])) {
    const p = await io.readFile(join(reportDir, name, 'provider'), 256).then(text, () => '');
    if (p) {
      seen = p;
      break;
    }
  }
  if (seen === undefined) {
    const entry = join(reportDir, `enarx-probe-${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      await io.mkdir(entry);
    } catch (err) {
      return missing((mkdirError(reportDir, err) as Error).message);
    }
    try {
      seen = text(await io.readFile(join(entry, 'provider'), 256));
    } catch (err) {
      return missing(`cannot read the configfs-tsm provider: ${describe(err)}`);
    } finally {
      await io.rmdir(entry).catch(() => undefined);
    }
  }
  if (seen !== provider) return Object.freeze({ available: false, reason: `configfs-tsm provider is '${seen}', not '${provider}'`, provider: seen });
  return Object.freeze({ available: true, provider: seen });
}
