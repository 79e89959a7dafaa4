import { beforeAll, describe, expect, it } from 'vitest';
import { formatShareCard, parseShareCard, type ShareCard } from '../../../src/shamir/card.js';
import { rollCall } from '../../../src/shamir/roll-call.js';
import { generateAndSplit } from '../../../src/shamir/split.js';
import { editGroup, substitute } from './support.js';

let cards: ShareCard[];
let text: string;
beforeAll(async () => {
  cards = (await generateAndSplit('ecdsa-p256', { threshold: 2, shares: 3, label: 'example.com/app', rehearsal: true })).cards;
  text = formatShareCard(cards[1]!);
});

describe('roll-call', () => {
  it('reports the card without any share bytes', () => {
    const r = rollCall(text);
    expect(r).toEqual({
      splitId: cards[1]!.splitId,
      index: cards[1]!.index,
      threshold: 2,
      shares: 3,
      algorithm: 'ecdsa-p256',
      fingerprint: cards[1]!.fingerprint,
      label: 'example.com/app',
      rehearsal: true,
    });
    expect(Object.values(r).some((v) => v instanceof Uint8Array)).toBe(false);
  });

  it('checks the expected split and key, as people type them', () => {
    const split = cards[1]!.splitId;
    const expected = { splitId: `${split.slice(0, 4).toLowerCase()}-${split.slice(4)}`, fingerprint: cards[1]!.fingerprint.toUpperCase().match(/.{8}/g)!.join(' ') };
    expect(rollCall(new TextEncoder().encode(text), expected).index).toBe(cards[1]!.index);
  });

  it('refuses a card of another split or key, a damaged card, and bad expectations', async () => {
    const other = (await generateAndSplit('ecdsa-p256', { threshold: 2, shares: 3 })).cards[0]!;
    expect(() => rollCall(text, { splitId: other.splitId })).toThrow(expect.objectContaining({ code: 'SHARE_SPLIT_MISMATCH' }));
    expect(() => rollCall(text, { fingerprint: other.fingerprint }, { source: 'card-2-of-3.txt' })).toThrow(
      expect.objectContaining({ code: 'SHARE_FINGERPRINT_MISMATCH', path: 'card-2-of-3.txt' }),
    );
    expect(() => rollCall(editGroup(text, 2, 2, (g) => substitute(g, 3)))).toThrow(expect.objectContaining({ code: 'SHARE_CHECKSUM', message: expect.stringMatching(/^group 2 of line 2/) }));
    expect(() => rollCall(text.replace('version: 1', 'version: 2'))).toThrow(expect.objectContaining({ code: 'SHARE_VERSION_UNSUPPORTED' }));
    expect(() => rollCall(text, { splitId: 'nope' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => rollCall(text, { fingerprint: '12' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('takes a parsed card too, and leaves it to its owner', () => {
    const card = parseShareCard(text);
    expect(rollCall(card).index).toBe(card.index);
    expect(card.share.some((b) => b !== 0)).toBe(true);
    expect(() => rollCall({ ...card, threshold: 9 })).toThrow(expect.objectContaining({ code: 'SHARE_INVALID' }));
  });
});
