/** Strict hex and base64 decoding for key material, signatures and digests (one accepted spelling each). */
import { CeremonyError, type ErrorCode } from '../errors.js';

const HEX = /^(?:[0-9a-f]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeHex(text: string, path: string, code: ErrorCode, what: string): Uint8Array {
  if (!HEX.test(text)) throw new CeremonyError(code, `${what} is not lower-case hex`, { path });
  return new Uint8Array(Buffer.from(text, 'hex'));
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
