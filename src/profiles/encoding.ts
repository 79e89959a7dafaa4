/** Strict hex and base64 decoding for key material, signatures and digests (one accepted spelling each). */
import { CeremonyError, type ErrorCode } from '../errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The value of a lower-case hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Non-empty, even-length, lower-case hex into a fresh array. One pass over the text: a root chain decodes
 * thousands of signatures and keys, where a regular expression, Node's pooled hex decoder and a copy out of
 * its pool cost several times the decoding (issue #18). Accepts exactly the text /^(?:[0-9a-f]{2})+$/ matches.
 */
export function decodeHex(text: string, path: string, code: ErrorCode, what: string): Uint8Array {
  const n = text.length;
  if (n === 0 || (n & 1) !== 0) throw new CeremonyError(code, `${what} is not lower-case hex`, { path });
  const out = new Uint8Array(n >> 1);
  for (let i = 0, j = 0; i < n; i += 2, j++) {
    const hi = hexValue(text.charCodeAt(i));
    const lo = hexValue(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) throw new CeremonyError(code, `${what} is not lower-case hex`, { path });
    out[j] = (hi << 4) | lo;
  }
  return out;
}

export function decodeBase64(text: string, path: string, code: ErrorCode, what: string): Uint8Array {
  if (text.length === 0 || !BASE64.test(text)) throw new CeremonyError(code, `${what} is not standard padded base64`, { path });
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
