/**
 * A `SigningKey` (token or software) as the `MetadataSigner` src/tuf/sign.ts consumes: the key ID and
 * public key as the profile lists it, and `sign` with the digest that profile's verifiers use
 * (signing-key.ts `signatureHashFor`). The raw signature comes back verified by the key; signMetadata
 * encodes it for the envelope and verifies it again through the profile.
 */
import { CeremonyError } from '../errors.js';
import type { MetadataSigner } from '../tuf/sign.js';
import type { ListedKey } from './public-key-json.js';
import { signatureHashFor, type SigningKey } from './signing-key.js';

export interface MetadataSignerOptions {
  /**
   * Asked at the moment of each signature for keys that need the PIN every time (YubiKey slot 9c); the
   * returned bytes are zeroed after use.
   */
  pin?: () => Promise<Uint8Array | string>;
}

export function metadataSigner(key: SigningKey, listed: ListedKey, opts: MetadataSignerOptions = {}): MetadataSigner {
  if (listed.key.fingerprint !== key.fingerprint) {
    throw new CeremonyError('KEY_ID_MISMATCH', `key ${listed.keyId.slice(0, 16)}… is listed with another public key than "${key.label}" has`);
  }
  const hash = signatureHashFor(listed.profile, key.algorithm);
  return {
    keyId: listed.keyId,
    key: listed.key,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      if (!key.alwaysAuthenticate) return key.sign(data, hash);
      if (opts.pin) return key.sign(data, hash, { pin: await opts.pin() });
      // A token key given its own PIN source (TokenKey.withPinSource) asks at each signature itself.
      if (key.signsWithoutPin) return key.sign(data, hash);
      throw new CeremonyError('TOKEN_LOGIN_REQUIRED', `"${key.label}" asks for the PIN before every signature, and no PIN prompt was given`);
    },
  };
}
