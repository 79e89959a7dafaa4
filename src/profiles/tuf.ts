/**
 * TUF 1.0 (spec §4.2–4.3): key types `ed25519`, `ecdsa` (with the legacy `ecdsa-sha2-nistp256` key type
 * python-tuf once wrote) and `rsa`, each with its scheme; key IDs are the hex SHA-256 of the key object's
 * canonical JSON; signatures are hex — raw 64 bytes for Ed25519, DER for ECDSA (securesystemslib refuses
 * raw r‖s, FIELD-NOTES), the PSS block for RSA.
 */
import { createHash } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import { canonicalBytes, hasOrderAmbiguity } from '../json/canonical.js';
import { asObject, asString, child } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { derToRaw, rawToDer } from '../crypto/ecdsa-der.js';
import { decodeSpki, ed25519Spki, spkiFromPem, verifySignature, type VerifyScheme } from '../crypto/public-key.js';
import { attachMaterial, materialOf } from './decoded-key.js';
import { refuseFoldedKeyFields } from './key-fields.js';
import { decodeHex, toHex } from './encoding.js';
import type { KeyAlgorithm, Profile, PublicKey, SignatureJson } from './profile.js';

/** Each accepted scheme: the algorithm its key must have, and how its signatures verify. */
const SCHEMES: Record<string, { algorithm: KeyAlgorithm; keytypes: readonly string[]; verify: VerifyScheme }> = {
  ed25519: { algorithm: 'ed25519', keytypes: ['ed25519'], verify: { kind: 'ed25519' } },
  'ecdsa-sha2-nistp256': {
    algorithm: 'ecdsa-p256',
    keytypes: ['ecdsa', 'ecdsa-sha2-nistp256'],
    verify: { kind: 'ecdsa', hash: 'sha256', encoding: 'der' },
  },
  'ecdsa-sha2-nistp384': {
    algorithm: 'ecdsa-p384',
    keytypes: ['ecdsa', 'ecdsa-sha2-nistp384'],
    verify: { kind: 'ecdsa', hash: 'sha384', encoding: 'der' },
  },
  // securesystemslib signs with salt length = digest length and verifies with AUTO; accept any salt.
  'rsassa-pss-sha256': { algorithm: 'rsa-pss-sha256', keytypes: ['rsa'], verify: { kind: 'rsa-pss', hash: 'sha256', saltLength: 'auto' } },
};

function parseKey(json: JsonObject, path: string): PublicKey {
  refuseFoldedKeyFields(json, path);
  const keytype = asString(json.keytype, child(path, 'keytype'));
  const scheme = asString(json.scheme, child(path, 'scheme'));
  const keyval = asObject(json.keyval, child(path, 'keyval'));
  const publicPath = child(child(path, 'keyval'), 'public');
  const pub = asString(keyval.public, publicPath);
  const spec = Object.hasOwn(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
  if (!spec) throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `unknown signature scheme ${JSON.stringify(scheme)}`, { path: child(path, 'scheme') });
  if (!spec.keytypes.includes(keytype)) {
    throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `key type ${JSON.stringify(keytype)} does not go with scheme ${JSON.stringify(scheme)}`, { path: child(path, 'keytype') });
  }
  if (keyval.private !== undefined && keyval.private !== null && keyval.private !== '') {
    throw new CeremonyError('KEY_INVALID', 'metadata must not carry a private key', { path: child(child(path, 'keyval'), 'private') });
  }
  const spki = spec.algorithm === 'ed25519' ? ed25519Spki(decodeHex(pub, publicPath, 'KEY_INVALID', 'the Ed25519 public key'), publicPath) : spkiFromPem(pub, publicPath);
  const decoded = decodeSpki(spki, publicPath);
  if (decoded.algorithm !== spec.algorithm) {
    throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `the key is ${decoded.algorithm}, but scheme ${scheme} needs ${spec.algorithm}`, { path: publicPath });
  }
  const key: PublicKey = { profile: 'tuf', keytype, scheme, algorithm: spec.algorithm, spki: decoded.spki, fingerprint: decoded.fingerprint, certificate: undefined };
  return attachMaterial(key, { keyObject: decoded.keyObject, size: decoded.size });
}

function verifySchemeOf(key: PublicKey): VerifyScheme {
  return SCHEMES[key.scheme!]!.verify;
}

export const tufProfile: Profile = {
  name: 'tuf',
  canonical: (value: JsonValue) => canonicalBytes(value, 'tuf'),
  // Signed by code point (securesystemslib, python-tuf, go-tuf); tuf-js signs by UTF-16 code unit.
  alternateCanonical: (value: JsonValue) => (hasOrderAmbiguity(value) ? canonicalBytes(value, 'tuf-utf16') : undefined),
  parseKey,
  keyId(json: JsonObject): string {
    return createHash('sha256').update(canonicalBytes(json, 'tuf')).digest('hex');
  },
  decodeSignature(sig: SignatureJson, key: PublicKey, path: string): Uint8Array {
    const sigPath = `${path}.sig`;
    const bytes = decodeHex(sig.sig, sigPath, 'SIGNATURE_ENCODING', 'the signature');
    const { size } = materialOf(key);
    if (key.algorithm === 'ed25519' && bytes.length !== 64) {
      throw new CeremonyError('SIGNATURE_ENCODING', `an Ed25519 signature is 64 bytes, not ${bytes.length}`, { path: sigPath });
    }
    if (key.algorithm === 'rsa-pss-sha256' && bytes.length !== size) {
      throw new CeremonyError('SIGNATURE_ENCODING', `an RSA signature for this key is ${size} bytes, not ${bytes.length}`, { path: sigPath });
    }
    if (key.algorithm === 'ecdsa-p256' || key.algorithm === 'ecdsa-p384') derToRaw(bytes, size, sigPath);
    return bytes;
  },
  verify(key: PublicKey, signature: Uint8Array, data: Uint8Array): boolean {
    return verifySignature(materialOf(key).keyObject, verifySchemeOf(key), signature, data);
  },
  verifyWith: (key: PublicKey) => ({ keyObject: materialOf(key).keyObject, scheme: verifySchemeOf(key) }),
  encodeSignature(keyId: string, key: PublicKey, signature: Uint8Array): SignatureJson {
    const bytes = key.algorithm === 'ecdsa-p256' || key.algorithm === 'ecdsa-p384' ? rawToDer(signature) : signature;
    return { keyid: keyId, sig: toHex(bytes) };
  },
  encodeDigest: toHex,
  decodeDigest: (text: string, path: string) => decodeHex(text, path, 'SCHEMA_INVALID', 'the hash'),
};
