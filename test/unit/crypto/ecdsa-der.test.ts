import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derToRaw, rawToDer } from '../../../src/crypto/ecdsa-der.js';
import { CeremonyError } from '../../../src/errors.js';

describe('ECDSA DER ⇄ raw r‖s', () => {
  it('round-trips signatures made by OpenSSL in both encodings (P-256 and P-384)', () => {
    for (const [curve, size, hash] of [['P-256', 32, 'sha256'], ['P-384', 48, 'sha384']] as const) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
      for (let i = 0; i < 40; i++) {
        const data = Buffer.from(`message ${i}`);
        const der = new Uint8Array(sign(hash, data, { key: privateKey, dsaEncoding: 'der' }));
        const raw = derToRaw(der, size, '$');
        expect(raw.length).toBe(2 * size);
        expect(Buffer.from(rawToDer(raw)).equals(Buffer.from(der))).toBe(true);
      }
    }
  });

  it('encodes short integers minimally and adds the sign byte when the top bit is set', () => {
    const raw = new Uint8Array(64);
    raw[31] = 1;
    raw[32] = 0x80;
    expect(Buffer.from(rawToDer(raw)).toString('hex')).toBe(`3026020101022100${'80'}${'00'.repeat(31)}`);
  });

  const bad: [string, string][] = [
    ['not a SEQUENCE', '3106020101020101'],
    ['length longer than the bytes', '3007020101020101'],
    ['trailing bytes', '300602010102010100'],
    ['negative r', '3006020181020101'],
    ['non-minimal r', '300702020001020101'],
    ['zero s', '3006020101020100'],
    ['r wider than the curve', `3027022101${'11'.repeat(32)}020101`],
    ['empty', ''],
  ];
  for (const [name, hex] of bad) {
    it(`refuses ${name} with SIGNATURE_ENCODING`, () => {
      let err: unknown;
      try {
        derToRaw(new Uint8Array(Buffer.from(hex, 'hex')), 32, '$.signatures[0].sig');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CeremonyError);
      expect((err as CeremonyError).code).toBe('SIGNATURE_ENCODING');
      expect((err as CeremonyError).path).toBe('$.signatures[0].sig');
    });
  }
});
