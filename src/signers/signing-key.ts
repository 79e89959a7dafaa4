/**
 * A key that can sign, wherever it lives: on a PKCS#11 token (pkcs11/token-signer.ts) or in memory
 * (software.ts). Profile-neutral: it knows its algorithm and public key (SPKI), not how a profile lists
 * it — metadata-signer.ts turns it into the `MetadataSigner` src/tuf/sign.ts consumes.
 *
 * `sign` returns the RAW signature — r‖s for ECDSA (what tokens return), 64 bytes for Ed25519, the
 * RSASSA-PSS block — and has already verified it in software with the public key (boulder's habit:
 * every hardware result re-checked), so a token that returns garbage is caught at the token.
 */
import { CeremonyError } from '../errors.js';
import { decodeSpki, verifySignature, type VerifyScheme } from '../crypto/public-key.js';
import type { KeyAlgorithm, ProfileName } from '../profiles/profile.js';
import type { TokenRef } from './pkcs11/errors.js';

/** The digest ECDSA and RSA-PSS sign; Ed25519 signs the message itself and ignores it. */
export type SignHash = 'sha256' | 'sha384';

export type KeyOrigin =
  | { kind: 'token'; token: TokenRef; rehearsal: boolean }
  | { kind: 'software'; rehearsal: boolean };

export interface SignOptions {
  /**
   * The PIN, only for token keys that ask for it before every signature (CKA_ALWAYS_AUTHENTICATE,
   * YubiKey slot 9c). A Uint8Array is zeroed after use. Other keys ignore it.
   */
  pin?: Uint8Array | string;
  /**
   * Log in for this one signature with `pin` (CKU_CONTEXT_SPECIFIC) even when the key does not ask for it
   * every time: ykcs11 refuses a user login after the SO login that generation needs, but accepts this
   * (FIELD-NOTES), which is how a freshly made YubiKey key signs its self-test.
   */
  contextLogin?: boolean;
}

export interface SigningKey {
  readonly algorithm: KeyAlgorithm;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** hex SHA-256 of `spki`: the key's identity, read aloud at ceremonies. */
  readonly fingerprint: string;
  readonly label: string;
  readonly origin: KeyOrigin;
  /** Raw signature over `data` (see the file comment), verified before it is returned. */
  sign(data: Uint8Array, hash: SignHash, opts?: SignOptions): Promise<Uint8Array>;
  /** True when `sign` needs `opts.pin` every time. */
  readonly alwaysAuthenticate?: boolean;
  /** For an `alwaysAuthenticate` key: true when it asks its own PIN source when `opts.pin` is not given. */
  readonly signsWithoutPin?: boolean;
}

/**
 * `key`'s identity (algorithm, SPKI, fingerprint, label, origin) with another `sign`: the one way a wrapper
 * (a PIN asked per signature, a ceremony that may be stopped) changes how a key signs, never what key it is.
 * The PIN flags are the wrapper's to set.
 */
export function withSign(key: SigningKey, sign: SigningKey['sign']): SigningKey {
  return { algorithm: key.algorithm, spki: key.spki, fingerprint: key.fingerprint, label: key.label, origin: key.origin, sign };
}

/**
 * The digest each profile signs with each key type: TUF `ecdsa-sha2-nistp384` signs SHA-384, Notary signs
 * SHA-256 whatever the curve (FIELD-NOTES); RSA-PSS is SHA-256 in both.
 */
export function signatureHashFor(profile: ProfileName, algorithm: KeyAlgorithm): SignHash {
  return profile === 'tuf' && algorithm === 'ecdsa-p384' ? 'sha384' : 'sha256';
}

/** RSASSA-PSS as both profiles verify it: MGF1 with the same hash, salt length = hash length. */
export const PSS_SALT_LENGTH = 32;

export function verifySchemeFor(algorithm: KeyAlgorithm, hash: SignHash): VerifyScheme {
  switch (algorithm) {
    case 'ed25519':
      return { kind: 'ed25519' };
    case 'rsa-pss-sha256':
      return { kind: 'rsa-pss', hash: 'sha256', saltLength: 'digest' };
    default:
      return { kind: 'ecdsa', hash, encoding: 'ieee-p1363' };
  }
}

/** Bad crypto returns false (never throws): the raw signature checked against the SPKI. */
export function verifyRaw(spki: Uint8Array, algorithm: KeyAlgorithm, hash: SignHash, signature: Uint8Array, data: Uint8Array): boolean {
  const decoded = decodeSpki(spki, '$key');
  if (decoded.algorithm !== algorithm) return false;
  if (algorithm === 'rsa-pss-sha256' && hash !== 'sha256') return false;
  return verifySignature(decoded.keyObject, verifySchemeFor(algorithm, hash), signature, data);
}

/** Throw TOKEN_SIGNATURE_INVALID unless the signature verifies; `who` names the key for people. */
export function requireValidSignature(key: Pick<SigningKey, 'spki' | 'algorithm'>, hash: SignHash, signature: Uint8Array, data: Uint8Array, who: string): Uint8Array {
  if (!verifyRaw(key.spki, key.algorithm, hash, signature, data)) {
    throw new CeremonyError('TOKEN_SIGNATURE_INVALID', `the signature made by ${who} does not verify with its public key; it was not used`);
  }
  return signature;
}

export function algorithmTitle(algorithm: KeyAlgorithm): string {
  switch (algorithm) {
    case 'ecdsa-p256':
      return 'ECDSA P-256';
    case 'ecdsa-p384':
      return 'ECDSA P-384';
    case 'ed25519':
      return 'Ed25519';
    case 'rsa-pss-sha256':
      return 'RSA (PSS)';
  }
}
