/**
 * Split a software key into share cards (PRODUCT.md §2.2) with `shamir-secret-sharing` — GF(2^8),
 * each share = secret-length bytes + its x-coordinate — and check the result before anyone sees it:
 * every card reads back from its typed form to the same bytes, and threshold-sized subsets of the
 * shares combine, with the plain library, to the key.
 */
import { webcrypto } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import { CeremonyError } from '../errors.js';
import { encodeBase32 } from './alphabet.js';
import { formatShareCard, makeShareCard, normalizeLabel, normalizeSplitId, parseShareCard, wipeShareCard, type ShareCard } from './card.js';
import { derivePublicKey, generateSecret, SECRET_LENGTH, type DerivedPublicKey, type ShamirAlgorithm } from './keys.js';

export interface SplitOptions {
  /** M: cards needed to rebuild the key (2–255). */
  threshold: number;
  /** N: cards made (M–255). */
  shares: number;
  /** Printed on every card and bound by the card check (e.g. the GUN). */
  label?: string;
  rehearsal?: boolean;
  /** Fixed split ID (test vectors only); random otherwise. */
  splitId?: string;
}

export interface SplitResult {
  cards: ShareCard[];
  publicKey: DerivedPublicKey;
  splitId: string;
}

/** A random split ID: 40 bits, 8 card characters. */
export function randomSplitId(): string {
  return encodeBase32(webcrypto.getRandomValues(new Uint8Array(5)));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

function assertSplitOptions(opts: SplitOptions): { label: string | undefined; splitId: string } {
  const { threshold: M, shares: N } = opts;
  if (!Number.isSafeInteger(M) || M < 2 || M > 255) throw new CeremonyError('USAGE', `threshold must be a whole number from 2 to 255, not ${M}`);
  if (!Number.isSafeInteger(N) || N < M || N > 255) throw new CeremonyError('USAGE', `shares must be a whole number from the threshold (${M}) to 255, not ${N}`);
  let label: string | undefined;
  if (opts.label !== undefined) {
    label = normalizeLabel(opts.label);
    if (label === undefined) throw new CeremonyError('USAGE', 'label must be 1–128 printable ASCII characters');
  }
  const splitId = opts.splitId === undefined ? randomSplitId() : normalizeSplitId(opts.splitId);
  if (!splitId) throw new CeremonyError('USAGE', 'splitId must be 8 card characters');
  return { label, splitId };
}

/**
 * Split `secret` (the private key bytes of `algorithm`; not modified, not kept) into `opts.shares` cards,
 * any `opts.threshold` of which rebuild it.
 */
export async function splitKey(algorithm: ShamirAlgorithm, secret: Uint8Array, opts: SplitOptions): Promise<SplitResult> {
  const { label, splitId } = assertSplitOptions(opts);
  if (!(secret instanceof Uint8Array) || secret.length !== SECRET_LENGTH[algorithm]) {
    throw new CeremonyError('KEY_INVALID', `a ${algorithm} private key is ${SECRET_LENGTH[algorithm]} bytes`);
  }
  const publicKey = derivePublicKey(algorithm, secret);
  // The library checks `constructor === Uint8Array`: hand it a plain copy (a Buffer would be refused).
  const copy = Uint8Array.from(secret);
  let shares: Uint8Array[] = [];
  const cards: ShareCard[] = [];
  try {
    shares = await split(copy, opts.shares, opts.threshold);
    for (const share of shares) {
      cards.push(
        makeShareCard({
          splitId,
          threshold: opts.threshold,
          shares: opts.shares,
          algorithm,
          fingerprint: publicKey.fingerprint,
          label,
          rehearsal: opts.rehearsal ?? false,
          share,
        }),
      );
    }
    await selfCheck(cards, shares, copy);
    return { cards, publicKey, splitId };
  } catch (err) {
    for (const c of cards) wipeShareCard(c);
    throw err;
  } finally {
    copy.fill(0);
    for (const s of shares) s.fill(0);
  }
}

/** Generate a key in memory, split it, and wipe it: the cards are then its only copies. */
export async function generateAndSplit(algorithm: ShamirAlgorithm, opts: SplitOptions): Promise<SplitResult> {
  const secret = generateSecret(algorithm);
  try {
    return await splitKey(algorithm, secret, opts);
  } finally {
    secret.fill(0);
  }
}

/** Before the cards leave: each one reads back from its text, and the first and last M combine. */
async function selfCheck(cards: ShareCard[], shares: Uint8Array[], secret: Uint8Array): Promise<void> {
  for (const card of cards) {
    const back = parseShareCard(formatShareCard(card));
    try {
      if (!equalBytes(back.share, card.share)) throw new CeremonyError('INTERNAL', `share ${card.index} does not read back from its card text`);
    } finally {
      wipeShareCard(back);
    }
  }
  const M = cards[0]!.threshold;
  for (const subset of [shares.slice(0, M), shares.slice(-M)]) {
    const copies = subset.map((s) => Uint8Array.from(s));
    let rebuilt: Uint8Array | undefined;
    try {
      rebuilt = await combine(copies);
      if (!equalBytes(rebuilt, secret)) throw new CeremonyError('INTERNAL', 'the shares do not combine back to the key');
    } finally {
      rebuilt?.fill(0);
      for (const c of copies) c.fill(0);
    }
  }
}
