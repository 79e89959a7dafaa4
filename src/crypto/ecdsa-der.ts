/**
 * ECDSA signature encodings: raw r‖s (IEEE P1363 — what PKCS#11 tokens return and what Notary writes)
 * and DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (SEC 1 §C.5 — what TUF 1.0
 * `ecdsa-sha2-nistp*` signatures are, FIELD-NOTES). Strict: minimal lengths, no trailing bytes, positive
 * integers without superfluous leading zeros, each at most the curve size — so one signature has exactly
 * one accepted encoding.
 */
import { CeremonyError } from '../errors.js';

function derLength(n: number): number[] {
  return n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
}

function derInteger(bytes: Uint8Array): number[] {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const body = Array.from(bytes.subarray(i));
  if (body[0]! & 0x80) body.unshift(0);
  return [0x02, ...derLength(body.length), ...body];
}

export function rawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new CeremonyError('SIGNATURE_ENCODING', `a raw ECDSA signature has an even length, not ${raw.length}`);
  const half = raw.length / 2;
  const body = [...derInteger(raw.subarray(0, half)), ...derInteger(raw.subarray(half))];
  return new Uint8Array([0x30, ...derLength(body.length), ...body]);
}

/** Parse DER strictly into raw r‖s of `size` bytes each; throws SIGNATURE_ENCODING naming `path`. */
export function derToRaw(der: Uint8Array, size: number, path: string): Uint8Array {
  const bad = (why: string): never => {
    throw new CeremonyError('SIGNATURE_ENCODING', `the ECDSA signature is not valid DER: ${why}`, { path });
  };
  let p = 0;
  const readLength = (): number => {
    const first = der[p++];
    if (first === undefined) return bad('truncated');
    if (first < 0x80) return first;
    if (first === 0x81) {
      const n = der[p++];
      if (n === undefined || n < 0x80) return bad('non-minimal length');
      return n;
    }
    return bad('length too long');
  };
  if (der[p++] !== 0x30) bad('not a SEQUENCE');
  const seqLen = readLength();
  if (p + seqLen !== der.length) bad('length does not match');
  const out = new Uint8Array(size * 2);
  for (let k = 0; k < 2; k++) {
    if (der[p++] !== 0x02) bad('not an INTEGER');
    const len = readLength();
    if (len === 0 || p + len > der.length) bad('bad INTEGER length');
    let int = der.subarray(p, p + len);
    p += len;
    if (int[0]! & 0x80) bad('negative INTEGER');
    if (int.length > 1 && int[0] === 0 && !(int[1]! & 0x80)) bad('non-minimal INTEGER');
    if (int[0] === 0) int = int.subarray(1);
    if (int.length > size) bad('INTEGER larger than the curve');
    if (int.length === 0 || int.every((b) => b === 0)) bad('zero INTEGER');
    out.set(int, k * size + size - int.length);
  }
  if (p !== der.length) bad('trailing bytes');
  return out;
}
