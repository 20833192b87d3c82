/**
 * The simulated platform's persisted identity: created once per state directory, then reused,
 * so that a client that pinned the sim ARK keeps recognising this host.
 *
 *   <stateDir>/sim/platform.json   product, chip id, TCB and firmware the VCEK was issued for
 *   <stateDir>/sim/{ark,ask,vcek}.pem   the certificates (public)
 *   <stateDir>/sim/{ark,ask,vcek}.key   PKCS#8 private keys, mode 0600 (the folder is 0700)
 *
 * Creation is atomic: everything is written into a fresh hidden folder that is then renamed
 * into place, so concurrent first uses agree on one platform and a crash leaves no half state.
 * Loading checks everything (file modes, certificates, the chain, the key pair, the VCEK's
 * extensions against platform.json) and never repairs: a damaged platform is an error, not a
 * silent new identity that clients would have to re-pin.
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hex, int, literal, string, strictObject, validate } from '../../protocol/validate.js';
import type { Checked } from '../../protocol/validate.js';
import { AttestationError } from '../../attestation/errors.js';
import { parseCertificate, type Certificate } from '../../attestation/pki/certificate.js';
import { verifyChain } from '../../attestation/pki/chain.js';
import { encodePem, decodePem } from '../../attestation/pki/pem.js';
import { toHex } from '../../attestation/pki/fingerprint.js';
import type { SnpFirmwareVersion } from '../../attestation/snp/report.js';
import type { SnpProduct } from '../../attestation/snp/product.js';
import type { TcbVersion } from '../../attestation/snp/tcb.js';
import { amdKeyInfo } from '../../attestation/snp/vcek.js';
import { BackendError, errnoOf } from '../errors.js';
import { makeStateDir } from '../state-dir.js';
import { SIM_PLATFORM, createSimPki } from './platform.js';

/** The facts platform.json records. */
export interface SimFacts {
  readonly product: SnpProduct;
  readonly productName: string;
  /** 64 bytes. */
  readonly chipId: Uint8Array;
  readonly reportedTcb: TcbVersion;
  readonly firmware: SnpFirmwareVersion;
  /** ISO time of creation. */
  readonly created: string;
}

/** A loaded, checked simulated platform. */
export interface SimState {
  readonly dir: string;
  readonly facts: SimFacts;
  /** The certificates' DER, for evidence. */
  readonly ders: { readonly ark: Uint8Array; readonly ask: Uint8Array; readonly vcek: Uint8Array };
  /** The certificates, parsed on first use. */
  readonly ark: Certificate;
  readonly ask: Certificate;
  readonly vcek: Certificate;
  readonly vcekKey: KeyObject;
}

/**
 * A full check of the platform (certificates, chain, key pair, extensions against
 * platform.json: ~10 ms, most of it the first run of that code) is recorded in `verified.json`:
 * the SHA-256 of the files it covered and the validity window of the chain. A later load whose
 * files hash the same within that window skips the parsing and the chain; anything else (a
 * changed byte, an expired chain, no record) is checked in full again.
 */
const STAMP_FILE = 'verified.json';

interface Stamp {
  readonly version: 1;
  readonly digest: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

function stateDigest(files: readonly (readonly [string, Buffer])[]): string {
  const h = createHash('sha256');
  for (const [name, bytes] of files) h.update(`${name}\0${bytes.length}\0`).update(bytes);
  return h.digest('hex');
}

function readStamp(dir: string): Stamp | undefined {
  try {
    const s = JSON.parse(readFileSync(join(dir, STAMP_FILE), 'utf8')) as Partial<Stamp>;
    const ok = s.version === 1 && typeof s.digest === 'string' && Number.isFinite(s.notBefore) && Number.isFinite(s.notAfter);
    return ok ? (s as Stamp) : undefined;
  } catch {
    return undefined;
  }
}

async function writeStamp(dir: string, stamp: Stamp): Promise<void> {
  const tmp = join(dir, `.${STAMP_FILE}.${process.pid}`);
  try {
    await writeFile(tmp, JSON.stringify(stamp) + '\n', { mode: 0o600 });
    await rename(tmp, join(dir, STAMP_FILE));
  } catch {
    // A record only saves time; a platform that cannot keep one is checked in full each time.
    await rm(tmp, { force: true });
  }
}

function derOf(dir: string, name: string, pem: Buffer): Uint8Array {
  try {
    const blocks = decodePem(pem.toString('latin1'));
    if (blocks.length !== 1 || blocks[0]!.label !== 'CERTIFICATE') throw new Error('expected one CERTIFICATE block');
    return blocks[0]!.der;
  } catch (err) {
    throw stateError(dir, `${name} is not a certificate`, err);
  }
}

/** A state whose certificates are parsed when first asked for. */
function simState(dir: string, facts: SimFacts, ders: SimState['ders'], vcekKey: KeyObject, parsed?: { ark: Certificate; ask: Certificate; vcek: Certificate }): SimState {
  let certs = parsed;
  const cert = (c: (typeof CERTS)[number]): Certificate => (certs ??= { ark: parseCertificate(ders.ark), ask: parseCertificate(ders.ask), vcek: parseCertificate(ders.vcek) })[c];
  return Object.freeze({
    dir,
    facts,
    ders: Object.freeze({ ...ders }),
    vcekKey,
    get ark(): Certificate {
      return cert('ark');
    },
    get ask(): Certificate {
      return cert('ask');
    },
    get vcek(): Certificate {
      return cert('vcek');
    },
  });
}

const byte = int(0, 255);
const checkPlatformFile = strictObject({
  format: literal('enarx-sim-platform'),
  version: literal(1),
  product: literal('Milan'),
  productName: string({ min: 1, max: 64 }),
  chipId: hex(64),
  reportedTcb: strictObject({ bootloader: byte, tee: byte, snp: byte, microcode: byte }),
  firmware: strictObject({ major: byte, minor: byte, build: byte }),
  created: string({ max: 64 }),
});

const PLATFORM_FILE = 'platform.json';
const CERTS = ['ark', 'ask', 'vcek'] as const;

/** The folder of the simulated platform inside a state directory. */
export function simDir(stateDir: string): string {
  return join(stateDir, 'sim');
}

function stateError(dir: string, message: string, cause?: unknown): BackendError {
  return new BackendError(
    'ERR_BACKEND_STATE',
    `simulated platform in ${dir}: ${message} (remove the folder to create a new platform; clients must then trust its new ARK)`,
    cause === undefined ? undefined : { cause },
  );
}

// The platform's files are a few small ones, read once per process: synchronously, since a run
// of thread-pool round trips costs more than the reads themselves when the machine is busy.
function readState(dir: string, name: string): Buffer {
  try {
    return readFileSync(join(dir, name));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw stateError(dir, `${name} is missing`, err);
    throw new BackendError('ERR_BACKEND_IO', `cannot read ${join(dir, name)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Private key files must not be readable by anyone else (POSIX modes only). */
function checkPrivate(dir: string, name: string): void {
  if (process.platform === 'win32') return;
  let s;
  try {
    s = statSync(join(dir, name));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw stateError(dir, `${name} is missing`, err);
    throw new BackendError('ERR_BACKEND_IO', `cannot inspect ${join(dir, name)}: ${(err as Error).message}`, { cause: err });
  }
  if ((s.mode & 0o077) !== 0) {
    throw stateError(dir, `${name} is accessible to other users (mode ${(s.mode & 0o777).toString(8)}, expected 600)`);
  }
}

function parseCert(dir: string, name: string, der: Uint8Array): Certificate {
  try {
    return parseCertificate(der);
  } catch (err) {
    throw stateError(dir, `${name} is not a certificate`, err);
  }
}

function parseFacts(dir: string, text: Buffer): SimFacts {
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw stateError(dir, `${PLATFORM_FILE} is not JSON`, err);
  }
  const r = validate(checkPlatformFile, raw);
  if (!r.ok) throw stateError(dir, `${PLATFORM_FILE} is malformed: ${r.message}`);
  const f = r.value;
  return Object.freeze({
    product: f.product,
    productName: f.productName,
    chipId: new Uint8Array(Buffer.from(f.chipId, 'hex')),
    reportedTcb: Object.freeze({ ...f.reportedTcb }),
    firmware: Object.freeze({ ...f.firmware }),
    created: f.created,
  });
}

/** Loads and checks the platform in `dir` (which must exist). @throws BackendError ERR_BACKEND_STATE, ERR_BACKEND_IO */
async function loadState(dir: string, now: Date): Promise<SimState> {
  const platformText = readState(dir, PLATFORM_FILE);
  const pems = CERTS.map((c) => readState(dir, `${c}.pem`));
  for (const c of CERTS) checkPrivate(dir, `${c}.key`);
  const vcekKeyPem = readState(dir, 'vcek.key');
  const facts = parseFacts(dir, platformText);
  const [arkDer, askDer, vcekDer] = CERTS.map((c, i) => derOf(dir, `${c}.pem`, pems[i]!)) as [Uint8Array, Uint8Array, Uint8Array];
  const ders = { ark: arkDer, ask: askDer, vcek: vcekDer };
  let vcekKey: KeyObject;
  try {
    vcekKey = createPrivateKey(vcekKeyPem);
  } catch (err) {
    throw stateError(dir, 'vcek.key is not a private key', err);
  }
  const digest = stateDigest([[PLATFORM_FILE, platformText], ...CERTS.map((c, i) => [`${c}.pem`, pems[i]!] as const), ['vcek.key', vcekKeyPem]]);
  const stamp = readStamp(dir);
  const t = now.getTime();
  if (stamp !== undefined && stamp.digest === digest && t >= stamp.notBefore && t <= stamp.notAfter) return simState(dir, facts, ders, vcekKey);

  const ark = parseCert(dir, 'ark.pem', arkDer);
  const ask = parseCert(dir, 'ask.pem', askDer);
  const vcek = parseCert(dir, 'vcek.pem', vcekDer);
  const spki = (k: KeyObject): string => Buffer.from(k.export({ type: 'spki', format: 'der' })).toString('hex');
  if (spki(vcek.publicKey) !== spki(createPublicKey(vcekKey))) throw stateError(dir, 'vcek.key does not belong to vcek.pem');
  try {
    verifyChain([vcek, ask, ark], { now, anchors: [ark] });
  } catch (err) {
    const why = err instanceof AttestationError && err.code === 'ERR_EXPIRED' ? 'a certificate is outside its validity period' : 'the certificate chain does not verify';
    throw stateError(dir, `${why}: ${(err as Error).message}`, err);
  }
  let info;
  try {
    info = amdKeyInfo(vcek);
  } catch (err) {
    throw stateError(dir, 'the VCEK extensions do not decode', err);
  }
  const tcb = facts.reportedTcb;
  const consistent =
    info.product === facts.product &&
    info.hwId === toHex(facts.chipId) &&
    info.spl.bootloader === tcb.bootloader &&
    info.spl.tee === tcb.tee &&
    info.spl.snp === tcb.snp &&
    info.spl.microcode === tcb.microcode;
  if (!consistent) throw stateError(dir, `the VCEK does not certify the chip id and TCB in ${PLATFORM_FILE}`);
  await writeStamp(dir, {
    version: 1,
    digest,
    notBefore: Math.max(ark.notBeforeMs, ask.notBeforeMs, vcek.notBeforeMs),
    notAfter: Math.min(ark.notAfterMs, ask.notAfterMs, vcek.notAfterMs),
  });
  return simState(dir, facts, ders, vcekKey, { ark, ask, vcek });
}

/** Writes a new platform into `tmp`. */
async function writeNewState(tmp: string, now: Date): Promise<void> {
  const chipId = new Uint8Array(randomBytes(64));
  const reportedTcb = SIM_PLATFORM.reportedTcb;
  const pki = await createSimPki({ chipId, reportedTcb }, now);
  const platform: Checked<typeof checkPlatformFile> = {
    format: 'enarx-sim-platform',
    version: 1,
    product: 'Milan',
    productName: SIM_PLATFORM.productName,
    chipId: toHex(chipId),
    reportedTcb: { bootloader: reportedTcb.bootloader, tee: reportedTcb.tee, snp: reportedTcb.snp, microcode: reportedTcb.microcode },
    firmware: { ...SIM_PLATFORM.firmware },
    created: now.toISOString(),
  };
  for (const c of CERTS) {
    // `wx`: never follow or overwrite something planted in the fresh folder.
    await writeFile(join(tmp, `${c}.key`), pki[c].privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600, flag: 'wx' });
    await writeFile(join(tmp, `${c}.pem`), encodePem('CERTIFICATE', pki[c].der), { mode: 0o644, flag: 'wx' });
  }
  await writeFile(join(tmp, PLATFORM_FILE), JSON.stringify(platform, null, 2) + '\n', { mode: 0o644, flag: 'wx' });
}

/** True when `dir` exists. */
function present(dir: string): boolean {
  try {
    statSync(dir);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return false;
    throw new BackendError('ERR_BACKEND_IO', `cannot inspect ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The platform in `stateDir`, or undefined when none was created yet (nothing is created).
 * @throws BackendError ERR_BACKEND_STATE, ERR_BACKEND_IO
 */
export async function readSimState(stateDir: string, now: Date): Promise<SimState | undefined> {
  const dir = simDir(stateDir);
  return present(dir) ? loadState(dir, now) : undefined;
}

/**
 * The platform in `stateDir`, created on first use.
 * @throws BackendError ERR_BACKEND_STATE, ERR_BACKEND_IO, ERR_BACKEND_UNAVAILABLE (the state
 *   directory cannot be created)
 */
export async function loadOrCreateSimState(stateDir: string, now: Date): Promise<SimState> {
  const existing = await readSimState(stateDir, now);
  if (existing !== undefined) return existing;
  const dir = simDir(stateDir);
  let tmp: string;
  try {
    await makeStateDir(stateDir);
    tmp = await mkdtemp(join(stateDir, '.sim-')); // mode 0700
  } catch (err) {
    // The same condition `availability()` reports: this platform cannot exist here.
    throw new BackendError('ERR_BACKEND_UNAVAILABLE', `the simulated platform cannot be created in ${stateDir}: ${(err as Error).message}`, { cause: err });
  }
  try {
    await writeNewState(tmp, now);
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    const code = errnoOf(err);
    // Someone else created the platform first: theirs wins.
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') {
      throw new BackendError('ERR_BACKEND_IO', `cannot write the simulated platform into ${stateDir}: ${(err as Error).message}`, { cause: err });
    }
  }
  return loadState(dir, now);
}
