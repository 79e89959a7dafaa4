/**
 * Roll-call (PRODUCT.md §2.2): a custodian shows their card is valid — every group check and the card
 * check pass, the version is known, and it belongs to the expected split and key — without combining
 * anything. The share bytes are wiped as soon as the card is read; the result holds none.
 */
import { CeremonyError } from '../errors.js';
import { assertValidCard, formatSplitId, parseShareCard, wipeShareCard, type ParseShareCardOptions, type ShareCard } from './card.js';
import { normalizeExpectations, type CardSetExpectations } from './combine.js';
import type { ShamirAlgorithm } from './keys.js';

export interface RollCallResult {
  splitId: string;
  index: number;
  threshold: number;
  shares: number;
  algorithm: ShamirAlgorithm;
  fingerprint: string;
  label: string | undefined;
  rehearsal: boolean;
}

/**
 * Check one card. Refusals: those of parseShareCard, then SHARE_SPLIT_MISMATCH / SHARE_FINGERPRINT_MISMATCH
 * when it is not from the expected split or of the expected key.
 */
export function rollCall(input: string | Uint8Array | ShareCard, expected: CardSetExpectations = {}, opts: ParseShareCardOptions = {}): RollCallResult {
  const want = normalizeExpectations(expected);
  const parsed = typeof input === 'string' || input instanceof Uint8Array;
  const card = parsed ? parseShareCard(input, opts) : input;
  try {
    if (!parsed) assertValidCard(card, opts.source);
    const where = opts.source ? { path: opts.source } : {};
    if (want.splitId !== undefined && card.splitId !== want.splitId) {
      throw new CeremonyError('SHARE_SPLIT_MISMATCH', `this card is from split ${formatSplitId(card.splitId)}, not the expected ${formatSplitId(want.splitId)}`, where);
    }
    if (want.fingerprint !== undefined && card.fingerprint !== want.fingerprint) {
      throw new CeremonyError('SHARE_FINGERPRINT_MISMATCH', `this card is a share of key ${card.fingerprint.slice(0, 16)}…, not of the expected key ${want.fingerprint.slice(0, 16)}…`, where);
    }
    const { splitId, index, threshold, shares, algorithm, fingerprint, label, rehearsal } = card;
    return { splitId, index, threshold, shares, algorithm, fingerprint, label, rehearsal };
  } finally {
    if (parsed) wipeShareCard(card);
  }
}
