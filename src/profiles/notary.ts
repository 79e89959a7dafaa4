/**
 * Notary v1 / Docker Content Trust (notary `tuf/data/keys.go`, `tuf/signed/verifiers.go`, FIELD-NOTES):
 * key types `ecdsa` / `rsa` (base64 DER SPKI), `ed25519` (base64 raw), and `ecdsa-x509` / `rsa-x509`
 * (base64 of a PEM certificate, for root keys); key ID = hex SHA-256 of the canonical
 * `{"keytype":T,"keyval":{"private":null,"public":P}}`; signatures carry a `method` and are base64 —
 * raw r‖s for ECDSA over SHA-256 whatever the curve, raw 64 bytes for `eddsa`, PSS with salt length =
 * hash length for `rsapss`.
 */
import { hash } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import { canonicalBytes } from '../json/canonical.js';
import { asObject, asString, child } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { decodeSpki, ed25519Spki, verifySignature, type VerifyScheme } from '../crypto/public-key.js';
import { attachMaterial, materialOf } from './decoded-key.js';
import { refuseFoldedKeyFields } from './key-fields.js';
import { decodeBase64, toBase64 } from './encoding.js';
import type { KeyAlgorithm, Profile, PublicKey, SignatureJson } from './profile.js';
import { parseCertificatePem } from './x509.js';

const KEYTYPES: Record<string, { family: 'ec' | 'ed25519' | 'rsa'; x509: boolean }> = {
  ecdsa: { family: 'ec', x509: false },
  'ecdsa-x509': { family: 'ec', x509: true },
  ed25519: { family: 'ed25519', x509: false },
  rsa: { family: 'rsa', x509: false },
  'rsa-x509': { family: 'rsa', x509: true },
};

const METHOD: Record<'ec' | 'ed25519' | 'rsa', string> = { ec: 'ecdsa', ed25519: 'eddsa', rsa: 'rsapss' };

function familyOf(algorithm: KeyAlgorithm): 'ec' | 'ed25519' | 'rsa' {
  return algorithm === 'ed25519' ? 'ed25519' : algorithm === 'rsa-pss-sha256' ? 'rsa' : 'ec';
}

function parseKey(json: JsonObject, path: string): PublicKey {
  refuseFoldedKeyFields(json, path);
  const keytype = asString(json.keytype, child(path, 'keytype'));
  const keyvalPath = child(path, 'keyval');
  const keyval = asObject(json.keyval, keyvalPath);
  const publicPath = child(keyvalPath, 'public');
  const pub = asString(keyval.public, publicPath);
  const spec = Object.hasOwn(KEYTYPES, keytype) ? KEYTYPES[keytype] : undefined;
  if (!spec) throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `unknown Notary key type ${JSON.stringify(keytype)}`, { path: child(path, 'keytype') });
  if (keyval.private !== undefined && keyval.private !== null) {
    throw new CeremonyError('KEY_INVALID', 'metadata must not carry a private key', { path: child(keyvalPath, 'private') });
  }
  const raw = decodeBase64(pub, publicPath, 'KEY_INVALID', 'the public key');
  let spki: Uint8Array;
  let certificate: PublicKey['certificate'];
  if (spec.x509) {
    const cert = parseCertificatePem(new TextDecoder().decode(raw), publicPath);
    spki = cert.spki;
    certificate = cert.info;
  } else {
    spki = spec.family === 'ed25519' ? ed25519Spki(raw, publicPath) : raw;
  }
  const decoded = decodeSpki(spki, publicPath);
  if (familyOf(decoded.algorithm) !== spec.family) {
    throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `the key material is ${decoded.algorithm}, not what key type ${keytype} declares`, { path: publicPath });
  }
  const key: PublicKey = {
    profile: 'notary',
    keytype,
    scheme: undefined,
    algorithm: decoded.algorithm,
    spki: decoded.spki,
    fingerprint: decoded.fingerprint,
    certificate,
  };
  return attachMaterial(key, { keyObject: decoded.keyObject, size: decoded.size });
}

function verifySchemeOf(key: PublicKey): VerifyScheme {
  switch (familyOf(key.algorithm)) {
    case 'ed25519':
      return { kind: 'ed25519' };
    case 'rsa':
      return { kind: 'rsa-pss', hash: 'sha256', saltLength: 'digest' };
    default:
      return { kind: 'ecdsa', hash: 'sha256', encoding: 'ieee-p1363' };
  }
}

export const notaryProfile: Profile = {
  name: 'notary',
  canonical: (value: JsonValue) => canonicalBytes(value, 'notary'),
  parseKey,
  keyId(json: JsonObject): string {
    const keyval = json.keyval as JsonObject;
    return hash('sha256', canonicalBytes({ keytype: json.keytype as string, keyval: { private: null, public: keyval.public as string } }, 'notary'), 'hex');
  },
  decodeSignature(sig: SignatureJson, key: PublicKey, path: string): Uint8Array {
    const family = familyOf(key.algorithm);
    if (sig.method !== METHOD[family]) {
      throw new CeremonyError('SIGNATURE_METHOD_MISMATCH', `method ${JSON.stringify(sig.method)} does not fit a ${key.keytype} key (expected ${METHOD[family]})`, {
        path: `${path}.method`,
      });
    }
    const sigPath = `${path}.sig`;
    const bytes = decodeBase64(sig.sig, sigPath, 'SIGNATURE_ENCODING', 'the signature');
    const { size } = materialOf(key);
    const expected = family === 'ec' ? 2 * size : family === 'ed25519' ? 64 : size;
    if (bytes.length !== expected) {
      throw new CeremonyError('SIGNATURE_ENCODING', `a ${METHOD[family]} signature for this key is ${expected} bytes, not ${bytes.length}`, { path: sigPath });
    }
    return bytes;
  },
  verify(key: PublicKey, signature: Uint8Array, data: Uint8Array): boolean {
    return verifySignature(materialOf(key).keyObject, verifySchemeOf(key), signature, data);
  },
  verifyWith: (key: PublicKey) => ({ keyObject: materialOf(key).keyObject, scheme: verifySchemeOf(key) }),
  encodeSignature(keyId: string, key: PublicKey, signature: Uint8Array): SignatureJson {
    return { keyid: keyId, method: METHOD[familyOf(key.algorithm)], sig: toBase64(signature) };
  },
  encodeDigest: toBase64,
  decodeDigest: (text: string, path: string) => decodeBase64(text, path, 'SCHEMA_INVALID', 'the hash'),
};
