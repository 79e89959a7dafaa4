import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesToWords, groupHex, groupWords, PGP_EVEN_WORDS, PGP_ODD_WORDS, shortDigest, shortDigestOf, wordsToBytes } from '../../../src/crypto/digest-words.js';

const hexBytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('PGP word list', () => {
  it('two tables of 256 distinct words, no word in both, exactly as transcribed', () => {
    for (const t of [PGP_EVEN_WORDS, PGP_ODD_WORDS]) {
      expect(t).toHaveLength(256);
      expect(new Set(t.map((w) => w.toLowerCase())).size).toBe(256);
    }
    // Both tables as checked against two independent transcriptions (see the file comment): any edit shows here.
    const both = `${PGP_EVEN_WORDS.join(' ')}\n${PGP_ODD_WORDS.join(' ')}`;
    expect(createHash('sha256').update(both).digest('hex')).toBe('3d76bd4f533b674121cec954d90947848fb33d630b0c22fce9bcfb929883daa0');
    const even = new Set(PGP_EVEN_WORDS.map((w) => w.toLowerCase()));
    expect(PGP_ODD_WORDS.filter((w) => even.has(w.toLowerCase()))).toEqual([]);
    expect([PGP_EVEN_WORDS[0], PGP_EVEN_WORDS[255], PGP_ODD_WORDS[0], PGP_ODD_WORDS[255]]).toEqual(['aardvark', 'Zulu', 'adroitness', 'Yucatan']);
  });

  it('the published examples', () => {
    // Wikipedia, "PGP word list".
    expect(bytesToWords(hexBytes('E582 94F2 E9A2 2748 6E8B 061B 31CC 528F D7FA 3F19')).join(' ')).toBe(
      'topmost Istanbul Pluto vagabond treadmill Pacific brackish dictator goldfish Medusa afflict bravado chatter revolver Dupont midsummer stopwatch whimsical cowbell bottomless',
    );
    // Encode::Wordlist::PGP's synopsis.
    expect(bytesToWords(hexBytes('4155 9711 308F 2A21 B9D5 072D 6219 58AF CB50 B5F9')).join(' ')).toBe(
      'cranky equipment preshrunk Babylon chairlift midsummer brickyard Camelot sentence specialist ahead clergyman flagpole bottomless endorse pharmacy spheroid embezzle scorecard Waterloo',
    );
  });

  it('words back to bytes, and a dropped or repeated word is caught by the even/odd rhythm', () => {
    const bytes = hexBytes('d2a84f4b8b650937');
    const words = bytesToWords(bytes);
    expect(wordsToBytes(words.join(' '))).toEqual({ ok: true, bytes });
    expect(wordsToBytes(words.join('-').toUpperCase())).toEqual({ ok: true, bytes });
    expect(wordsToBytes([words[0]!, ...words.slice(2)])).toMatchObject({ ok: false, index: 1, reason: 'expected-odd' });
    expect(wordsToBytes([words[0]!, words[0]!, ...words.slice(1)])).toMatchObject({ ok: false, index: 1, reason: 'expected-odd' });
    expect(wordsToBytes('aardvark bogus')).toMatchObject({ ok: false, index: 1, word: 'bogus', reason: 'unknown' });
  });

  it('short digests: a prefix of the SHA-256, as hex and words', () => {
    const s = shortDigestOf(new TextEncoder().encode('abc'));
    expect(s.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // 128 bits: 16 bytes, 32 hex digits, 16 words (issue #12: 64 bits could be matched by a made-up payload).
    expect(s.hex).toBe('ba7816bf8f01cfea414140de5dae2223');
    expect(s.words).toHaveLength(16);
    expect(shortDigest(s.sha256, 4).hex).toBe('ba7816bf');
    expect(groupHex(s.hex)).toBe('ba78 16bf 8f01 cfea 4141 40de 5dae 2223');
    // Read in four groups of four; the grouped form reads back as the same bytes.
    const grouped = groupWords(s.words);
    expect(grouped.split(' · ').map((g) => g.split(' ').length)).toEqual([4, 4, 4, 4]);
    expect(wordsToBytes(grouped)).toEqual({ ok: true, bytes: Uint8Array.from(Buffer.from(s.hex, 'hex')) });
    expect(() => shortDigest('abcd')).toThrow(RangeError);
    expect(() => shortDigest(s.sha256, 3)).toThrow(RangeError);
  });
});
