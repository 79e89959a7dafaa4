/**
 * The software keys a share card may carry, as private-key bytes: a 32-byte Ed25519 seed (RFC 8032
 * §5.1.5), or a P-256 / P-384 scalar, big-endian, 32 / 48 bytes (SEC 1 §2.3.7). The public key is derived
 * with @noble/curves and identified, like every key in this tool, by the hex SHA-256 of its DER
 * SubjectPublicKeyInfo (src/crypto/public-key.ts).
 *
 * Limits: @noble/curves turns the scalar into a bigint that cannot be wiped; the byte buffers we own are.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { CeremonyError } from '../errors.js';
import { decodeSpki, ed25519Spki, pemOf } from '../crypto/public-key.js';
import type { JsonObject } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import { toBase64, toHex } from '../profiles/encoding.js';

/** The algorithms of a key split into share cards (a subset of KeyAlgorithm). */
export type ShamirAlgorithm = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384';

export const SHAMIR_ALGORITHMS: readonly ShamirAlgorithm[] = ['ed25519', 'ecdsa-p256', 'ecdsa-p384'];

export function isShamirAlgorithm(value: string): value is ShamirAlgorithm {
  return (SHAMIR_ALGORITHMS as readonly string[]).includes(value);
}

/** Bytes of the private key (the Shamir secret) for each algorithm. */
export const SECRET_LENGTH: Readonly<Record<ShamirAlgorithm, number>> = { ed25519: 32, 'ecdsa-p256': 32, 'ecdsa-p384': 48 };

const EC_SPKI_PREFIX: Readonly<Record<'ecdsa-p256' | 'ecdsa-p384', string>> = {
  // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (uncompressed point) } — RFC 5480
  'ecdsa-p256': '3059301306072a8648ce3d020106082a8648ce3d030107034200',
  'ecdsa-p384': '3076301006072a8648ce3d020106052b81040022036200',
};

function curveOf(algorithm: 'ecdsa-p256' | 'ecdsa-p384') {
  return algorithm === 'ecdsa-p256' ? p256 : p384;
}

export interface DerivedPublicKey {
  algorithm: ShamirAlgorithm;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  /** hex SHA-256 of `spki`. */
  fingerprint: string;
}

/**
 * The public key of `secret`. Throws KEY_INVALID when the bytes are not a valid private key of the
 * algorithm (wrong length; a scalar of 0 or ≥ the group order). The message never contains key bytes.
 */
export function derivePublicKey(algorithm: ShamirAlgorithm, secret: Uint8Array): DerivedPublicKey {
  if (!(secret instanceof Uint8Array) || secret.length !== SECRET_LENGTH[algorithm]) {
    throw new CeremonyError('KEY_INVALID', `a ${algorithm} private key is ${SECRET_LENGTH[algorithm]} bytes`);
  }
  let spki: Uint8Array;
  try {
    if (algorithm === 'ed25519') {
      spki = ed25519Spki(ed25519.getPublicKey(secret), '$key');
    } else {
      const curve = curveOf(algorithm);
      if (!curve.utils.isValidSecretKey(secret)) throw new Error('invalid scalar');
      const point = curve.getPublicKey(secret, false);
      const prefix = Buffer.from(EC_SPKI_PREFIX[algorithm], 'hex');
      spki = new Uint8Array(prefix.length + point.length);
      spki.set(prefix);
      spki.set(point, prefix.length);
    }
  } catch {
    // Deliberately no cause: noble's messages may describe the scalar.
    throw new CeremonyError('KEY_INVALID', `the bytes are not a valid ${algorithm} private key`);
  }
  // Decoded back with node:crypto: the same code that computes every other fingerprint in the tool.
  const decoded = decodeSpki(spki, '$key');
  if (decoded.algorithm !== algorithm) throw new CeremonyError('INTERNAL', `derived a ${decoded.algorithm} key for ${algorithm}`);
  return { algorithm, spki: decoded.spki, fingerprint: decoded.fingerprint };
}

/** A fresh private key from the platform CSPRNG (via @noble/curves' randomSecretKey). */
export function generateSecret(algorithm: ShamirAlgorithm): Uint8Array {
  if (algorithm === 'ed25519') return ed25519.utils.randomSecretKey();
  return curveOf(algorithm).utils.randomSecretKey();
}

export interface PublicKeyForms {
  tuf: { keyid: string; key: JsonObject };
  /**
   * Notary's bare key form (`ecdsa` / `ed25519`). A Notary *root* lists its keys as `ecdsa-x509`: the
   * self-signed certificate (CN = GUN) is made with the key at the root ceremony.
   */
  notary: { keyid: string; key: JsonObject };
}

/** The public key as each profile lists it in metadata, each form parsed back by its profile. */
export function publicKeyForms(pub: DerivedPublicKey): PublicKeyForms {
  let tufKey: JsonObject;
  let notaryKey: JsonObject;
  if (pub.algorithm === 'ed25519') {
    const raw = pub.spki.subarray(pub.spki.length - 32);
    tufKey = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: toHex(raw) } };
    notaryKey = { keytype: 'ed25519', keyval: { private: null, public: toBase64(raw) } };
  } else {
    const scheme = pub.algorithm === 'ecdsa-p256' ? 'ecdsa-sha2-nistp256' : 'ecdsa-sha2-nistp384';
    tufKey = { keytype: 'ecdsa', scheme, keyval: { public: pemOf('PUBLIC KEY', pub.spki) } };
    notaryKey = { keytype: 'ecdsa', keyval: { private: null, public: toBase64(pub.spki) } };
  }
  const out: PublicKeyForms = { tuf: { keyid: '', key: tufKey }, notary: { keyid: '', key: notaryKey } };
  for (const name of ['tuf', 'notary'] as const) {
    const profile = getProfile(name);
    const parsed = profile.parseKey(out[name].key, `$.${name}.key`);
    if (parsed.fingerprint !== pub.fingerprint) throw new CeremonyError('INTERNAL', `the ${name} key form does not round-trip`);
    out[name].keyid = profile.keyId(out[name].key);
  }
  return out;
}
