/**
 * Software keys: each algorithm signs what node:crypto and @noble/curves verify; a secret is taken over
 * and zeroed by dispose() (and by every refusal); a reconstructed key with the wrong public key is refused
 * before it signs; RSA is refused (software keys are Ed25519 / ECDSA).
 */
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { SoftwareKey } from '../../../src/signers/software.js';
import { refusal } from '../../support/refusal.js';

const data = new TextEncoder().encode('signed bytes');
const zeroed = (b: Uint8Array) => b.every((x) => x === 0);

describe('software keys', () => {
  for (const [algorithm, hash] of [
    ['ecdsa-p256', 'sha256'],
    ['ecdsa-p384', 'sha384'],
    ['ecdsa-p384', 'sha256'],
    ['ed25519', 'sha256'],
  ] as const) {
    it(`${algorithm} over ${hash}: raw signatures that node:crypto and @noble/curves verify`, async () => {
      const key = SoftwareKey.generate(algorithm, { label: 'root' });
      expect(key.origin).toEqual({ kind: 'software', rehearsal: false });
      expect(key.fingerprint).toBe(createHash('sha256').update(key.spki).digest('hex'));
      const sig = await key.sign(data, hash);
      const pub = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
      if (algorithm === 'ed25519') {
        expect(sig).toHaveLength(64);
        expect(nodeVerify(null, data, pub, sig)).toBe(true);
        expect(ed25519.verify(sig, data, key.spki.subarray(-32))).toBe(true);
      } else {
        const curve = algorithm === 'ecdsa-p256' ? p256 : p384;
        expect(sig).toHaveLength(algorithm === 'ecdsa-p256' ? 64 : 96);
        expect(nodeVerify(hash, data, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
        const point = key.spki.subarray(key.spki.length - (algorithm === 'ecdsa-p256' ? 65 : 97));
        expect(curve.verify(sig, new Uint8Array(createHash(hash).update(data).digest()), point, { prehash: false, lowS: false })).toBe(true);
      }
    });
  }

  it('fromSecret gives the same key; dispose() zeroes the very bytes handed in; signing afterwards is refused', async () => {
    const original = SoftwareKey.generate('ecdsa-p256');
    const secret = original.withSecret((s) => Uint8Array.from(s));
    const again = SoftwareKey.fromSecret('ecdsa-p256', secret, { expectedFingerprint: original.fingerprint, rehearsal: true });
    expect(again.fingerprint).toBe(original.fingerprint);
    expect(again.origin.rehearsal).toBe(true);
    await again.sign(data, 'sha256');
    again.dispose();
    expect(zeroed(secret)).toBe(true);
    expect(again.disposed).toBe(true);
    await expect(again.sign(data, 'sha256')).rejects.toMatchObject({ code: 'SIGNER_DISPOSED' });
    expect(refusal(() => again.withSecret(() => 0)).code).toBe('SIGNER_DISPOSED');
    again.dispose(); // twice is harmless
    // The generated key's own secret is zeroed too.
    let lent: Uint8Array | undefined;
    original.withSecret((s) => (lent = s));
    original.dispose();
    expect(zeroed(lent!)).toBe(true);
  });

  it('a reconstructed secret that does not give the recorded key is refused and zeroed', () => {
    const recorded = SoftwareKey.generate('ed25519');
    const wrong = SoftwareKey.generate('ed25519').withSecret((s) => Uint8Array.from(s));
    const err = refusal(() => SoftwareKey.fromSecret('ed25519', wrong, { expectedFingerprint: recorded.fingerprint }));
    expect(err.code).toBe('TOKEN_KEY_NOT_FOUND');
    expect(err.message).toContain('not the expected key');
    expect(zeroed(wrong)).toBe(true);
  });

  it('refuses invalid secrets and RSA, zeroing what it was given', () => {
    const short = new Uint8Array(31).fill(7);
    expect(refusal(() => SoftwareKey.fromSecret('ecdsa-p256', short)).code).toBe('KEY_INVALID');
    expect(zeroed(short)).toBe(true);
    const order = p256.Point.CURVE().n;
    const tooBig = new Uint8Array(Buffer.from(order.toString(16), 'hex'));
    expect(refusal(() => SoftwareKey.fromSecret('ecdsa-p256', tooBig)).code).toBe('KEY_INVALID');
    const rsa = new Uint8Array(32).fill(1);
    expect(refusal(() => SoftwareKey.fromSecret('rsa-pss-sha256', rsa)).code).toBe('KEY_TYPE_UNSUPPORTED');
    expect(zeroed(rsa)).toBe(true);
    expect(refusal(() => SoftwareKey.generate('rsa-pss-sha256')).code).toBe('KEY_TYPE_UNSUPPORTED');
  });

  it('zeroes a PIN it is handed by mistake, and never needs one', async () => {
    const key = SoftwareKey.generate('ecdsa-p256');
    const pin = new TextEncoder().encode('123456');
    await key.sign(data, 'sha256', { pin });
    expect(zeroed(pin)).toBe(true);
    expect(key.alwaysAuthenticate).toBe(false);
  });
});
