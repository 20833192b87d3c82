/**
 * A fake configfs-tsm that behaves like the kernel's (drivers/virt/coco/tsm.c as of 6.7–6.12)
 * for the operations our client uses, over a real folder so that `ls` and existence checks see
 * the same tree:
 *
 * - mkdir under tsm/report creates an entry with provider, generation, inblob, outblob,
 *   auxblob (ENXIO when no provider is registered);
 * - writing inblob stores up to 64 bytes (EFBIG beyond) and increments the generation;
 * - reading outblob/auxblob fails with EINVAL before any inblob write, and otherwise generates
 *   the report once per generation through `respond` (which may throw an errno, e.g. EINVAL for
 *   an inblob length the provider refuses, like sev-guest and tdx-guest do);
 * - rmdir removes the entry with its attributes.
 *
 * Tests interfere through `onRead` (e.g. another writer bumping the generation mid-request).
 */
import { mkdirSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ConfigfsIo } from '../../../src/backend/tsm/configfs.js';

/** A Node.js-style system error. */
export function errno(code: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: fake configfs, ${path}`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = path;
  return e;
}

/** What the provider returns for an inblob. */
export interface Blobs {
  readonly outblob: Uint8Array;
  readonly auxblob?: Uint8Array;
}

export interface FakeConfigfsOptions {
  /** The registered provider; undefined: none registered (mkdir gives ENXIO). */
  readonly provider: string | undefined;
  /** The provider's report_new: throw `errno('EINVAL', ...)` to refuse. */
  readonly respond: (inblob: Uint8Array) => Blobs;
  /** Whether the provider exposes auxblob (tdx-guest does not). Default true. */
  readonly auxblob?: boolean;
}

interface Entry {
  writeGeneration: number;
  readGeneration: number;
  inblob: Uint8Array | undefined;
  blobs: Blobs | undefined;
}

/** The fake kernel. `root` plays /sys/kernel/config. */
export class FakeConfigfs implements ConfigfsIo {
  readonly root: string;
  readonly reportDir: string;
  readonly #opts: FakeConfigfsOptions;
  readonly #entries = new Map<string, Entry>();
  /** Called before every attribute read; may call `bump`. */
  onRead: ((entry: string, attr: string) => void) | undefined;
  /** Every operation, for assertions (`mkdir <name>`, `write <name>/inblob`...). */
  readonly log: string[] = [];
  /** How many reports `respond` produced. */
  generated = 0;

  constructor(root: string, opts: FakeConfigfsOptions) {
    this.root = root;
    this.reportDir = join(root, 'tsm', 'report');
    this.#opts = opts;
    mkdirSync(this.reportDir, { recursive: true });
  }

  /** Another writer writes inblob into `entry` (what a racing process would do). */
  bump(entry: string, inblob: Uint8Array = new Uint8Array(64).fill(0xee)): void {
    const e = this.#entries.get(entry);
    if (!e) throw new Error(`no entry ${entry}`);
    e.inblob = inblob;
    e.writeGeneration++;
    this.#sync(entry, e);
  }

  /** Names of the entries that exist now. */
  entries(): string[] {
    return readdirSync(this.reportDir).sort();
  }

  #sync(name: string, e: Entry): void {
    writeFileSync(join(this.reportDir, name, 'generation'), `${e.writeGeneration}\n`);
  }

  #locate(path: string): { name: string; attr: string; entry: Entry } {
    const dir = dirname(path);
    const name = basename(dir);
    const entry = this.#entries.get(name);
    if (dirname(dir) !== this.reportDir || entry === undefined) throw errno('ENOENT', path);
    return { name, attr: basename(path), entry };
  }

  async mkdir(path: string): Promise<void> {
    if (dirname(path) !== this.reportDir) throw errno(existsSync(dirname(path)) ? 'EPERM' : 'ENOENT', path);
    const name = basename(path);
    if (this.#entries.has(name)) throw errno('EEXIST', path);
    if (this.#opts.provider === undefined) throw errno('ENXIO', path);
    this.log.push(`mkdir ${name}`);
    mkdirSync(path);
    const e: Entry = { writeGeneration: 0, readGeneration: 0, inblob: undefined, blobs: undefined };
    this.#entries.set(name, e);
    writeFileSync(join(path, 'provider'), `${this.#opts.provider}\n`);
    const attrs = ['inblob', 'outblob', ...(this.#opts.auxblob === false ? [] : ['auxblob'])];
    for (const a of attrs) writeFileSync(join(path, a), '');
    this.#sync(name, e);
  }

  async rmdir(path: string): Promise<void> {
    const name = basename(path);
    if (dirname(path) !== this.reportDir || !this.#entries.has(name)) throw errno('ENOENT', path);
    this.log.push(`rmdir ${name}`);
    this.#entries.delete(name);
    rmSync(path, { recursive: true });
  }

  async readdir(path: string): Promise<string[]> {
    if (!existsSync(path)) throw errno('ENOENT', path);
    return readdirSync(path);
  }

  async exists(path: string): Promise<boolean> {
    return existsSync(path);
  }

  async readFile(path: string, limit: number): Promise<Uint8Array> {
    const { name, attr, entry } = this.#locate(path);
    this.log.push(`read ${name}/${attr}`);
    this.onRead?.(name, attr);
    const cap = (b: Uint8Array): Uint8Array => b.subarray(0, limit + 1);
    switch (attr) {
      case 'provider':
        return new TextEncoder().encode(`${this.#opts.provider}\n`);
      case 'generation':
        return new TextEncoder().encode(`${entry.writeGeneration}\n`);
      case 'outblob':
      case 'auxblob': {
        if (attr === 'auxblob' && this.#opts.auxblob === false) throw errno('ENOENT', path);
        if (entry.inblob === undefined) throw errno('EINVAL', path);
        if (entry.blobs === undefined || entry.readGeneration !== entry.writeGeneration) {
          entry.blobs = this.#opts.respond(new Uint8Array(entry.inblob));
          entry.readGeneration = entry.writeGeneration;
          this.generated++;
        }
        return cap(attr === 'outblob' ? entry.blobs.outblob : (entry.blobs.auxblob ?? new Uint8Array(0)));
      }
      default:
        // inblob is write-only; anything else does not exist.
        throw errno(attr === 'inblob' ? 'EACCES' : 'ENOENT', path);
    }
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const { name, attr, entry } = this.#locate(path);
    this.log.push(`write ${name}/${attr}`);
    if (attr !== 'inblob') throw errno(['provider', 'generation', 'outblob', 'auxblob'].includes(attr) ? 'EACCES' : 'ENOENT', path);
    if (data.length > 64) throw errno('EFBIG', path);
    entry.inblob = new Uint8Array(data);
    entry.writeGeneration++;
    this.#sync(name, entry);
  }
}

/** A provider that refuses inblobs of other lengths than `length`, like sev-guest (64). */
export function strictLength(length: number, respond: (inblob: Uint8Array) => Blobs): (inblob: Uint8Array) => Blobs {
  return (inblob) => {
    if (inblob.length !== length) throw errno('EINVAL', 'outblob');
    return respond(inblob);
  };
}

/** A GHCB certificate table (GHCB spec 2.03 Table 11): entries, a zero entry, then the data. */
export function certTable(items: readonly { guid: string; data: Uint8Array }[]): Uint8Array {
  const head = 24 * (items.length + 1);
  const out = new Uint8Array(head + items.reduce((s, i) => s + i.data.length, 0));
  const dv = new DataView(out.buffer);
  let off = head;
  items.forEach((item, i) => {
    out.set(Buffer.from(item.guid.replace(/-/g, ''), 'hex'), i * 24);
    dv.setUint32(i * 24 + 16, off, true);
    dv.setUint32(i * 24 + 20, item.data.length, true);
    out.set(item.data, off);
    off += item.data.length;
  });
  return out;
}
