import { hash } from 'node:crypto';

/** Hash algorithms we check in snapshot/timestamp/targets meta (TUF 4.4 HASHES; Notary sha256/sha512). */
export const SUPPORTED_HASHES = ['sha256', 'sha384', 'sha512'] as const;
export type HashAlgorithm = (typeof SUPPORTED_HASHES)[number];

export function isSupportedHash(alg: string): alg is HashAlgorithm {
  return (SUPPORTED_HASHES as readonly string[]).includes(alg);
}

// The one-shot crypto.hash (node ≥ 20.12; engines ≥ 20.19): the same digest without a Hash object, half
// createHash's cost for a metadata file, and a set of a thousand repositories hashes tens of thousands.
export function digest(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(hash(alg, data, 'buffer'));
}

export function sha256Hex(data: Uint8Array | string): string {
  return hash('sha256', data, 'hex');
}

/** Constant-time comparison is not needed for public digests; plain equality of bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // Native comparison: a set import compares each repository's root.json (kilobytes) with its pin.
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
