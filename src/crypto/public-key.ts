/**
 * Public keys as node:crypto KeyObjects, from the encodings our profiles use (SPKI DER, PEM, raw
 * Ed25519), and signature verification. node:crypto (OpenSSL) rather than @noble/curves here because
 * verification of a 1,000-version root chain is a benchmark target (PRODUCT.md §7) and OpenSSL is several
 * times faster; both accept high-S ECDSA signatures, which tokens produce half the time (FIELD-NOTES).
 */
import { constants, createPublicKey, hash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import type { KeyAlgorithm } from '../profiles/profile.js';

const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export function ed25519Spki(raw: Uint8Array, path: string): Uint8Array {
  if (raw.length !== 32) throw new CeremonyError('KEY_INVALID', `an Ed25519 public key is 32 bytes, not ${raw.length}`, { path });
  const out = new Uint8Array(44);
  out.set(ED25519_SPKI_PREFIX);
  out.set(raw, 12);
  return out;
}

/** An Ed25519 SubjectPublicKeyInfo exactly as ed25519Spki writes it (the only DER encoding of one). */
function isEd25519Spki(spki: Uint8Array): boolean {
  if (spki.length !== 44) return false;
  for (let i = 0; i < 12; i++) if (spki[i] !== ED25519_SPKI_PREFIX[i]) return false;
  return true;
}

export function ed25519Raw(spki: Uint8Array): Uint8Array {
  return spki.subarray(spki.length - 32);
}

export interface DecodedSpki {
  keyObject: KeyObject;
  algorithm: KeyAlgorithm;
  /** Bytes per ECDSA coordinate (32 for P-256, 48 for P-384); RSA modulus bytes; 32 for Ed25519. */
  size: number;
  spki: Uint8Array;
  fingerprint: string;
}

/**
 * Keys decoded in this process, by fingerprint: a root chain lists each key in several versions (a root key
 * in three, the online roles' keys in all of them), so one verification decodes each key once. Being
 * process-wide, it also serves any later verification of the same keys; a benchmark of verification
 * clears it before each run (clearDecodedKeyCache), so what it times is the work a first verification does.
 */
const cache = new Map<string, DecodedSpki>();
const CACHE_LIMIT = 4096;

/** Forget every decoded key (bench/sides.ts: a timed run must not be served by an earlier run's keys). */
export function clearDecodedKeyCache(): void {
  cache.clear();
}

/**
 * Decode SPKI DER; throws KEY_INVALID for anything node:crypto cannot read, and KEY_TYPE_UNSUPPORTED for
 * keys outside the algorithms both profiles accept (P-256, P-384, Ed25519, RSA ≥ 2048 bits).
 */
export function decodeSpki(spki: Uint8Array, path: string): DecodedSpki {
  // The one-shot hash: a fifth of createHash's cost for 44 bytes, and a chain looks up thousands of keys.
  const fingerprint = hash('sha256', spki, 'hex');
  const hit = cache.get(fingerprint);
  if (hit) return hit;
  let keyObject: KeyObject;
  const ed25519 = isEd25519Spki(spki);
  try {
    keyObject = ed25519
      ? // The same key from its 32 raw bytes: OpenSSL 3's DER decoder costs ~5× the raw import, and a
        // 1,000-version root chain decodes a thousand keys.
        createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(spki.buffer, spki.byteOffset + 12, 32).toString('base64url') }, format: 'jwk' })
      : createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: 'der', type: 'spki' });
  } catch {
    throw new CeremonyError('KEY_INVALID', 'the public key is not a valid SubjectPublicKeyInfo', { path });
  }
  let algorithm: KeyAlgorithm;
  let size: number;
  // A key made from its raw Ed25519 bytes is an Ed25519 key: no native call to be told so (a chain decodes
  // a thousand of them).
  const type = ed25519 ? 'ed25519' : keyObject.asymmetricKeyType;
  // Details (a native call) only where there is something in them to check: an Ed25519 key has none.
  const details = type === 'ed25519' ? {} : (keyObject.asymmetricKeyDetails ?? {});
  switch (type) {
    case 'ed25519':
      algorithm = 'ed25519';
      size = 32;
      break;
    case 'ec':
      if (details.namedCurve === 'prime256v1') [algorithm, size] = ['ecdsa-p256', 32];
      else if (details.namedCurve === 'secp384r1') [algorithm, size] = ['ecdsa-p384', 48];
      else throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `the EC curve ${details.namedCurve ?? 'unknown'} is not supported (P-256 or P-384)`, { path });
      break;
    case 'rsa':
      if ((details.modulusLength ?? 0) < 2048) throw new CeremonyError('KEY_INVALID', `an RSA key of ${details.modulusLength} bits is too short (2048 at least)`, { path });
      algorithm = 'rsa-pss-sha256';
      size = Math.ceil(details.modulusLength! / 8);
      break;
    default:
      throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `a ${type ?? 'unknown'} key is not supported`, { path });
  }
  // One key, one encoding: the fingerprint is the key's identity (KEY_DUPLICATE_IN_ROLE, distinct keys
  // toward a threshold, the inventory), so a key OpenSSL also reads from another encoding — an EC point
  // compressed, explicit curve parameters, a BER length, an Ed25519 key outside ed25519Spki's form — would
  // be a second identity for the same private key, and one signer could count twice toward a threshold of
  // two (TUF 5.3.4: a threshold of signatures by distinct keys). Only the DER that OpenSSL itself writes for
  // the key is taken. (The raw Ed25519 path above is that form by construction.)
  // After the switch, so only keys both profiles accept get here (JWK has no name for other curves).
  if (!ed25519) {
    let canonical: Buffer | undefined;
    try {
      // OpenSSL remembers a point's compressed form and writes it back so: an EC key is written from its
      // coordinates (JWK) instead, which is always the uncompressed point on the named curve.
      canonical = (type === 'ec' ? createPublicKey({ key: keyObject.export({ format: 'jwk' }), format: 'jwk' }) : keyObject).export({ format: 'der', type: 'spki' });
    } catch {
      canonical = undefined;
    }
    if (!canonical || !canonical.equals(Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength))) {
      throw new CeremonyError(
        'KEY_INVALID',
        'the public key is not written in its one DER form (an uncompressed point on a named curve, minimal lengths): the same key written another way would count as a second key',
        { path },
      );
    }
  }
  // A copy the caller cannot change: new Uint8Array(x) copies even when x is a Buffer, whose slice() would
  // be a shared view (the cache outlives the caller's buffer).
  const out: DecodedSpki = { keyObject, algorithm, size, spki: new Uint8Array(spki), fingerprint };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(fingerprint, out);
  return out;
}

const PEM_PUBLIC = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END PUBLIC KEY-----\r?\n?$/;

/** SPKI from a `PUBLIC KEY` PEM block and nothing else (no certificates, no private keys). */
export function spkiFromPem(text: string, path: string): Uint8Array {
  const m = PEM_PUBLIC.exec(text.trim() + '\n');
  if (!m) throw new CeremonyError('KEY_INVALID', 'expected one PEM "PUBLIC KEY" block', { path });
  const b64 = m[1]!.replace(/\r?\n/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new CeremonyError('KEY_INVALID', 'the PEM body is not base64', { path });
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Go-style PEM (64-column lines, LF, trailing LF), as Notary and securesystemslib write public keys. */
export function pemOf(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

export type VerifyScheme =
  | { kind: 'ed25519' }
  /** `encoding`: 'der' or raw 'ieee-p1363'; `hash`: the digest signed (Notary: sha256 for every curve). */
  | { kind: 'ecdsa'; hash: 'sha256' | 'sha384'; encoding: 'der' | 'ieee-p1363' }
  | { kind: 'rsa-pss'; hash: 'sha256'; saltLength: 'auto' | 'digest' };

/** Bad crypto returns false, never throws (noble-curves habit). */
export function verifySignature(key: KeyObject, scheme: VerifyScheme, signature: Uint8Array, data: Uint8Array): boolean {
  try {
    switch (scheme.kind) {
      case 'ed25519':
        return nodeVerify(null, data, key, signature);
      case 'ecdsa':
        return nodeVerify(scheme.hash, data, { key, dsaEncoding: scheme.encoding }, signature);
      case 'rsa-pss':
        return nodeVerify(
          scheme.hash,
          data,
          {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: scheme.saltLength === 'auto' ? constants.RSA_PSS_SALTLEN_AUTO : constants.RSA_PSS_SALTLEN_DIGEST,
          },
          signature,
        );
    }
  } catch {
    return false;
  }
}
