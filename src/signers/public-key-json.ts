/**
 * A public key (SPKI) written as each profile lists it in metadata, with the key ID the profile computes:
 *
 * - TUF 1.0: `ed25519` (hex raw key), `ecdsa` + `ecdsa-sha2-nistp256` / `-nistp384` (PEM SPKI),
 *   `rsa` + `rsassa-pss-sha256` (PEM SPKI) — as securesystemslib writes them (FIELD-NOTES);
 * - Notary: `ed25519` (base64 raw), `ecdsa` / `rsa` (base64 DER SPKI), and for root keys `ecdsa-x509` /
 *   `rsa-x509` (base64 of the certificate PEM as Go writes it), `private: null`.
 *
 * Every listing is parsed back by the profile (so it is exactly what a verifier will decode) and checked
 * to be the same public key.
 */
import { createHash } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import { canonicalBytes } from '../json/canonical.js';
import type { JsonObject } from '../json/types.js';
import { decodeSpki, ed25519Raw, pemOf } from '../crypto/public-key.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName, PublicKey } from '../profiles/profile.js';
import { toBase64, toHex } from '../profiles/encoding.js';

export interface ListedKey {
  profile: ProfileName;
  /** The key object for the `keys` table. */
  json: JsonObject;
  keyId: string;
  key: PublicKey;
}

const TUF_EC_SCHEME = { 'ecdsa-p256': 'ecdsa-sha2-nistp256', 'ecdsa-p384': 'ecdsa-sha2-nistp384' } as const;

/**
 * List `spki` for `profile`. For a Notary root key pass `certificatePem` (certificate.ts): the listing
 * becomes `ecdsa-x509` / `rsa-x509`, and the certificate must carry this very key.
 */
export function listPublicKey(profile: ProfileName, spki: Uint8Array, opts: { certificatePem?: string } = {}): ListedKey {
  const decoded = decodeSpki(spki, '$key');
  let json: JsonObject;
  if (profile === 'tuf') {
    if (opts.certificatePem) throw new CeremonyError('KEY_TYPE_UNSUPPORTED', 'TUF 1.0 keys are not listed as certificates');
    switch (decoded.algorithm) {
      case 'ed25519':
        json = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: toHex(ed25519Raw(decoded.spki)) } };
        break;
      case 'rsa-pss-sha256':
        json = { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: pemOf('PUBLIC KEY', decoded.spki) } };
        break;
      default:
        json = { keytype: 'ecdsa', scheme: TUF_EC_SCHEME[decoded.algorithm], keyval: { public: pemOf('PUBLIC KEY', decoded.spki) } };
    }
  } else if (opts.certificatePem) {
    if (decoded.algorithm === 'ed25519') throw new CeremonyError('KEY_TYPE_UNSUPPORTED', 'Notary has no x509 key type for Ed25519 keys; root keys are ECDSA (ecdsa-x509)');
    const keytype = decoded.algorithm === 'rsa-pss-sha256' ? 'rsa-x509' : 'ecdsa-x509';
    json = { keytype, keyval: { private: null, public: toBase64(new TextEncoder().encode(opts.certificatePem)) } };
  } else {
    const keytype = decoded.algorithm === 'ed25519' ? 'ed25519' : decoded.algorithm === 'rsa-pss-sha256' ? 'rsa' : 'ecdsa';
    const pub = decoded.algorithm === 'ed25519' ? ed25519Raw(decoded.spki) : decoded.spki;
    json = { keytype, keyval: { private: null, public: toBase64(pub) } };
  }
  const p = getProfile(profile);
  const key = p.parseKey(json, '$key');
  if (key.fingerprint !== decoded.fingerprint) {
    throw new CeremonyError('KEY_INVALID', 'the certificate carries another public key than the one being listed', { path: '$key.keyval.public' });
  }
  return { profile, json, keyId: p.keyId(json), key };
}

/**
 * Notary's other ID for an x509 root key: that of the bare key `{"keytype":"ecdsa","keyval":{"private":
 * null,"public":base64(DER SPKI)}}` — the name of its key file and what notary's messages show
 * (FIELD-NOTES, "A root key has two IDs").
 */
export function notaryBareKeyId(spki: Uint8Array): string {
  const decoded = decodeSpki(spki, '$key');
  const keytype = decoded.algorithm === 'ed25519' ? 'ed25519' : decoded.algorithm === 'rsa-pss-sha256' ? 'rsa' : 'ecdsa';
  const pub = decoded.algorithm === 'ed25519' ? ed25519Raw(decoded.spki) : decoded.spki;
  return createHash('sha256')
    .update(canonicalBytes({ keytype, keyval: { private: null, public: toBase64(pub) } }, 'notary'))
    .digest('hex');
}
