/**
 * Every key type each profile accepts signs and verifies; each malformed key or signature is refused
 * with its own code and the JSON path.
 */
import { constants, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import { makeKey } from '../../support/keys.js';
import { refusal } from '../../support/refusal.js';

const data = new TextEncoder().encode('canonical bytes');

for (const profile of ['tuf', 'notary'] as const) {
  const kinds = profile === 'tuf' ? (['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'rsa'] as const) : (['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-x509'] as const);
  describe(`${profile} keys`, () => {
    for (const kind of kinds) {
      it(`${kind}: signs, encodes, decodes and verifies; a flipped bit fails`, async () => {
        const k = await makeKey(profile, kind);
        const p = getProfile(profile);
        expect(p.keyId(k.json)).toBe(k.keyId);
        const sig = p.encodeSignature(k.keyId, k.key, await k.sign(data));
        const raw = p.decodeSignature(sig, k.key, '$.signatures[0]');
        expect(p.verify(k.key, raw, data)).toBe(true);
        const flipped = Uint8Array.from(data);
        flipped[0]! ^= 1;
        expect(p.verify(k.key, raw, flipped)).toBe(false);
        // The fingerprint identifies the public key whatever its listing.
        expect(p.parseKey(structuredClone(k.json), '$').fingerprint).toBe(k.key.fingerprint);
      });
    }
  });
}

describe('Notary key IDs and signature encodings', () => {
  it('derives the key ID from keytype and public only (notary TUFKey.ID)', async () => {
    const k = await makeKey('notary', 'ecdsa-p256');
    const withExtra = { ...k.json, extra: 'ignored by the rule' } as JsonObject;
    expect(getProfile('notary').keyId(withExtra)).toBe(k.keyId);
  });

  it('P-384 keys sign a SHA-256 digest, raw r‖s of 96 bytes', async () => {
    const k = await makeKey('notary', 'ecdsa-p384');
    const sig = getProfile('notary').encodeSignature(k.keyId, k.key, await k.sign(data));
    expect(sig.method).toBe('ecdsa');
    expect(Buffer.from(sig.sig, 'base64')).toHaveLength(96);
  });

  it('RSA keys verify with PSS, salt length = hash length (rsapss)', () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const json = { keytype: 'rsa', keyval: { private: null, public: pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') } };
    const p = getProfile('notary');
    const key = p.parseKey(json, '$');
    const raw = new Uint8Array(nodeSign('sha256', data, { key: pair.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
    const sig = p.encodeSignature(p.keyId(json), key, raw);
    expect(sig.method).toBe('rsapss');
    expect(p.verify(key, p.decodeSignature(sig, key, '$'), data)).toBe(true);
  });
});

describe('malformed keys are refused with their code and path', () => {
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
  const edHex = Buffer.from(ed.subarray(-32)).toString('hex');
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p256Pem = p256.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const p256Der = p256.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privatePem = p256.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  const table: [string, 'tuf' | 'notary', JsonObject, string, string][] = [
    ['unknown scheme', 'tuf', { keytype: 'ed25519', scheme: 'ed448', keyval: { public: edHex } }, 'KEY_TYPE_UNSUPPORTED', '$.scheme'],
    ['key type that does not go with the scheme', 'tuf', { keytype: 'rsa', scheme: 'ed25519', keyval: { public: edHex } }, 'KEY_TYPE_UNSUPPORTED', '$.keytype'],
    ['P-256 key under the P-384 scheme', 'tuf', { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp384', keyval: { public: p256Pem } }, 'KEY_TYPE_UNSUPPORTED', '$.keyval.public'],
    ['Ed25519 key of 31 bytes', 'tuf', { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: edHex.slice(2) } }, 'KEY_INVALID', '$.keyval.public'],
    ['Ed25519 key in upper-case hex', 'tuf', { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: edHex.toUpperCase() } }, 'KEY_INVALID', '$.keyval.public'],
    ['a private key PEM where a public key belongs', 'tuf', { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: privatePem } }, 'KEY_INVALID', '$.keyval.public'],
    ['an RSA key of 1024 bits', 'tuf', { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: rsa1024 } }, 'KEY_INVALID', '$.keyval.public'],
    ['a curve neither profile accepts', 'tuf', { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: secp256k1 } }, 'KEY_TYPE_UNSUPPORTED', '$.keyval.public'],
    ['a private key in the metadata', 'tuf', { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: edHex, private: edHex } }, 'KEY_INVALID', '$.keyval.private'],
    ['keyval not an object', 'tuf', { keytype: 'ed25519', scheme: 'ed25519', keyval: edHex }, 'SCHEMA_INVALID', '$.keyval'],
    ['unknown Notary key type', 'notary', { keytype: 'dsa', keyval: { private: null, public: p256Der } }, 'KEY_TYPE_UNSUPPORTED', '$.keytype'],
    ['ecdsa key type holding Ed25519 material', 'notary', { keytype: 'ecdsa', keyval: { private: null, public: ed.toString('base64') } }, 'KEY_TYPE_UNSUPPORTED', '$.keyval.public'],
    ['public key that is not base64', 'notary', { keytype: 'ecdsa', keyval: { private: null, public: '%%%' } }, 'KEY_INVALID', '$.keyval.public'],
    ['x509 key that is not a certificate', 'notary', { keytype: 'ecdsa-x509', keyval: { private: null, public: Buffer.from(p256Pem).toString('base64') } }, 'KEY_INVALID', '$.keyval.public'],
    ['a private key in Notary metadata', 'notary', { keytype: 'ecdsa', keyval: { private: p256Der, public: p256Der } }, 'KEY_INVALID', '$.keyval.private'],
  ];
  for (const [name, profile, json, code, path] of table) {
    it(`${profile}: ${name} → ${code}`, () => {
      const err = refusal(() => getProfile(profile).parseKey(json, '$'));
      expect(err.code).toBe(code);
      expect(err.path).toBe(path);
    });
  }
});

describe('malformed signatures', () => {
  it('TUF: Ed25519 signature of the wrong length, non-hex, raw r‖s for ECDSA', async () => {
    const p = getProfile('tuf');
    const ed = await makeKey('tuf', 'ed25519');
    expect(refusal(() => p.decodeSignature({ keyid: ed.keyId, sig: 'ab'.repeat(63) }, ed.key, '$.signatures[0]')).code).toBe('SIGNATURE_ENCODING');
    expect(refusal(() => p.decodeSignature({ keyid: ed.keyId, sig: 'AB'.repeat(64) }, ed.key, '$.signatures[0]')).code).toBe('SIGNATURE_ENCODING');
    const ec = await makeKey('tuf', 'ecdsa-p256');
    const raw = Buffer.from(await ec.sign(data)).toString('hex');
    const err = refusal(() => p.decodeSignature({ keyid: ec.keyId, sig: raw }, ec.key, '$.signatures[0]'));
    expect(err.code).toBe('SIGNATURE_ENCODING');
    expect(err.path).toBe('$.signatures[0].sig');
  });

  it('Notary: DER where raw r‖s belongs, and a method that does not fit', async () => {
    const p = getProfile('notary');
    const ec = await makeKey('notary', 'ecdsa-p256');
    const der = nodeSign('sha256', data, { key: ec.privateKey, dsaEncoding: 'der' }).toString('base64');
    expect(refusal(() => p.decodeSignature({ keyid: ec.keyId, method: 'ecdsa', sig: der }, ec.key, '$')).code).toBe('SIGNATURE_ENCODING');
    expect(refusal(() => p.decodeSignature({ keyid: ec.keyId, method: 'rsapss', sig: der }, ec.key, '$')).code).toBe('SIGNATURE_METHOD_MISMATCH');
  });
});
