/**
 * A public key is taken only in the one DER form OpenSSL writes for it (src/crypto/public-key.ts
 * decodeSpki): its fingerprint is its identity, so the same key read from a second encoding would be a
 * second key — a root could list one custodian's key twice under two key IDs and let one signer meet a
 * threshold of two (TUF 5.3.4: signatures by distinct keys; KEY_DUPLICATE_IN_ROLE compares fingerprints).
 */
import { ECDH, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clearDecodedKeyCache, decodeSpki, pemOf } from '../../../src/crypto/public-key.js';
import { CeremonyError } from '../../../src/errors.js';
import { child } from '../../../src/json/fields.js';
import { getProfile } from '../../../src/profiles/index.js';
import { checkRoleKeys, parseKeyTable } from '../../../src/tuf/keys.js';

const P256_COMPRESSED_HEADER = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');

function p256(): { der: Buffer; compressed: Buffer } {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const point = der.subarray(der.length - 65);
  const compressed = Buffer.concat([P256_COMPRESSED_HEADER, ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'compressed') as Buffer]);
  return { der, compressed };
}

function refusal(f: () => unknown): CeremonyError | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof CeremonyError) return e;
    throw e;
  }
  return undefined;
}

describe('one key, one encoding', () => {
  it('OpenSSL itself reads a compressed P-256 point as the same key (the premise of this check)', async () => {
    const { der, compressed } = p256();
    const { createPublicKey } = await import('node:crypto');
    const a = createPublicKey({ key: der, format: 'der', type: 'spki' });
    const b = createPublicKey({ key: compressed, format: 'der', type: 'spki' });
    expect(a.equals(b)).toBe(true);
  });

  const { der, compressed } = p256();
  const ed = new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }));
  const edUnusedBit = new Uint8Array(ed);
  edUnusedBit[11] = 0x01; // BIT STRING: one unused bit (OpenSSL reads the key anyway)
  const edLongLength = Uint8Array.from([0x30, 0x81, 0x2a, ...ed.subarray(2)]); // outer length in long form (BER, not DER)
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
  const rsaLong = Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), rsa.subarray(2)]); // 0x30 0x82 LL LL → 0x30 0x83 00 LL LL

  const table: [string, Uint8Array, 'ok' | 'KEY_INVALID'][] = [
    ['a P-256 key, uncompressed (as OpenSSL writes it)', der, 'ok'],
    ['the same P-256 key, compressed', compressed, 'KEY_INVALID'],
    ['an Ed25519 key', ed, 'ok'],
    ['the same Ed25519 key with one unused bit claimed', edUnusedBit, 'KEY_INVALID'],
    ['the same Ed25519 key with a long-form length', edLongLength, 'KEY_INVALID'],
    ['an RSA key', rsa, 'ok'],
    ['the same RSA key with a non-minimal length', rsaLong, 'KEY_INVALID'],
  ];
  for (const [name, spki, want] of table) {
    it(`${name}: ${want === 'ok' ? 'taken' : 'refused, KEY_INVALID at its path'}`, () => {
      clearDecodedKeyCache();
      const err = refusal(() => decodeSpki(spki, '$.k'));
      if (want === 'ok') expect(err).toBeUndefined();
      else expect(err).toMatchObject({ code: want, path: '$.k' });
    });
  }

  // Curves OpenSSL reads but neither profile takes (and JWK cannot name): refused as unsupported, with a
  // path, never a bare Error from re-encoding them (review-7 F2.1).
  for (const curve of ['brainpoolP256r1', 'prime192v1', 'secp256k1']) {
    it(`a ${curve} key: KEY_TYPE_UNSUPPORTED at its path`, () => {
      const spki = generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'der', type: 'spki' });
      clearDecodedKeyCache();
      expect(refusal(() => decodeSpki(spki, '$.k'))).toMatchObject({ code: 'KEY_TYPE_UNSUPPORTED', path: '$.k' });
    });
  }

  it('a cached canonical key does not let its other encoding through (each encoding has its own fingerprint)', () => {
    clearDecodedKeyCache();
    decodeSpki(der, '$.a');
    expect(refusal(() => decodeSpki(compressed, '$.b'))).toMatchObject({ code: 'KEY_INVALID', path: '$.b' });
  });

  it('a TUF root listing one ECDSA key twice, once compressed, is refused at the second listing (before: two key IDs, two distinct keys)', () => {
    const tuf = getProfile('tuf');
    const entry = (spki: Uint8Array) => ({ keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pemOf('PUBLIC KEY', spki) } });
    const keyOf = (spki: Uint8Array) => tuf.keyId(entry(spki) as never);
    const table: Record<string, unknown> = { [keyOf(der)]: entry(der), [keyOf(compressed)]: entry(compressed) };
    clearDecodedKeyCache();
    const err = refusal(() => {
      const keys = parseKeyTable(tuf, table as never, '$.signed.keys');
      checkRoleKeys([...keys.keys()], keys, '$.signed.roles.root.keyids');
    });
    expect(err).toMatchObject({ code: 'KEY_INVALID', path: child(child(child('$.signed.keys', keyOf(compressed)), 'keyval'), 'public') });
  });
});
