import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clearDecodedKeyCache, decodeSpki } from '../../../src/crypto/public-key.js';

// The decoded-key cache outlives the caller's bytes: what it holds must be its own copy, also when the caller
// passes a Node Buffer (whose slice() is a view of the same memory, not a copy).
describe('decodeSpki keeps its own copy of the key bytes', () => {
  for (const [name, wrap] of [['Buffer', (b: Uint8Array) => Buffer.from(b)], ['Uint8Array', (b: Uint8Array) => new Uint8Array(b)]] as const) {
    it(`a ${name} the caller zeroes afterwards does not change the cached key`, () => {
      clearDecodedKeyCache();
      const spki = new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }));
      const given = wrap(spki);
      const first = decodeSpki(given, '$.keys.k');
      given.fill(0);
      expect(Buffer.from(first.spki).equals(Buffer.from(spki))).toBe(true);
      const again = decodeSpki(spki, '$.keys.k');
      expect(Buffer.from(again.spki).equals(Buffer.from(spki))).toBe(true);
    });
  }
});
