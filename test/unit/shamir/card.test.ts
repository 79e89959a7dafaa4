import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import {
  cardCheck,
  formatShareCard,
  makeShareCard,
  parseShareCard,
  SHARE_CARD_MAX_BYTES,
  wipeShareCard,
  type ShareCard,
} from '../../../src/shamir/card.js';
import { generateAndSplit, splitKey } from '../../../src/shamir/split.js';
import { dataGroups, editGroup, refusal, secretFragments, setHeader, substitute, swap, withCardCheckFor } from './support.js';

const SEED = Uint8Array.from(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));

let cards: ShareCard[];
let text: string;
beforeAll(async () => {
  cards = (await splitKey('ed25519', SEED, { threshold: 2, shares: 3, label: 'registry.example.com/org/app' })).cards;
  text = formatShareCard(cards[0]!);
});

function expectRefused(input: string | Uint8Array, code: string, message?: RegExp): CeremonyError {
  const err = refusal(input);
  expect(err.code, err.message).toBe(code);
  if (message) expect(err.message).toMatch(message);
  // Never a piece of the share data in a message.
  for (const frag of secretFragments(text)) expect(err.message).not.toContain(frag);
  return err;
}

describe('typed form', () => {
  it('round-trips every algorithm, field for field, share bytes verbatim', async () => {
    for (const algorithm of ['ed25519', 'ecdsa-p256', 'ecdsa-p384'] as const) {
      const { cards: cs } = await generateAndSplit(algorithm, { threshold: 3, shares: 4, rehearsal: algorithm === 'ecdsa-p384' });
      for (const card of cs) {
        const back = parseShareCard(formatShareCard(card));
        expect(back).toEqual(card);
        expect(back.share).not.toBe(card.share);
        expect(back.index).toBe(card.share[card.share.length - 1]);
      }
    }
  });

  it('lays out the card as documented', () => {
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('TUF-CEREMONY SHARE CARD');
    expect(lines.slice(1, 8).map((l) => l.split(':')[0])).toEqual(['version', 'split', 'share index', 'threshold', 'algorithm', 'fingerprint', 'label']);
    expect(lines[1]).toBe('version: 1');
    expect(lines[2]).toMatch(/^split: [0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(lines[4]).toBe('threshold: 2 of 3');
    expect(lines[6]).toMatch(/^fingerprint: ([0-9a-f]{8} ){7}[0-9a-f]{8}$/);
    expect(lines[8]).toBe('share data:');
    // 33 bytes = 53 characters = 13 groups of 4 + 1 group of 1, each + 1 check character.
    const groups = dataGroups(text);
    expect(groups.map((l) => l.length)).toEqual([4, 4, 4, 2]);
    expect(groups.flat().map((g) => g.length)).toEqual([...Array(13).fill(5), 2]);
    expect(lines[lines.length - 1]).toMatch(/^card check: [0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
  });

  it('reads what people type: case, spacing, hyphens, no line numbers, O/I/L, CRLF, blank lines, BOM, field order', () => {
    const variants = [
      text.toLowerCase(),
      text.replace(/^(\d+): (.*)$/gm, (_, n, rest: string) => `${n}: ${rest.replace(/ /g, '')}`),
      text.replace(/^(\d+): (.*)$/gm, (_, n, rest: string) => `${n}. ${rest.replace(/ /g, '-')}`),
      text.replace(/^\d+: /gm, ''),
      text.replace(/^(\d+: .*)$/gm, (l: string) => l.replace(/(?<=: .*)0/g, 'O').replace(/(?<=: .*)1/g, 'l')),
      text.replace(/\n/g, '\r\n'),
      '\n\n' + text.replace(/\n/g, '\n\n   ') + '\n\n',
      '\ufeff' + text,
      text.replace('TUF-CEREMONY SHARE CARD', 'tuf ceremony share card').replace('share index:', 'Share-Index :'),
      text.replace(/^fingerprint: (.*)$/m, (_, fp: string) => `fingerprint: ${fp.replace(/ /g, '').toUpperCase().match(/../g)!.join(':')}`),
      text.replace(/^split: (\w{4})-(\w{4})$/m, 'split: $1 $2').replace(/^card check: (\w{4})-(\w{4})$/m, (_, a: string, b: string) => `card check: ${(a + b).toLowerCase()}`),
      (() => {
        const ls = text.split('\n');
        return [ls[0], ls[7], ls[6], ls[5], ls[4], ls[3], ls[2], ls[1], ...ls.slice(8)].join('\n');
      })(),
    ];
    for (const v of variants) {
      const back = parseShareCard(v);
      expect(back.share).toEqual(cards[0]!.share);
      expect(back.label).toBe('registry.example.com/org/app');
    }
    expect(parseShareCard(new TextEncoder().encode(text)).share).toEqual(cards[0]!.share);
  });

  it('keeps a label with a colon (a registry port) intact', () => {
    const c = makeShareCard({ ...cards[0]!, label: 'registry.example.com:5000/org/app' });
    expect(parseShareCard(formatShareCard(c)).label).toBe('registry.example.com:5000/org/app');
  });

  it('names the source in refusals', () => {
    const err = refusal(editGroup(text, 2, 3, (g) => substitute(g, 1)), 'card-1-of-3.txt');
    expect(err.path).toBe('card-1-of-3.txt');
    expect(err.message).toMatch(/\(at card-1-of-3\.txt\)$/);
  });
});

describe('typing mistakes are caught and located', () => {
  it('a substituted character in any group and position: SHARE_CHECKSUM naming that group and line', () => {
    const groups = dataGroups(text);
    groups.forEach((line, li) =>
      line.forEach((g, gi) => {
        for (let pos = 0; pos < g.length; pos++) {
          expectRefused(editGroup(text, li + 1, gi + 1, (x) => substitute(x, pos)), 'SHARE_CHECKSUM', new RegExp(`^group ${gi + 1} of line ${li + 1} has a typing mistake`));
        }
      }),
    );
  });

  it('two adjacent characters swapped, the check character included', () => {
    const groups = dataGroups(text);
    groups.forEach((line, li) =>
      line.forEach((g, gi) => {
        for (let pos = 0; pos + 1 < g.length; pos++) {
          if (g[pos] === g[pos + 1]) continue;
          expectRefused(editGroup(text, li + 1, gi + 1, (x) => swap(x, pos)), 'SHARE_CHECKSUM', new RegExp(`group ${gi + 1} of line ${li + 1}`));
        }
      }),
    );
  });

  it('every group with a mistake is listed', () => {
    const twice = editGroup(editGroup(text, 1, 2, (g) => substitute(g, 0)), 3, 4, (g) => substitute(g, 4));
    expectRefused(twice, 'SHARE_CHECKSUM', /^2 groups have typing mistakes: group 2 of line 1, group 4 of line 3/);
  });

  it('two groups swapped', () => {
    const [g1, g2] = dataGroups(text)[1]!;
    const swapped = editGroup(editGroup(text, 2, 1, () => g2!), 2, 2, () => g1!);
    expectRefused(swapped, 'SHARE_CHECKSUM', /group 1 of line 2, group 2 of line 2/);
  });

  it('a character outside the alphabet: SHARE_CHARACTER with its place', () => {
    expectRefused(editGroup(text, 3, 1, (g) => g[0] + 'U' + g.slice(2)), 'SHARE_CHARACTER', /^the 2nd character of group 1 of line 3 is not a card character/);
    expectRefused(editGroup(text, 1, 4, (g) => g.slice(0, 4) + '*'), 'SHARE_CHARACTER', /5th character of group 4 of line 1/);
  });

  it('a missing or extra character: SHARE_FORMAT naming the group (when spaced) or the line', () => {
    expectRefused(editGroup(text, 1, 2, (g) => g.slice(1)), 'SHARE_FORMAT', /^group 2 of line 1 has 4 characters, it should have 5: a character is missing/);
    expectRefused(editGroup(text, 4, 2, (g) => g + 'A'), 'SHARE_FORMAT', /^group 2 of line 4 has 3 characters, it should have 2: a character is extra/);
    const unspaced = text.replace(/^2: (.*)$/m, (_, r: string) => `2: ${r.replace(/ /g, '').slice(1)}`);
    expectRefused(unspaced, 'SHARE_FORMAT', /^line 2 of the share data has 19 characters, it should have 20: a character is missing/);
  });

  it('a missing, extra or misnumbered share data line', () => {
    expectRefused(text.replace(/^3: .*\n/m, ''), 'SHARE_FORMAT', /line 3 is numbered 4: a line is missing or out of order/);
    expectRefused(text.replace(/^4: .*\n/m, ''), 'SHARE_FORMAT', /has 4 lines; this card has 3/);
    expectRefused(text.replace(/^\d+: /gm, '').replace(/^card check/m, 'ABCDE\ncard check'), 'SHARE_FORMAT', /has 4 lines; this card has more/);
  });
});

describe('edited or damaged headers', () => {
  const edits: [string, (t: string) => string][] = [
    ['split', (t) => t.replace(/^split: (\w)/m, (_, c: string) => `split: ${c === 'Z' ? 'Y' : 'Z'}`)],
    ['share index', (t) => setHeader(t, 'share index', String((cards[0]!.index % 255) + 1))],
    ['threshold M', (t) => setHeader(t, 'threshold', '3 of 3')],
    ['threshold N', (t) => setHeader(t, 'threshold', '2 of 4')],
    ['algorithm (same share length)', (t) => setHeader(t, 'algorithm', 'ecdsa-p256')],
    ['fingerprint', (t) => t.replace(/^fingerprint: (\w)/m, (_, c: string) => `fingerprint: ${c === 'f' ? 'e' : 'f'}`)],
    ['label', (t) => setHeader(t, 'label', 'registry.example.com/org/other')],
    ['label removed', (t) => setHeader(t, 'label', undefined)],
    ['rehearsal added', (t) => setHeader(t, 'rehearsal', 'yes')],
    ['card check', (t) => t.replace(/^card check: (\w)/m, (_, c: string) => `card check: ${c === 'Z' ? 'Y' : 'Z'}`)],
  ];
  for (const [what, edit] of edits) {
    it(`${what}: SHARE_CARD_CHECKSUM`, () => {
      expectRefused(edit(text), 'SHARE_CARD_CHECKSUM', /^the card check does not match/);
    });
  }

  it('forged with a recomputed card check, but impossible: SHARE_INVALID', () => {
    const card = cards[0]!;
    const idx = (card.index % 255) + 1;
    const forgedIndex = withCardCheckFor(setHeader(text, 'share index', String(idx)), { ...card, index: idx });
    expectRefused(forgedIndex, 'SHARE_INVALID', /share index \d+ on the card is not the index inside its share data/);
    const forgedM = withCardCheckFor(setHeader(text, 'threshold', '4 of 3'), { ...card, threshold: 4 });
    expectRefused(forgedM, 'SHARE_INVALID', /threshold 4 of 3 is impossible/);
    const forged1 = withCardCheckFor(setHeader(text, 'threshold', '1 of 3'), { ...card, threshold: 1 });
    expectRefused(forged1, 'SHARE_INVALID', /threshold 1 of 3 is impossible/);
  });

  it('unknown versions: SHARE_VERSION_UNSUPPORTED before anything else is read', () => {
    expectRefused(setHeader(text, 'version', '2'), 'SHARE_VERSION_UNSUPPORTED', /version 2 is not supported/);
    expectRefused('TUF-CEREMONY SHARE CARD\nversion: 7\nwhatever: comes next\n', 'SHARE_VERSION_UNSUPPORTED');
    expectRefused(setHeader(text, 'version', 'one'), 'SHARE_FORMAT', /must hold a number/);
    expectRefused(setHeader(text, 'version', undefined), 'SHARE_FORMAT', /no "version:" line/);
  });

  it('fields missing, unknown, repeated or malformed: SHARE_FORMAT', () => {
    const cases: [string, RegExp][] = [
      [setHeader(text, 'split', undefined), /no "split:" line/],
      [setHeader(text, 'algorithm', undefined), /no "algorithm:" line/],
      [setHeader(text, 'colour', 'blue'), /^text line 9 is not a field of a share card \(the fields still expected here: "rehearsal:", "share data:"\)/],
      [text.replace('threshold: 2 of 3', 'threshold: 2 of 3\nthreshold: 2 of 3'), /the field "threshold" appears twice/],
      [setHeader(text, 'threshold', '2/3'), /"M of N"/],
      [setHeader(text, 'share index', '0x3a'), /share index must be a number/],
      [setHeader(text, 'algorithm', 'rsa'), /algorithm must be ed25519, ecdsa-p256 or ecdsa-p384/],
      [setHeader(text, 'fingerprint', 'abc'), /fingerprint must be 64 hex digits/],
      [setHeader(text, 'split', 'ABCD-EFG'), /split ID must be 8 card characters/],
      [setHeader(text, 'label', 'caf\u00e9'), /label must be 1–128 printable ASCII/],
      [setHeader(text, 'label', 'x'.repeat(129)), /label must be/],
      [setHeader(text, 'rehearsal', 'no'), /reads "rehearsal: yes"/],
      [text.replace('share data:\n', ''), /is not a "name: value" field|no "share data:" line/],
      [text.replace(/^card check: .*\n/m, ''), /no "card check:" line/],
      [text.replace(/^card check: .*$/m, 'card check: ABC'), /card check must be 8 card characters/],
      [text + 'label: again\n', /"card check:" must be the last line/],
      [text.replace('share data:', 'share data: 1'), /share data starts on the line after/],
      ['hello world', /not a share card/],
      ['', /not a share card/],
      ['{"version":1}', /not a share card/],
    ];
    for (const [input, message] of cases) expectRefused(input, 'SHARE_FORMAT', message);
    expectRefused(Uint8Array.of(0x54, 0x55, 0x46, 0xff, 0xfe), 'SHARE_FORMAT', /not UTF-8/);
  });

  // Review 15b L1: a refusal never quotes what may be share data (a data line read as a field once the
  // "share data:" line is missing was quoted, lower-cased, as an "unknown field"). Each malformed card:
  // its code, the line named, and none of the card's groups in the message, in any case.
  describe('malformed typed cards: the place is named, the text never quoted', () => {
    /** The card as typed without "share data:" and without line numbers (the tolerant, typed form). */
    const typedWithoutDataLine = (t: string): string[] =>
      t
        .split('\n')
        .filter((l) => l !== 'share data:')
        .map((l) => l.replace(/^\d+: /, ''));
    const LETTERS = ['HSZTJ', 'KPQRW', 'ABCDE', 'FGHJK'];
    /** Share data line `k` (1-based) of `lines` replaced by letter-only groups then `sep` and the rest of its groups. */
    const letterLine = (t: string, lines: string[], k: number, groups: number, sep: string): string[] => {
      const at = lines.findIndex((l) => l === dataGroups(t)[k - 1]!.join(' '));
      const rest = dataGroups(t)[k - 1]!.slice(groups);
      const out = [...lines];
      out[at] = `${LETTERS.slice(0, groups).join(' ')}${sep}${rest.join(' ')}`;
      return out;
    };
    const rows: { name: string; make: (t: string) => string; code: string; where: RegExp }[] = [
      // Title 1, version 2, split 3, share index 4, threshold 5, algorithm 6, fingerprint 7, label 8: data from 9.
      { name: 'no "share data:" line, a colon after the first group (the review\'s card)', make: (t) => letterLine(t, typedWithoutDataLine(t), 1, 1, ': ').join('\n'), code: 'SHARE_FORMAT', where: /^text line 9 is not a field of a share card/ },
      { name: 'no "share data:" line, a colon after four letter groups (24 characters)', make: (t) => letterLine(t, typedWithoutDataLine(t), 1, 4, ':').join('\n'), code: 'SHARE_FORMAT', where: /^text line 9 is not a field of a share card/ },
      { name: 'no "share data:" line, the colon on line 2 of the data', make: (t) => letterLine(t, typedWithoutDataLine(t), 2, 2, ' : ').join('\n'), code: 'SHARE_FORMAT', where: /^text line 9 is not a "name: value" field/ },
      { name: 'no "share data:" line, line numbers kept', make: (t) => t.replace('share data:\n', ''), code: 'SHARE_FORMAT', where: /^text line 9 is not a "name: value" field/ },
      { name: 'a colon after the first group inside the share data (no line numbers)', make: (t) => letterLine(t, t.split('\n').map((l) => l.replace(/^\d+: /, '')), 1, 2, ': ').join('\n'), code: 'SHARE_FORMAT', where: /^text line 10: a field inside the share data/ },
      { name: 'a colon inside a numbered share data line', make: (t) => editGroup(t, 2, 1, (g) => `${g}:`), code: 'SHARE_FORMAT', where: /^group 1 of line 2 has 6 characters, it should have 5: a character is extra/ },
      { name: 'a misspelt header field before the share data', make: (t) => t.replace('threshold:', 'thresold:'), code: 'SHARE_FORMAT', where: /^text line 5 is not a field of a share card \(the fields still expected here: "threshold:", "algorithm:", "fingerprint:", "label:", "rehearsal:", "share data:"\)/ },
      { name: 'a misspelt "card check:" line', make: (t) => t.replace('card check:', 'card chek:'), code: 'SHARE_FORMAT', where: /^text line 14: a field inside the share data/ },
      { name: 'a character outside the alphabet', make: (t) => editGroup(t, 3, 2, (g) => `${g.slice(0, 2)}U${g.slice(3)}`), code: 'SHARE_CHARACTER', where: /^the 3rd character of group 2 of line 3 is not a card character/ },
      { name: 'a character too many in a group', make: (t) => editGroup(t, 1, 4, (g) => `${g}Z`), code: 'SHARE_FORMAT', where: /^group 4 of line 1 has 6 characters, it should have 5: a character is extra/ },
      { name: 'a share data line twice', make: (t) => t.replace(/^(2: .*)$/m, '$1\n$1'), code: 'SHARE_FORMAT', where: /^share data line 3 is numbered 2/ },
    ];
    it.each(rows)('$name → $code, placed, nothing quoted', ({ make, code, where }) => {
      const input = make(text);
      const err = refusal(input);
      expect(err.code, err.message).toBe(code);
      expect(err.message).toMatch(where);
      const shown = err.message.toUpperCase();
      // Every group of the input's share data (the edited lines included), in any case.
      const groups = new Set([...dataGroups(text).flat(), ...LETTERS]);
      for (const g of groups) if (g.length >= 4) expect(shown, g).not.toContain(g.toUpperCase());
      // Nor any run of 4 characters of the input's data lines (upper case; the title and the lower-case
      // field lines are the format's own words).
      for (const line of input.split('\n').filter((l) => /\S/.test(l) && l === l.toUpperCase() && !l.startsWith('TUF-CEREMONY'))) {
        const compact = line.replace(/^\d+: /, '').replace(/[\s:-]+/g, '');
        for (let k = 0; k + 4 <= compact.length; k++) expect(shown.replace(/[\s-]+/g, ''), line).not.toContain(compact.slice(k, k + 4));
      }
    });
  });

  it('oversized input: INPUT_TOO_LARGE before parsing, for text and bytes', () => {
    const big = text + ' '.repeat(SHARE_CARD_MAX_BYTES);
    expectRefused(big, 'INPUT_TOO_LARGE');
    expectRefused(new TextEncoder().encode(big), 'INPUT_TOO_LARGE');
    // Multi-byte characters count as bytes.
    expectRefused(text + '\u20ac'.repeat(SHARE_CARD_MAX_BYTES / 3), 'INPUT_TOO_LARGE');
    expect(() => parseShareCard(text, { maxBytes: 100 })).toThrow(/over the cap of 100/);
  });
});

describe('cards made in memory', () => {
  it('makeShareCard wraps a library share verbatim and copies it', () => {
    const card = cards[1]!;
    const share = Uint8Array.from(card.share);
    const made = makeShareCard({ ...card, share });
    expect(made.share).toEqual(share);
    expect(made.share).not.toBe(share);
    expect(made.index).toBe(share[share.length - 1]);
    expect(cardCheck(made)).toBe(cardCheck(card));
  });

  it('refuses impossible fields with SHARE_INVALID', () => {
    const card = cards[1]!;
    const bad: Partial<ShareCard>[] = [
      { splitId: 'ABC' },
      { fingerprint: 'F'.repeat(64) },
      { threshold: 4 },
      { shares: 256, threshold: 2 },
      { label: ' padded ' },
      { share: new Uint8Array(32) },
      { share: Uint8Array.from([...card.share.subarray(0, 32), 0]) },
    ];
    for (const b of bad) {
      expect(() => makeShareCard({ ...card, ...b }), JSON.stringify(Object.keys(b))).toThrow(expect.objectContaining({ code: 'SHARE_INVALID' }));
    }
  });

  it('wipeShareCard zeroes the share', () => {
    const c = parseShareCard(text);
    wipeShareCard(c);
    expect(c.share.every((b) => b === 0)).toBe(true);
  });
});
