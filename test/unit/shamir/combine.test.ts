import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { combine, split } from 'shamir-secret-sharing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { formatShareCard, makeShareCard, parseShareCard, type ShareCard } from '../../../src/shamir/card.js';
import { checkCardSet, withReconstructedKey } from '../../../src/shamir/combine.js';
import { derivePublicKey, SECRET_LENGTH, type ShamirAlgorithm } from '../../../src/shamir/keys.js';
import { splitKey } from '../../../src/shamir/split.js';

// Published test keys: RFC 8032 §7.1 test 1 seed; RFC 6979 A.2.5 (P-256) and A.2.6 (P-384) private keys.
const SECRETS: Record<ShamirAlgorithm, string> = {
  ed25519: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  'ecdsa-p256': 'c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721',
  'ecdsa-p384': '6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5',
};
const secretOf = (a: ShamirAlgorithm) => Uint8Array.from(Buffer.from(SECRETS[a], 'hex'));

function subsets<T>(xs: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [h, ...t] = xs;
  return [...subsets(t, k - 1).map((s) => [h!, ...s]), ...subsets(t, k)];
}

async function refusedWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<CeremonyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(CeremonyError);
  const ce = err as CeremonyError;
  expect(ce.code, ce.message).toBe(code);
  if (message) expect(ce.message).toMatch(message);
  return ce;
}

const viaText = (cs: ShareCard[]) => cs.map((c) => parseShareCard(formatShareCard(c)));

describe('split → cards → combine', () => {
  for (const algorithm of ['ed25519', 'ecdsa-p256', 'ecdsa-p384'] as const) {
    it(`${algorithm}: every threshold-sized subset (and larger ones) of typed cards rebuilds the key`, async () => {
      const secret = secretOf(algorithm);
      const { cards, publicKey } = await splitKey(algorithm, secret, { threshold: 3, shares: 5 });
      expect(publicKey.fingerprint).toBe(derivePublicKey(algorithm, secret).fingerprint);
      const typed = viaText(cards);
      for (const k of [3, 4, 5]) {
        for (const subset of subsets(typed, k)) {
          const got = await withReconstructedKey(subset, (key) => ({ secret: Buffer.from(key.secret).toString('hex'), fp: key.fingerprint, alg: key.algorithm }));
          expect(got).toEqual({ secret: SECRETS[algorithm], fp: publicKey.fingerprint, alg: algorithm });
        }
      }
    });
  }

  it('the lent key signs, and the signature verifies with the recorded public key', async () => {
    const msg = new TextEncoder().encode('root.json v1');
    for (const algorithm of ['ed25519', 'ecdsa-p256', 'ecdsa-p384'] as const) {
      const { cards } = await splitKey(algorithm, secretOf(algorithm), { threshold: 2, shares: 2 });
      const { sig, spki } = await withReconstructedKey(cards, (key) => {
        const s =
          algorithm === 'ed25519' ? ed25519.sign(msg, key.secret) : algorithm === 'ecdsa-p256' ? p256.sign(msg, key.secret) : p384.sign(msg, key.secret);
        return { sig: s, spki: key.spki };
      });
      const pub = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      const ok =
        algorithm === 'ed25519'
          ? nodeVerify(null, msg, pub, sig)
          : nodeVerify(algorithm === 'ecdsa-p256' ? 'sha256' : 'sha384', msg, { key: pub, dsaEncoding: 'ieee-p1363' }, sig);
      expect(ok, algorithm).toBe(true);
    }
  });
});

describe('compatibility with the plain shamir-secret-sharing library (PRODUCT.md §4)', () => {
  it('our cards hold library shares: the library combines them to the key', async () => {
    for (const algorithm of ['ed25519', 'ecdsa-p256', 'ecdsa-p384'] as const) {
      const { cards } = await splitKey(algorithm, secretOf(algorithm), { threshold: 3, shares: 5 });
      const shares = viaText(cards).map((c) => Uint8Array.from(c.share));
      expect(shares[0]!.length).toBe(SECRET_LENGTH[algorithm] + 1);
      for (const subset of subsets(shares, 3)) expect(Buffer.from(await combine(subset)).toString('hex')).toBe(SECRETS[algorithm]);
    }
  });

  it('library shares wrapped in our cards combine with our code', async () => {
    for (const algorithm of ['ed25519', 'ecdsa-p256', 'ecdsa-p384'] as const) {
      const secret = secretOf(algorithm);
      const shares = await split(secret, 4, 2);
      const { fingerprint } = derivePublicKey(algorithm, secret);
      const cards = shares.map((share) => makeShareCard({ splitId: '0PENSRC0', threshold: 2, shares: 4, algorithm, fingerprint, label: undefined, share }));
      for (const pair of subsets(viaText(cards), 2)) {
        expect(await withReconstructedKey(pair, (key) => Buffer.from(key.secret).toString('hex'))).toBe(SECRETS[algorithm]);
      }
    }
  });
});

describe('refusals before anything is combined', () => {
  let a: ShareCard[]; // 3 of 5
  let b: ShareCard[]; // another split of the same key
  beforeAll(async () => {
    a = viaText((await splitKey('ecdsa-p256', secretOf('ecdsa-p256'), { threshold: 3, shares: 5, label: 'example.com/app' })).cards);
    b = viaText((await splitKey('ecdsa-p256', secretOf('ecdsa-p256'), { threshold: 3, shares: 5, label: 'example.com/app' })).cards);
  });

  it('cards of two splits, even of the same key: SHARE_MIXED_SPLITS naming which card is which', async () => {
    await refusedWith(withReconstructedKey([a[0]!, a[1]!, b[2]!], () => 1), 'SHARE_MIXED_SPLITS', /2 different splits: .* \(cards 1 and 2\), .* \(card 3\)/);
  });

  it('too few cards: SHARE_TOO_FEW saying how many more are needed', async () => {
    await refusedWith(withReconstructedKey(a.slice(0, 2), () => 1), 'SHARE_TOO_FEW', /^2 cards of a 3-of-5 split: 1 more card is needed/);
    await refusedWith(withReconstructedKey(a.slice(0, 1), () => 1), 'SHARE_TOO_FEW', /^1 card of a 3-of-5 split: 2 more cards are needed/);
    await refusedWith(withReconstructedKey([], () => 1), 'SHARE_TOO_FEW', /no share cards/);
  });

  it('the same card twice, or two cards claiming one index: SHARE_DUPLICATE', async () => {
    await refusedWith(withReconstructedKey([a[0]!, a[1]!, parseShareCard(formatShareCard(a[0]!))], () => 1), 'SHARE_DUPLICATE', /card 3 is the same card as card 1/);
    const share = Uint8Array.from(a[1]!.share);
    share[0]! ^= 1;
    const twin = makeShareCard({ ...a[1]!, share });
    await refusedWith(withReconstructedKey([a[0]!, a[1]!, twin], () => 1), 'SHARE_DUPLICATE', /cards 2 and 3 both claim share \d+ with different share data/);
  });

  it('cards of one split that disagree (M, N, algorithm, fingerprint, label, rehearsal): SHARE_INCONSISTENT', async () => {
    const variants: Partial<ShareCard>[] = [
      { threshold: 2 },
      { shares: 6 },
      { fingerprint: '0'.repeat(64) },
      { label: 'example.com/other' },
      { label: undefined },
      { rehearsal: true },
    ];
    for (const v of variants) {
      const forged = makeShareCard({ ...a[2]!, ...v });
      await refusedWith(withReconstructedKey([a[0]!, a[1]!, forged], () => 1), 'SHARE_INCONSISTENT', /card 3 and card 1 are from split .* but disagree on the/);
    }
  });

  it('not the expected split or key: SHARE_SPLIT_MISMATCH, SHARE_FINGERPRINT_MISMATCH', async () => {
    await refusedWith(withReconstructedKey(a.slice(0, 3), () => 1, { splitId: b[0]!.splitId }), 'SHARE_SPLIT_MISMATCH');
    await refusedWith(withReconstructedKey(a.slice(0, 3), () => 1, { fingerprint: 'ab'.repeat(32) }), 'SHARE_FINGERPRINT_MISMATCH');
    await refusedWith(withReconstructedKey(a.slice(0, 3), () => 1, { fingerprint: 'not hex' }), 'USAGE');
    expect(checkCardSet(a.slice(0, 3), { splitId: a[0]!.splitId.toLowerCase(), fingerprint: a[0]!.fingerprint.toUpperCase() }).indexes).toHaveLength(3);
  });

  it('a card object that is not a card: SHARE_INVALID naming its position', async () => {
    await refusedWith(withReconstructedKey([a[0]!, a[1]!, { ...a[2]!, index: 0 }], () => 1), 'SHARE_INVALID', /\(at card 3\)/);
  });
});

describe('the rebuilt key is checked before it is lent', () => {
  it('a forged card that passes every checksum: SHARE_KEY_MISMATCH, callback never called', async () => {
    const { cards } = await splitKey('ed25519', secretOf('ed25519'), { threshold: 2, shares: 3 });
    const share = Uint8Array.from(cards[1]!.share);
    share[5]! ^= 0x40;
    const forged = parseShareCard(formatShareCard(makeShareCard({ ...cards[1]!, share })));
    let called = false;
    const err = await refusedWith(
      withReconstructedKey([cards[0]!, forged], () => {
        called = true;
      }),
      'SHARE_KEY_MISMATCH',
      /rebuilt key has fingerprint .*, not .* as the cards record.*nothing was signed/,
    );
    expect(called).toBe(false);
    expect(err.message).not.toContain(SECRETS.ed25519.slice(0, 8));
  });

  it('bytes that are no valid EC scalar: SHARE_KEY_MISMATCH', async () => {
    const secret = new Uint8Array(32).fill(0xff); // ≥ the P-256 group order
    const shares = await split(secret, 2, 2);
    const cards = shares.map((share) => makeShareCard({ splitId: 'BADBADBA', threshold: 2, shares: 2, algorithm: 'ecdsa-p256', fingerprint: 'ab'.repeat(32), label: undefined, share }));
    await refusedWith(withReconstructedKey(cards, () => 1), 'SHARE_KEY_MISMATCH', /do not rebuild a valid ecdsa-p256 key/);
  });
});

describe('the secret is zeroed', () => {
  it('after the callback returns, and after it throws; the caller’s cards are left alone', async () => {
    const { cards } = await splitKey('ed25519', secretOf('ed25519'), { threshold: 2, shares: 3 });
    const before = cards.map((c) => Uint8Array.from(c.share));
    let kept: Uint8Array | undefined;
    await withReconstructedKey(cards.slice(0, 2), async (key) => {
      kept = key.secret;
      expect(Buffer.from(key.secret).toString('hex')).toBe(SECRETS.ed25519);
      await new Promise((r) => setTimeout(r, 5));
      expect(kept.some((x) => x !== 0)).toBe(true);
    });
    expect(kept!.every((x) => x === 0)).toBe(true);

    let kept2: Uint8Array | undefined;
    await expect(
      withReconstructedKey(cards.slice(1, 3), (key) => {
        kept2 = key.secret;
        throw new Error('signing failed');
      }),
    ).rejects.toThrow('signing failed');
    expect(kept2!.length).toBe(32);
    expect(kept2!.every((x) => x === 0)).toBe(true);
    cards.forEach((c, i) => expect(c.share).toEqual(before[i]));
  });

  it('the key object cannot be swapped for another buffer', async () => {
    const { cards } = await splitKey('ed25519', secretOf('ed25519'), { threshold: 2, shares: 2 });
    await withReconstructedKey(cards, (key) => {
      expect(Object.isFrozen(key)).toBe(true);
    });
  });
});
