import type { JsonObject, JsonValue } from '../json/types.js';
import type { KeyObject } from 'node:crypto';
import type { VerifyScheme } from '../crypto/public-key.js';

/**
 * The two metadata dialects we speak. `notary` is Notary v1 / Docker Content Trust (TUF-derived, with its
 * own key types, signature encoding, capitalised `_type`, base64 hashes); `tuf` is the TUF 1.0 spec.
 */
export type ProfileName = 'tuf' | 'notary';

/** The signature algorithms behind every key type both profiles accept. */
export type KeyAlgorithm = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-pss-sha256';

/** Facts read from the X.509 certificate of a Notary `ecdsa-x509` / `rsa-x509` key. */
export interface CertificateInfo {
  subjectCN: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  /** hex SHA-256 of the certificate DER, for showing to people. */
  fingerprint: string;
  signatureHash: string;
}

/**
 * A public key decoded from metadata. `spki` (DER SubjectPublicKeyInfo) is the key's identity: thresholds
 * count distinct `spki`, never distinct key IDs, so one key listed under two IDs counts once.
 */
export interface PublicKey {
  readonly profile: ProfileName;
  readonly keytype: string;
  /** TUF 1.0 scheme; undefined in the Notary profile, which has none. */
  readonly scheme: string | undefined;
  readonly algorithm: KeyAlgorithm;
  readonly spki: Uint8Array;
  /** hex SHA-256 of `spki`: the same for a key whatever its encoding, certificate or key ID. */
  readonly fingerprint: string;
  readonly certificate: CertificateInfo | undefined;
}

/** A signature as it appears in an envelope, fields validated as strings but not yet decoded. */
export interface SignatureJson {
  keyid: string;
  sig: string;
  method?: string;
}

export interface Profile {
  readonly name: ProfileName;
  /** Canonical bytes of a value, as the profile's peers sign them. */
  canonical(value: JsonValue): Uint8Array;
  /**
   * Another canonical spelling some peer signs, accepted when verifying (TUF: tuf-js's UTF-16 key order);
   * undefined when the value has only one spelling.
   */
  alternateCanonical?(value: JsonValue): Uint8Array | undefined;
  /**
   * Decode a key object from metadata. Throws CeremonyError KEY_TYPE_UNSUPPORTED (unknown type, scheme, or
   * a type/scheme pair that does not fit) or KEY_INVALID (undecodable material), naming `path`.
   */
  parseKey(json: JsonObject, path: string): PublicKey;
  /** The key ID the profile's peers compute for this key object (hex). */
  keyId(json: JsonObject): string;
  /**
   * Decode a signature's bytes for `key`. Throws SIGNATURE_ENCODING (bad base64/hex, wrong length, bad DER)
   * or SIGNATURE_METHOD_MISMATCH (Notary `method` that does not fit the key), naming `path`.
   */
  decodeSignature(sig: SignatureJson, key: PublicKey, path: string): Uint8Array;
  /** Bad crypto returns false, never throws (noble-curves habit). */
  verify(key: PublicKey, signature: Uint8Array, data: Uint8Array): boolean;
  /**
   * What `verify` checks a signature by `key` with (crypto/public-key.ts verifySignature): the same check
   * made on another thread, to which a KeyObject passes without being decoded again (io/signature-pool.ts).
   */
  verifyWith(key: PublicKey): { keyObject: KeyObject; scheme: VerifyScheme };
  /** Encode raw signature bytes as the profile writes them in an envelope. */
  encodeSignature(keyId: string, key: PublicKey, signature: Uint8Array): SignatureJson;
  /** Encode a hash digest as the profile writes it in snapshot/timestamp/targets meta (hex or base64). */
  encodeDigest(digest: Uint8Array): string;
  decodeDigest(text: string, path: string): Uint8Array;
}
