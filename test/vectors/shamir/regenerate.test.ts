/**
 * Writes cards.json and invalid.json (run by hand, once; the files are committed):
 *
 *   SHAMIR_REGEN=1 npx vitest run test/vectors/shamir/regenerate.test.ts
 *
 * The shares are random (the library draws coefficients and x-coordinates), so re-running replaces them;
 * the secrets are published test keys: RFC 8032 §7.1 test 1 (Ed25519 seed), RFC 6979 A.2.5 (P-256) and
 * A.2.6 (P-384). Invalid cards are derived from the valid ones by the edits named in each case.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatShareCard, makeShareCard, SHARE_CARD_MAX_BYTES, type ShareCard } from '../../../src/shamir/card.js';
import { derivePublicKey, type ShamirAlgorithm } from '../../../src/shamir/keys.js';
import { splitKey } from '../../../src/shamir/split.js';
import { toHex } from '../../../src/profiles/encoding.js';
import { dataGroups, editGroup, setHeader, substitute, swap, withCardCheckFor } from '../../unit/shamir/support.js';

const here = dirname(fileURLToPath(import.meta.url));

const SPECS: { name: string; algorithm: ShamirAlgorithm; secret: string; source: string; splitId: string; threshold: number; shares: number; label?: string; rehearsal?: boolean }[] = [
  {
    name: 'ed25519 2 of 3, labelled',
    algorithm: 'ed25519',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    source: 'RFC 8032 §7.1 TEST 1 secret key',
    splitId: '7KQ4M2XA',
    threshold: 2,
    shares: 3,
    label: 'registry.example.com/org/app',
  },
  {
    name: 'ecdsa-p256 3 of 5, rehearsal',
    algorithm: 'ecdsa-p256',
    secret: 'c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721',
    source: 'RFC 6979 A.2.5 private key x',
    splitId: 'R3HEARSE',
    threshold: 3,
    shares: 5,
    rehearsal: true,
  },
  {
    name: 'ecdsa-p384 2 of 2',
    algorithm: 'ecdsa-p384',
    secret: '6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5',
    source: 'RFC 6979 A.2.6 private key x',
    splitId: 'P384P384',
    threshold: 2,
    shares: 2,
    label: 'root backup',
  },
];

type Case =
  | { name: string; kind: 'parse'; text: string; pad?: number; code: string; message: string }
  | { name: string; kind: 'parse-bytes'; hex: string; code: string; message: string }
  | { name: string; kind: 'combine'; texts: string[]; code: string; message: string }
  | { name: string; kind: 'roll-call'; text: string; expected: { splitId?: string; fingerprint?: string }; code: string; message: string };

describe.runIf(process.env.SHAMIR_REGEN === '1')('regenerate share card vectors', () => {
  it('writes cards.json and invalid.json', async () => {
    const vectors = [];
    const made: ShareCard[][] = [];
    for (const s of SPECS) {
      const secret = Uint8Array.from(Buffer.from(s.secret, 'hex'));
      const { cards, publicKey } = await splitKey(s.algorithm, secret, { threshold: s.threshold, shares: s.shares, label: s.label, rehearsal: s.rehearsal, splitId: s.splitId });
      made.push(cards);
      vectors.push({
        name: s.name,
        algorithm: s.algorithm,
        secret: s.secret,
        secretSource: s.source,
        spki: toHex(derivePublicKey(s.algorithm, secret).spki),
        fingerprint: publicKey.fingerprint,
        splitId: s.splitId,
        threshold: s.threshold,
        shares: s.shares,
        label: s.label ?? null,
        rehearsal: Boolean(s.rehearsal),
        cards: cards.map((c) => ({ index: c.index, share: toHex(c.share), text: formatShareCard(c) })),
      });
    }
    writeFileSync(
      join(here, 'cards.json'),
      JSON.stringify(
        {
          description:
            'Share card vectors (format version 1). `share` is the shamir-secret-sharing share, verbatim (secret bytes then the x-coordinate); `text` is the typed card (also the QR payload). Test keys only. Regenerate: SHAMIR_REGEN=1 npx vitest run test/vectors/shamir/regenerate.test.ts',
          library: 'shamir-secret-sharing 0.0.4',
          vectors,
        },
        null,
        2,
      ) + '\n',
    );

    const [ed, p256, p384] = made as [ShareCard[], ShareCard[], ShareCard[]];
    const t = formatShareCard(ed[0]!);
    const g = dataGroups(t);
    const lastLine = g.length;
    const lastGroup = g[lastLine - 1]!.length;
    const bump = (c: string) => (c === 'Z' ? 'Y' : 'Z');
    const idx = (ed[0]!.index % 255) + 1;
    const forgedShare = Uint8Array.from(ed[1]!.share);
    forgedShare[3]! ^= 0x10;
    const forgedLabel = makeShareCard({ ...p256[2]!, label: 'someone else' });
    const twin = Uint8Array.from(p256[1]!.share);
    twin[0]! ^= 1;

    const cases: Case[] = [
      // One mistyped character in each position class.
      { name: 'mistyped first data character (group 1, line 1)', kind: 'parse', text: editGroup(t, 1, 1, (x) => substitute(x, 0)), code: 'SHARE_CHECKSUM', message: '^group 1 of line 1 has a typing mistake' },
      { name: 'mistyped middle data character (group 3, line 2)', kind: 'parse', text: editGroup(t, 2, 3, (x) => substitute(x, 2)), code: 'SHARE_CHECKSUM', message: '^group 3 of line 2 has a typing mistake' },
      { name: 'mistyped check character (group 4, line 3)', kind: 'parse', text: editGroup(t, 3, 4, (x) => substitute(x, 4)), code: 'SHARE_CHECKSUM', message: '^group 4 of line 3 has a typing mistake' },
      { name: 'mistyped character in the short last group', kind: 'parse', text: editGroup(t, lastLine, lastGroup, (x) => substitute(x, 0)), code: 'SHARE_CHECKSUM', message: `^group ${lastGroup} of line ${lastLine} has a typing mistake` },
      { name: 'adjacent transposition inside a group', kind: 'parse', text: editGroup(t, 1, 2, (x) => (x[1] === x[2] ? swap(x, 0) : swap(x, 1))), code: 'SHARE_CHECKSUM', message: 'group 2 of line 1' },
      { name: 'last data character swapped with the check character', kind: 'parse', text: editGroup(t, 2, 1, (x) => swap(x, 3)), code: 'SHARE_CHECKSUM', message: 'group 1 of line 2' },
      { name: 'two groups swapped', kind: 'parse', text: editGroup(editGroup(t, 1, 3, () => g[0]![3]!), 1, 4, () => g[0]![2]!), code: 'SHARE_CHECKSUM', message: 'group 3 of line 1, group 4 of line 1' },
      { name: 'character outside the alphabet (U)', kind: 'parse', text: editGroup(t, 2, 2, (x) => 'U' + x.slice(1)), code: 'SHARE_CHARACTER', message: '^the 1st character of group 2 of line 2' },
      { name: 'a character left out', kind: 'parse', text: editGroup(t, 3, 3, (x) => x.slice(0, 4)), code: 'SHARE_FORMAT', message: '^group 3 of line 3 has 4 characters, it should have 5: a character is missing' },
      { name: 'a share data line left out', kind: 'parse', text: t.replace(/^2: .*\n/m, ''), code: 'SHARE_FORMAT', message: 'line 2 is numbered 3' },
      // Edited header fields: the card check.
      { name: 'edited threshold M', kind: 'parse', text: setHeader(t, 'threshold', `3 of ${ed[0]!.shares}`), code: 'SHARE_CARD_CHECKSUM', message: '^the card check does not match' },
      { name: 'edited share index', kind: 'parse', text: setHeader(t, 'share index', String(idx)), code: 'SHARE_CARD_CHECKSUM', message: '^the card check does not match' },
      { name: 'edited fingerprint', kind: 'parse', text: t.replace(/^fingerprint: (\w)/m, (_, c: string) => `fingerprint: ${c === 'f' ? 'e' : 'f'}`), code: 'SHARE_CARD_CHECKSUM', message: '^the card check does not match' },
      { name: 'edited split ID', kind: 'parse', text: t.replace(/^split: (\w)/m, (_, c: string) => `split: ${bump(c)}`), code: 'SHARE_CARD_CHECKSUM', message: '^the card check does not match' },
      { name: 'edited label', kind: 'parse', text: setHeader(t, 'label', 'registry.example.com/org/evil'), code: 'SHARE_CARD_CHECKSUM', message: '^the card check does not match' },
      { name: 'rehearsal mark added', kind: 'parse', text: setHeader(t, 'rehearsal', 'yes'), code: 'SHARE_CARD_CHECKSUM', message: '^the card check does not match' },
      { name: 'mistyped card check', kind: 'parse', text: t.replace(/^card check: (\w)/m, (_, c: string) => `card check: ${bump(c)}`), code: 'SHARE_CARD_CHECKSUM', message: '^the card check does not match' },
      // Forged with a recomputed card check.
      { name: 'edited share index, card check recomputed', kind: 'parse', text: withCardCheckFor(setHeader(t, 'share index', String(idx)), { ...ed[0]!, index: idx }), code: 'SHARE_INVALID', message: 'is not the index inside its share data' },
      { name: 'threshold above the number of cards, card check recomputed', kind: 'parse', text: withCardCheckFor(setHeader(t, 'threshold', `4 of 3`), { ...ed[0]!, threshold: 4, shares: 3 }), code: 'SHARE_INVALID', message: 'threshold 4 of 3 is impossible' },
      // Versions, layout, garbage, size.
      { name: 'unknown version', kind: 'parse', text: setHeader(t, 'version', '2'), code: 'SHARE_VERSION_UNSUPPORTED', message: 'version 2 is not supported' },
      { name: 'unknown field', kind: 'parse', text: setHeader(t, 'colour', 'blue'), code: 'SHARE_FORMAT', message: '^text line 9 is not a field of a share card' },
      { name: 'repeated field', kind: 'parse', text: t.replace(/^(algorithm: .*)$/m, '$1\n$1'), code: 'SHARE_FORMAT', message: 'the field "algorithm" appears twice' },
      { name: 'garbage', kind: 'parse', text: 'correct horse battery staple', code: 'SHARE_FORMAT', message: 'not a share card' },
      { name: 'oversized input', kind: 'parse', text: t, pad: SHARE_CARD_MAX_BYTES, code: 'INPUT_TOO_LARGE', message: 'over the cap of 8192' },
      { name: 'not UTF-8', kind: 'parse-bytes', hex: Buffer.from(t.slice(0, 40)).toString('hex') + 'c328', code: 'SHARE_FORMAT', message: 'not UTF-8' },
      // Sets of cards.
      { name: 'cards from two splits', kind: 'combine', texts: [formatShareCard(ed[0]!), formatShareCard(p384[0]!)], code: 'SHARE_MIXED_SPLITS', message: '2 different splits' },
      { name: 'the same card twice', kind: 'combine', texts: [formatShareCard(ed[0]!), formatShareCard(ed[0]!)], code: 'SHARE_DUPLICATE', message: 'card 2 is the same card as card 1' },
      { name: 'two cards claiming one index', kind: 'combine', texts: [formatShareCard(p256[0]!), formatShareCard(p256[1]!), formatShareCard(makeShareCard({ ...p256[1]!, share: twin }))], code: 'SHARE_DUPLICATE', message: 'both claim share' },
      { name: 'too few cards', kind: 'combine', texts: [formatShareCard(p256[0]!), formatShareCard(p256[4]!)], code: 'SHARE_TOO_FEW', message: '^2 cards of a 3-of-5 split: 1 more card is needed' },
      { name: 'one split, cards disagree (forged label)', kind: 'combine', texts: [formatShareCard(p256[0]!), formatShareCard(p256[1]!), formatShareCard(forgedLabel)], code: 'SHARE_INCONSISTENT', message: 'disagree on the label' },
      { name: 'forged share data with valid checksums', kind: 'combine', texts: [formatShareCard(ed[0]!), formatShareCard(makeShareCard({ ...ed[1]!, share: forgedShare }))], code: 'SHARE_KEY_MISMATCH', message: 'rebuilt key has fingerprint' },
      { name: 'roll-call: card of another split', kind: 'roll-call', text: t, expected: { splitId: 'R3HE-ARSE' }, code: 'SHARE_SPLIT_MISMATCH', message: 'not the expected R3HE-ARSE' },
      { name: 'roll-call: card of another key', kind: 'roll-call', text: t, expected: { fingerprint: p256[0]!.fingerprint }, code: 'SHARE_FINGERPRINT_MISMATCH', message: 'not of the expected key' },
    ];
    writeFileSync(
      join(here, 'invalid.json'),
      JSON.stringify(
        {
          description:
            'Invalid share card inputs and the error code each must produce. parse: parseShareCard(text + " ".repeat(pad ?? 0)); parse-bytes: parseShareCard(hex bytes); combine: parse each text, then withReconstructedKey; roll-call: rollCall(text, expected). `message` is a regular expression the message must match. Derived from cards.json.',
          cases,
        },
        null,
        2,
      ) + '\n',
    );
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });
});
