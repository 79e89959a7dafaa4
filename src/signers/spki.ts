/**
 * SubjectPublicKeyInfo from the raw parts tokens and @noble/curves hand out: an uncompressed EC point,
 * an Ed25519 public key, an RSA modulus and exponent. Each result is decoded back with node:crypto
 * (decodeSpki) by the callers, so a malformed part is refused as KEY_INVALID rather than trusted.
 */
import { createPublicKey } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import { ed25519Spki } from '../crypto/public-key.js';
import type { KeyAlgorithm } from '../profiles/profile.js';

/** DER of the named-curve OIDs, as CKA_EC_PARAMS carries them (RFC 5480, RFC 8410). */
export const EC_PARAMS = {
  'ecdsa-p256': Uint8Array.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
  'ecdsa-p384': Uint8Array.from([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]),
  ed25519: Uint8Array.from([0x06, 0x03, 0x2b, 0x65, 0x70]),
} as const;

/** PrintableString "edwards25519": the curve name some tokens (SoftHSM too) use for Ed25519 params. */
const EDWARDS25519_NAME = Uint8Array.from([0x13, 0x0c, ...new TextEncoder().encode('edwards25519')]);

/** SPKI prefixes up to the BIT STRING's unused-bits byte (SEC 1 / RFC 5480). */
const EC_SPKI_PREFIX = {
  'ecdsa-p256': Uint8Array.from(Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex')),
  'ecdsa-p384': Uint8Array.from(Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex')),
} as const;

const COORD = { 'ecdsa-p256': 32, 'ecdsa-p384': 48 } as const;

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Which algorithm a CKA_EC_PARAMS value names, or undefined for a curve we do not use. */
export function algorithmOfEcParams(params: Uint8Array): 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' | undefined {
  if (equal(params, EC_PARAMS['ecdsa-p256'])) return 'ecdsa-p256';
  if (equal(params, EC_PARAMS['ecdsa-p384'])) return 'ecdsa-p384';
  if (equal(params, EC_PARAMS.ed25519) || equal(params, EDWARDS25519_NAME)) return 'ed25519';
  return undefined;
}

/**
 * The raw point inside CKA_EC_POINT. PKCS#11 says DER OCTET STRING (`04 41 04…` for P-256, FIELD-NOTES);
 * a few modules return the bare point. `expected` is the bare point's length (65, 97 or 32).
 */
export function unwrapEcPoint(value: Uint8Array, expected: number, path: string): Uint8Array {
  if (value.length === expected && (expected === 32 || value[0] === 0x04)) return value;
  let p = 0;
  if (value[p++] !== 0x04) throw new CeremonyError('KEY_INVALID', 'the token returned an EC point that is not an OCTET STRING', { path });
  let len = value[p++] ?? 0;
  if (len === 0x81) len = value[p++] ?? 0;
  else if (len > 0x80) throw new CeremonyError('KEY_INVALID', 'the token returned an EC point with a bad length', { path });
  if (len !== expected || p + len !== value.length) {
    throw new CeremonyError('KEY_INVALID', `the token returned an EC point of ${len} bytes, expected ${expected}`, { path });
  }
  return value.subarray(p);
}

export function pointLength(algorithm: 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519'): number {
  return algorithm === 'ed25519' ? 32 : 1 + 2 * COORD[algorithm];
}

/** SPKI of an uncompressed P-256 / P-384 point, or of a raw Ed25519 key. */
export function spkiOfPoint(algorithm: 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519', point: Uint8Array, path: string): Uint8Array {
  if (algorithm === 'ed25519') return ed25519Spki(point, path);
  if (point.length !== pointLength(algorithm) || point[0] !== 0x04) {
    throw new CeremonyError('KEY_INVALID', `an uncompressed ${algorithm} point is ${pointLength(algorithm)} bytes starting 04`, { path });
  }
  const prefix = EC_SPKI_PREFIX[algorithm];
  const out = new Uint8Array(prefix.length + point.length);
  out.set(prefix);
  out.set(point, prefix.length);
  return out;
}

function base64url(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i)).toString('base64url');
}

/** SPKI of an RSA public key from CKA_MODULUS and CKA_PUBLIC_EXPONENT (big-endian, as PKCS#11 gives them). */
export function spkiOfRsa(modulus: Uint8Array, exponent: Uint8Array, path: string): Uint8Array {
  try {
    const key = createPublicKey({ key: { kty: 'RSA', n: base64url(modulus), e: base64url(exponent) }, format: 'jwk' });
    return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  } catch (cause) {
    throw new CeremonyError('KEY_INVALID', 'the token returned an RSA public key that cannot be decoded', { path, cause });
  }
}

export function isEcAlgorithm(algorithm: KeyAlgorithm): algorithm is 'ecdsa-p256' | 'ecdsa-p384' {
  return algorithm === 'ecdsa-p256' || algorithm === 'ecdsa-p384';
}

/** Bytes per ECDSA coordinate: the raw r‖s signature is twice this. */
export function coordinateBytes(algorithm: 'ecdsa-p256' | 'ecdsa-p384'): number {
  return COORD[algorithm];
}
