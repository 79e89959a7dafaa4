/**
 * decodeSpki says what a key is: an Ed25519 SubjectPublicKeyInfo is imported from its raw 32 bytes and
 * named Ed25519 without asking the KeyObject (issue #18: a chain decodes a thousand keys); everything
 * else is named from the KeyObject node:crypto made, and refused when both profiles do not accept it.
 * The name must be what the KeyObject is, whichever way it was found.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clearDecodedKeyCache, decodeSpki } from '../../../src/crypto/public-key.js';
import { CeremonyError } from '../../../src/errors.js';

function spkiOf(type: 'ed25519' | 'ed448' | 'x25519' | 'x448' | 'ec', curve?: string): Uint8Array {
  const { publicKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: curve! }) : generateKeyPairSync(type as 'ed25519');
  return new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
}

describe('decodeSpki names each key as node:crypto reads it', () => {
  it.each([
    ['ed25519', spkiOf('ed25519'), 'ed25519', 32],
    ['P-256', spkiOf('ec', 'prime256v1'), 'ecdsa-p256', 32],
    ['P-384', spkiOf('ec', 'secp384r1'), 'ecdsa-p384', 48],
  ] as const)('%s', (_name, spki, algorithm, size) => {
    clearDecodedKeyCache();
    const d = decodeSpki(spki, '$.k');
    expect(d).toMatchObject({ algorithm, size });
    expect(d.keyObject.asymmetricKeyType).toBe(algorithm === 'ed25519' ? 'ed25519' : 'ec');
    expect(Buffer.from(d.keyObject.export({ format: 'der', type: 'spki' })).equals(Buffer.from(spki))).toBe(true);
  });

  // Keys of the same family as Ed25519 (32 or 57 bytes of raw key, another OID): not taken for Ed25519.
  it.each([
    ['X25519', spkiOf('x25519')],
    ['Ed448', spkiOf('ed448')],
    ['X448', spkiOf('x448')],
  ])('%s is refused (KEY_TYPE_UNSUPPORTED)', (_name, spki) => {
    clearDecodedKeyCache();
    let err: unknown;
    try {
      decodeSpki(spki, '$.k');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CeremonyError);
    expect(err).toMatchObject({ code: 'KEY_TYPE_UNSUPPORTED', path: '$.k' });
  });

  // X25519's SPKI is Ed25519's but for one OID byte, and as long: a check of the length alone would name it
  // Ed25519 (the X25519 case above fails so). Any other byte of the prefix changed: refused, or (OpenSSL
  // reads a BIT STRING claiming an unused bit) named as the KeyObject node:crypto made is.
  it('the Ed25519 prefix with any byte changed: refused, or named as its KeyObject is', () => {
    const good = spkiOf('ed25519');
    for (let i = 0; i < 12; i++) {
      const bad = new Uint8Array(good);
      bad[i] = bad[i]! ^ 0x01;
      clearDecodedKeyCache();
      try {
        const d = decodeSpki(bad, '$.k');
        expect(d.algorithm, `byte ${i}`).toBe(d.keyObject.asymmetricKeyType);
      } catch (e) {
        expect(['KEY_INVALID', 'KEY_TYPE_UNSUPPORTED'], `byte ${i}`).toContain((e as CeremonyError).code);
      }
    }
  });
});
