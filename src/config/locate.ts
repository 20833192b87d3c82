/**
 * Finds the line on which each key of a TOML document is defined, so that a schema error
 * (found after parsing, on plain values) can say where in the file to look.
 *
 * This is a structural scanner, not a parser: it runs only on text that smol-toml has already
 * accepted, and it follows just enough of TOML 1.0 (table and array-of-tables headers, dotted
 * and quoted keys, the four string forms, arrays and inline tables) to attribute each key and
 * array element to the line where it starts. On anything unexpected it skips to the next line
 * rather than fail: a missing line number is better than a wrong error.
 */
import { formatKeyPath, type KeyPathSegment } from './keypath.js';

/** Line numbers (1-based) of the keys of a document, by {@link formatKeyPath} spelling. */
export type KeyLines = ReadonlyMap<string, number>;

const BASIC_ESCAPES: Readonly<Record<string, string>> = {
  b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b', '"': '"', '\\': '\\',
};

class Scanner {
  pos = 0;
  private readonly lineStarts: number[] = [0];
  /** Count of `[[x]]` headers seen so far, by resolved path of `x`. */
  private readonly aotCounts = new Map<string, number>();
  readonly lines = new Map<string, number>();

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  lineAt(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private record(path: readonly KeyPathSegment[], line: number): void {
    const key = formatKeyPath(path);
    if (!this.lines.has(key)) this.lines.set(key, line);
  }

  private peek(): string {
    return this.text.charAt(this.pos);
  }

  private skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  /** Skips blanks, newlines and comments (allowed between array elements). */
  private skipTrivia(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.pos++;
      else if (c === '#') this.skipLine();
      else return;
    }
  }

  /** Moves to the start of the next line. */
  private skipLine(): void {
    const nl = this.text.indexOf('\n', this.pos);
    this.pos = nl === -1 ? this.text.length : nl + 1;
  }

  /** Reads a dotted key; empty when there is no key here (the caller then skips the line). */
  private readKey(): string[] {
    const segs: string[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.peek();
      let seg: string | undefined;
      if (c === '"') seg = this.readBasicString();
      else if (c === "'") seg = this.readLiteralString();
      else {
        const start = this.pos;
        while (/[A-Za-z0-9_-]/.test(this.peek())) this.pos++;
        if (this.pos > start) seg = this.text.slice(start, this.pos);
      }
      if (seg === undefined) return segs;
      segs.push(seg);
      this.skipSpaces();
      if (this.peek() !== '.') return segs;
      this.pos++;
    }
  }

  /** Reads a one-line `"..."` string at `pos` and returns its value. */
  private readBasicString(): string {
    let out = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text.charAt(this.pos++);
      if (c === '"' || c === '\n') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text.charAt(this.pos++);
      const hexLen = e === 'u' ? 4 : e === 'U' ? 8 : e === 'x' ? 2 : 0;
      if (hexLen > 0) {
        const cp = Number.parseInt(this.text.slice(this.pos, this.pos + hexLen), 16);
        this.pos += hexLen;
        out += Number.isInteger(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      } else {
        out += BASIC_ESCAPES[e] ?? e;
      }
    }
    return out;
  }

  /** Reads a one-line `'...'` string at `pos` and returns its value. */
  private readLiteralString(): string {
    const start = this.pos + 1;
    let end = start;
    while (end < this.text.length && this.text[end] !== "'" && this.text[end] !== '\n') end++;
    this.pos = Math.min(end + 1, this.text.length);
    return this.text.slice(start, end);
  }

  /** Skips a `"""` or `'''` string at `pos`, whose closing delimiter may have up to two more quotes. */
  private skipMultilineString(quote: '"' | "'"): void {
    const delim = quote.repeat(3);
    let i = this.pos + 3;
    while (i < this.text.length) {
      if (quote === '"' && this.text[i] === '\\') {
        i += 2;
        continue;
      }
      if (this.text.startsWith(delim, i)) {
        i += 3;
        for (let extra = 0; extra < 2 && this.text[i] === quote; extra++) i++;
        break;
      }
      i++;
    }
    this.pos = Math.min(i, this.text.length);
  }

  /** Skips the value at `pos`, recording the lines of array elements and inline-table keys. */
  private value(path: readonly KeyPathSegment[]): void {
    const c = this.peek();
    if (c === '"' || c === "'") {
      if (this.text.startsWith(c.repeat(3), this.pos)) this.skipMultilineString(c);
      else if (c === '"') this.readBasicString();
      else this.readLiteralString();
    } else if (c === '[') {
      this.pos++;
      for (let index = 0; ; index++) {
        this.skipTrivia();
        if (this.pos >= this.text.length || this.peek() === ']') break;
        this.record([...path, index], this.lineAt(this.pos));
        const before = this.pos;
        this.value([...path, index]);
        this.skipTrivia();
        if (this.peek() === ',') this.pos++;
        else if (this.pos === before) break;
      }
      if (this.peek() === ']') this.pos++;
    } else if (c === '{') {
      this.pos++;
      for (;;) {
        this.skipTrivia();
        if (this.pos >= this.text.length || this.peek() === '}') break;
        if (!this.keyValue(path)) break;
        this.skipTrivia();
        if (this.peek() === ',') this.pos++;
      }
      if (this.peek() === '}') this.pos++;
    } else {
      // Numbers, booleans and date-times contain none of these characters.
      while (this.pos < this.text.length && !',]}#\r\n'.includes(this.peek())) this.pos++;
    }
  }

  /** Reads `key = value` under `base`; false when there is no key here. */
  private keyValue(base: readonly KeyPathSegment[]): boolean {
    const line = this.lineAt(this.pos);
    const segs = this.readKey();
    if (segs.length === 0) return false;
    for (let i = 1; i <= segs.length; i++) this.record([...base, ...segs.slice(0, i)], line);
    this.skipSpaces();
    if (this.peek() !== '=') return false;
    this.pos++;
    this.skipSpaces();
    this.value([...base, ...segs]);
    return true;
  }

  /** Reads a `[table]` or `[[array]]` header and returns the path its keys go under. */
  private header(): KeyPathSegment[] {
    const line = this.lineAt(this.pos);
    const isArray = this.text.startsWith('[[', this.pos);
    this.pos += isArray ? 2 : 1;
    const segs = this.readKey();
    const resolved: KeyPathSegment[] = [];
    segs.forEach((seg, i) => {
      resolved.push(seg);
      const key = formatKeyPath(resolved);
      const count = this.aotCounts.get(key);
      if (isArray && i === segs.length - 1) {
        this.aotCounts.set(key, (count ?? 0) + 1);
        this.record(resolved, line);
        resolved.push(count ?? 0);
      } else if (count !== undefined) {
        // A table under an array of tables belongs to its latest element.
        resolved.push(count - 1);
      }
      this.record(resolved, line);
    });
    return resolved;
  }

  scan(): void {
    let table: KeyPathSegment[] = [];
    while (this.pos < this.text.length) {
      this.skipTrivia();
      if (this.pos >= this.text.length) break;
      if (this.peek() === '[') table = this.header();
      else this.keyValue(table);
      this.skipLine();
    }
  }
}

/** Maps each key path defined in `text` (valid TOML) to the line where it is defined. */
export function keyLines(text: string): KeyLines {
  const scanner = new Scanner(text);
  scanner.scan();
  return scanner.lines;
}

/**
 * The line of `path`, or of its nearest enclosing key when `path` itself is not written in the
 * text (a missing key is reported at its table's header). Undefined for the document itself.
 */
export function lineOf(lines: KeyLines, path: readonly KeyPathSegment[]): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const line = lines.get(formatKeyPath(path.slice(0, n)));
    if (line !== undefined) return line;
  }
  return undefined;
}
