/**
 * Rebuild a key from share cards (PRODUCT.md §2.2): refuse any set of cards that cannot be right
 * before combining (mixed splits, disagreeing headers, duplicates, too few), combine with the plain
 * `shamir-secret-sharing`, then derive the public key and compare its fingerprint with the one the
 * cards record — before the key is handed to anything that signs.
 *
 * The key exists only in a Uint8Array lent to a callback and zeroed, with every intermediate share
 * buffer, when the callback settles (fulfilled or not).
 */
import { combine } from 'shamir-secret-sharing';
import { CeremonyError } from '../errors.js';
import { assertValidCard, formatSplitId, normalizeFingerprint, normalizeSplitId, type ShareCard } from './card.js';
import { derivePublicKey, type ShamirAlgorithm } from './keys.js';

export interface CardSetSummary {
  splitId: string;
  threshold: number;
  shares: number;
  algorithm: ShamirAlgorithm;
  fingerprint: string;
  label: string | undefined;
  rehearsal: boolean;
  /** Share indexes of the cards, in the order given. */
  indexes: number[];
}

export interface CardSetExpectations {
  /** The key the cards must rebuild (hex SHA-256 of the SPKI; separators and case tolerated). */
  fingerprint?: string;
  /** The split the cards must come from (like 7KQ4-M2XA). */
  splitId?: string;
}

export interface ReconstructedKey {
  readonly algorithm: ShamirAlgorithm;
  /** The private key bytes (Ed25519 seed or EC scalar). Zeroed when the callback settles: do not keep it. */
  readonly secret: Uint8Array;
  /** DER SubjectPublicKeyInfo, checked against the cards' fingerprint. */
  readonly spki: Uint8Array;
  readonly fingerprint: string;
  readonly splitId: string;
  readonly label: string | undefined;
  readonly rehearsal: boolean;
}

function cardList(ns: number[]): string {
  const names = ns.map((n) => String(n + 1));
  return names.length === 1 ? `card ${names[0]}` : `cards ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export function normalizeExpectations(expected: CardSetExpectations): { fingerprint?: string; splitId?: string } {
  const out: { fingerprint?: string; splitId?: string } = {};
  if (expected.fingerprint !== undefined) {
    const fp = normalizeFingerprint(expected.fingerprint);
    if (!fp) throw new CeremonyError('USAGE', 'the expected fingerprint must be 64 hex digits');
    out.fingerprint = fp;
  }
  if (expected.splitId !== undefined) {
    const id = normalizeSplitId(expected.splitId);
    if (!id) throw new CeremonyError('USAGE', 'the expected split ID must be 8 card characters (like 7KQ4-M2XA)');
    out.splitId = id;
  }
  return out;
}

/**
 * Everything that can be checked about a set of cards without combining them. Refusals, in order:
 * SHARE_INVALID (a card object that is not a valid card), SHARE_MIXED_SPLITS, SHARE_INCONSISTENT
 * (same split, different M, N, algorithm, fingerprint, label or rehearsal mark), SHARE_SPLIT_MISMATCH /
 * SHARE_FINGERPRINT_MISMATCH (not the split or key expected), SHARE_DUPLICATE, SHARE_TOO_FEW.
 * Cards are named by their position in `cards`, 1-based.
 */
export function checkCardSet(cards: readonly ShareCard[], expected: CardSetExpectations = {}): CardSetSummary {
  const want = normalizeExpectations(expected);
  if (cards.length === 0) throw new CeremonyError('SHARE_TOO_FEW', 'no share cards were given');
  cards.forEach((c, i) => assertValidCard(c, `card ${i + 1}`));
  const first = cards[0]!;

  const bySplit = new Map<string, number[]>();
  cards.forEach((c, i) => bySplit.set(c.splitId, [...(bySplit.get(c.splitId) ?? []), i]));
  if (bySplit.size > 1) {
    const parts = [...bySplit].map(([id, ns]) => `${formatSplitId(id)} (${cardList(ns)})`);
    throw new CeremonyError('SHARE_MIXED_SPLITS', `the cards come from ${bySplit.size} different splits: ${parts.join(', ')}; combine cards of one split only`);
  }

  const facts: [string, (c: ShareCard) => string][] = [
    ['threshold', (c) => `${c.threshold} of ${c.shares}`],
    ['algorithm', (c) => c.algorithm],
    ['fingerprint', (c) => c.fingerprint],
    ['label', (c) => (c.label === undefined ? '(none)' : JSON.stringify(c.label))],
    ['rehearsal mark', (c) => (c.rehearsal ? 'yes' : 'no')],
  ];
  for (const [name, of] of facts) {
    const ref = of(first);
    const other = cards.findIndex((c) => of(c) !== ref);
    if (other >= 0) {
      throw new CeremonyError('SHARE_INCONSISTENT', `card ${other + 1} and card 1 are from split ${formatSplitId(first.splitId)} but disagree on the ${name} (${of(cards[other]!)} and ${ref}): one of them was mistyped or edited`);
    }
  }

  if (want.splitId !== undefined && first.splitId !== want.splitId) {
    throw new CeremonyError('SHARE_SPLIT_MISMATCH', `the cards are from split ${formatSplitId(first.splitId)}, not the expected ${formatSplitId(want.splitId)}`);
  }
  if (want.fingerprint !== undefined && first.fingerprint !== want.fingerprint) {
    throw new CeremonyError('SHARE_FINGERPRINT_MISMATCH', `the cards are shares of key ${first.fingerprint.slice(0, 16)}…, not of the expected key ${want.fingerprint.slice(0, 16)}…`);
  }

  const byIndex = new Map<number, number>();
  for (let i = 0; i < cards.length; i++) {
    const seen = byIndex.get(cards[i]!.index);
    if (seen !== undefined) {
      const same = cards[seen]!.share.every((b, k) => b === cards[i]!.share[k]);
      throw new CeremonyError(
        'SHARE_DUPLICATE',
        same ? `card ${i + 1} is the same card as card ${seen + 1} (share ${cards[i]!.index}); each card counts once` : `cards ${seen + 1} and ${i + 1} both claim share ${cards[i]!.index} with different share data`,
      );
    }
    byIndex.set(cards[i]!.index, i);
  }

  const { threshold: M, shares: N } = first;
  if (cards.length < M) {
    const more = M - cards.length;
    throw new CeremonyError('SHARE_TOO_FEW', `${cards.length} card${cards.length === 1 ? '' : 's'} of a ${M}-of-${N} split: ${more} more card${more === 1 ? ' is' : 's are'} needed`);
  }
  if (cards.length > N) throw new CeremonyError('SHARE_INVALID', `${cards.length} different cards of a split that made only ${N}`);

  return {
    splitId: first.splitId,
    threshold: M,
    shares: N,
    algorithm: first.algorithm,
    fingerprint: first.fingerprint,
    label: first.label,
    rehearsal: first.rehearsal,
    indexes: cards.map((c) => c.index),
  };
}

/**
 * Rebuild the key from `cards` and lend it to `use`. SHARE_KEY_MISMATCH when the rebuilt bytes are not
 * a key of the recorded algorithm or its fingerprint differs from the one on the cards (a forged or
 * corrupted card that passed its checksums; shares of another key). The key and every share copy are
 * zeroed when `use` settles. The cards themselves belong to the caller (wipe them with wipeShareCard).
 */
export async function withReconstructedKey<T>(cards: readonly ShareCard[], use: (key: ReconstructedKey) => Promise<T> | T, expected: CardSetExpectations = {}): Promise<T> {
  const set = checkCardSet(cards, expected);
  // Plain Uint8Array copies (the library checks the constructor), wiped below.
  const copies = cards.map((c) => Uint8Array.from(c.share));
  let secret: Uint8Array | undefined;
  try {
    try {
      secret = await combine(copies);
    } catch {
      // The library's messages carry no secrets, but its failures here mean a bad card set.
      throw new CeremonyError('SHARE_INVALID', 'the share data of these cards cannot be combined');
    }
    let derived;
    try {
      derived = derivePublicKey(set.algorithm, secret);
    } catch {
      throw new CeremonyError('SHARE_KEY_MISMATCH', `the cards do not rebuild a valid ${set.algorithm} key: a card is forged or corrupted, or the cards are not shares of one key`);
    }
    if (derived.fingerprint !== set.fingerprint) {
      throw new CeremonyError(
        'SHARE_KEY_MISMATCH',
        `the rebuilt key has fingerprint ${derived.fingerprint.slice(0, 16)}…, not ${set.fingerprint.slice(0, 16)}… as the cards record: a card is forged or corrupted, or the cards are not shares of this key; nothing was signed`,
      );
    }
    const key: ReconstructedKey = Object.freeze({
      algorithm: set.algorithm,
      secret,
      spki: derived.spki,
      fingerprint: derived.fingerprint,
      splitId: set.splitId,
      label: set.label,
      rehearsal: set.rehearsal,
    });
    return await use(key);
  } finally {
    secret?.fill(0);
    for (const c of copies) c.fill(0);
  }
}
