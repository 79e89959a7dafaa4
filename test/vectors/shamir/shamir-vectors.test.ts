/**
 * Share card vectors: fixed cards with known (published test) secrets, and a table of invalid inputs
 * with the code each must produce. cards.json pins the format: reading each text gives the library's
 * share bytes, and writing the card again gives the same text byte for byte.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { combine } from 'shamir-secret-sharing';
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { formatShareCard, parseShareCard } from '../../../src/shamir/card.js';
import { withReconstructedKey } from '../../../src/shamir/combine.js';
import { derivePublicKey, type ShamirAlgorithm } from '../../../src/shamir/keys.js';
import { rollCall } from '../../../src/shamir/roll-call.js';
import { dataGroups } from '../../unit/shamir/support.js';

const here = dirname(fileURLToPath(import.meta.url));
const cardsJson = JSON.parse(readFileSync(join(here, 'cards.json'), 'utf8')) as {
  vectors: {
    name: string;
    algorithm: ShamirAlgorithm;
    secret: string;
    spki: string;
    fingerprint: string;
    splitId: string;
    threshold: number;
    shares: number;
    label: string | null;
    rehearsal: boolean;
    cards: { index: number; share: string; text: string }[];
  }[];
};
const invalidJson = JSON.parse(readFileSync(join(here, 'invalid.json'), 'utf8')) as {
  cases: {
    name: string;
    kind: 'parse' | 'parse-bytes' | 'combine' | 'roll-call';
    text?: string;
    texts?: string[];
    hex?: string;
    pad?: number;
    expected?: { splitId?: string; fingerprint?: string };
    code: string;
    message: string;
  }[];
};

// The public keys the published secrets must give (RFC 8032 §7.1 TEST 1; RFC 6979 A.2.5 and A.2.6 Ux ‖ Uy).
const PUBLIC: Record<ShamirAlgorithm, string> = {
  ed25519: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  'ecdsa-p256': '0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
  'ecdsa-p384':
    '04ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480bc138015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd2533264720',
};

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

describe('share card vectors (cards.json)', () => {
  it('covers every algorithm', () => {
    expect(cardsJson.vectors.map((v) => v.algorithm).sort()).toEqual(['ecdsa-p256', 'ecdsa-p384', 'ed25519']);
  });

  for (const v of cardsJson.vectors) {
    describe(v.name, () => {
      it('the secret gives the published public key, and the fingerprint is SHA-256 of its SPKI', () => {
        const derived = derivePublicKey(v.algorithm, bytes(v.secret));
        expect(hex(derived.spki)).toBe(v.spki);
        expect(v.spki.endsWith(PUBLIC[v.algorithm])).toBe(true);
        expect(createHash('sha256').update(bytes(v.spki)).digest('hex')).toBe(v.fingerprint);
        expect(derived.fingerprint).toBe(v.fingerprint);
      });

      it('each text reads as the library share, verbatim, and writes back byte for byte', () => {
        for (const c of v.cards) {
          const card = parseShareCard(c.text);
          expect(hex(card.share)).toBe(c.share);
          expect(card).toMatchObject({
            splitId: v.splitId,
            index: c.index,
            threshold: v.threshold,
            shares: v.shares,
            algorithm: v.algorithm,
            fingerprint: v.fingerprint,
            label: v.label ?? undefined,
            rehearsal: v.rehearsal,
          });
          expect(bytes(c.share).at(-1)).toBe(c.index);
          expect(formatShareCard(card)).toBe(c.text);
        }
      });

      it('the plain library combines the shares to the secret, and so do we from the texts', async () => {
        const M = v.threshold;
        expect(hex(await combine(v.cards.slice(0, M).map((c) => bytes(c.share))))).toBe(v.secret);
        expect(hex(await combine(v.cards.slice(-M).map((c) => bytes(c.share))))).toBe(v.secret);
        const cards = v.cards.slice(-M).map((c) => parseShareCard(c.text));
        expect(await withReconstructedKey(cards, (key) => hex(key.secret), { fingerprint: v.fingerprint, splitId: v.splitId })).toBe(v.secret);
      });

      it('roll-call accepts each card for its split and key', () => {
        for (const c of v.cards) expect(rollCall(c.text, { splitId: v.splitId, fingerprint: v.fingerprint }).index).toBe(c.index);
      });
    });
  }
});

describe('invalid share card inputs (invalid.json)', () => {
  const fragments = cardsJson.vectors.flatMap((v) => v.cards.flatMap((c) => dataGroups(c.text).flat())).filter((g) => g.length >= 3);

  it('has at least 12 cases and every shamir code', () => {
    expect(invalidJson.cases.length).toBeGreaterThanOrEqual(12);
    const codes = new Set(invalidJson.cases.map((c) => c.code));
    for (const code of [
      'SHARE_CHECKSUM',
      'SHARE_CHARACTER',
      'SHARE_FORMAT',
      'SHARE_CARD_CHECKSUM',
      'SHARE_INVALID',
      'SHARE_VERSION_UNSUPPORTED',
      'SHARE_MIXED_SPLITS',
      'SHARE_DUPLICATE',
      'SHARE_TOO_FEW',
      'SHARE_INCONSISTENT',
      'SHARE_KEY_MISMATCH',
      'SHARE_SPLIT_MISMATCH',
      'SHARE_FINGERPRINT_MISMATCH',
      'INPUT_TOO_LARGE',
    ]) {
      expect(codes.has(code), code).toBe(true);
    }
  });

  for (const c of invalidJson.cases) {
    it(`${c.name}: ${c.code}`, async () => {
      let err: unknown;
      try {
        switch (c.kind) {
          case 'parse':
            parseShareCard(c.text! + ' '.repeat(c.pad ?? 0));
            break;
          case 'parse-bytes':
            parseShareCard(bytes(c.hex!));
            break;
          case 'combine':
            await withReconstructedKey(
              c.texts!.map((t) => parseShareCard(t)),
              () => {
                throw new Error('the callback must not run');
              },
            );
            break;
          case 'roll-call':
            rollCall(c.text!, c.expected);
            break;
        }
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CeremonyError);
      const ce = err as CeremonyError;
      expect(ce.code, ce.message).toBe(c.code);
      expect(ce.message).toMatch(new RegExp(c.message));
      for (const f of fragments) expect(ce.message).not.toContain(f);
    });
  }
});
