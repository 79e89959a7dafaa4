import { createHash } from 'node:crypto';

/** Hash algorithms we check in snapshot/timestamp/targets meta (TUF 4.4 HASHES; Notary sha256/sha512). */
export const SUPPORTED_HASHES = ['sha256', 'sha384', 'sha512'] as const;
export type HashAlgorithm = (typeof SUPPORTED_HASHES)[number];

export function isSupportedHash(alg: string): alg is HashAlgorithm {
  return (SUPPORTED_HASHES as readonly string[]).includes(alg);
}

export function digest(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(alg).update(data).digest());
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Constant-time comparison is not needed for public digests; plain equality of bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
