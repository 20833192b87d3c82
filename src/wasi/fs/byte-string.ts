/**
 * File names and paths as bytes. A POSIX name is a byte string, not text: a host file name need
 * not be UTF-8, and a guest may use any byte but NUL (and `/` inside a name). The WASI layer
 * carries names as {@link ByteString}s (Web IDL's term): JS strings whose code units are the
 * bytes, 0-255, one per byte, the mapping Node.js calls `latin1`. They convert to and from bytes
 * exactly, so no name is ever dropped or rewritten on its way between guest and host, and string
 * operations keep working on them (`/` and `.` are the same code units as the bytes; a ByteString
 * is a Map key). An ASCII name reads the same as text.
 *
 * Text (a package's paths, a preopen's guest path) becomes a ByteString through its UTF-8 bytes
 * ({@link byteStringFromText}); never pass text where a ByteString is expected, or a character
 * beyond U+007F stands for the wrong bytes.
 */

/** A name or path, one code unit (0-255) per byte. */
export type ByteString = string;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const NON_ASCII = /[^\x00-\x7f]/;

/** The ByteString of `bytes`. */
export function byteStringOf(bytes: Uint8Array): ByteString {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The bytes a ByteString stands for. */
export function bytesOf(s: ByteString): Buffer {
  return Buffer.from(s, 'latin1');
}

/** The ByteString of the UTF-8 encoding of `text`. */
export function byteStringFromText(text: string): ByteString {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** The text a ByteString holds as UTF-8, or undefined when its bytes are not UTF-8. */
export function textOf(s: ByteString): string | undefined {
  if (!NON_ASCII.test(s)) return s;
  try {
    return utf8.decode(bytesOf(s));
  } catch {
    return undefined;
  }
}

/**
 * A ByteString as a Node.js `fs` path: Node.js encodes a string path as UTF-8, which gives an
 * ASCII path's own bytes; any other path is passed as its bytes (a Buffer).
 */
export function fsPath(s: ByteString): string | Buffer {
  return NON_ASCII.test(s) ? bytesOf(s) : s;
}
