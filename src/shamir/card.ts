/**
 * Share cards (PRODUCT.md §2.2): one share of an M-of-N Shamir split of a software key, in a form a
 * person can carry on paper and type back.
 *
 * The card *wraps* the share bytes of `shamir-secret-sharing` (secret-length bytes followed by the
 * x-coordinate byte) and never alters them (PRODUCT.md §4): `card.share` is exactly what the library's
 * `split` returned and what its `combine` takes, and `card.index` is that last byte.
 *
 * Typed form, version 1 (also the QR payload; one field per line, blank lines ignored):
 *
 *     TUF-CEREMONY SHARE CARD
 *     version: 1
 *     split: 7KQ4-M2XA                      random ID of the split, 8 characters
 *     share index: 58                       the library's x-coordinate, 1–255
 *     threshold: 3 of 5                     M of N
 *     algorithm: ed25519                    ed25519 | ecdsa-p256 | ecdsa-p384
 *     fingerprint: 3f9a2b1c 8d7e6f50 …      hex SHA-256 of the public key's SPKI DER
 *     label: registry.example.com/org/app   optional (e.g. the GUN)
 *     rehearsal: yes                        only on rehearsal cards
 *     share data:
 *     1: ABCDE FGHJK MNPQR STVWX            groups of 4 characters + 1 check character (alphabet.ts),
 *     …                                     4 groups a line; the last group may be shorter
 *     card check: ABCD-EFGH                 SHA-256 over every field above, 40 bits
 *
 * Reading is tolerant where people slip (case; spaces and hyphens anywhere in split, fingerprint, share
 * data and card check; Crockford's O/I/L look-alikes; the `N:` line numbers may be left out) and strict
 * otherwise: unknown, repeated or missing fields, characters outside the alphabet, a wrong count of
 * characters, a failed group check or card check, each refused with its own code and the group and line.
 *
 * Secrets: share data is never echoed in a message, and parsing wipes the buffers it made.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { CeremonyError } from '../errors.js';
import { bytesToSymbols, encodeBase32, encodedLength, groupCheck, MAX_GROUPS, symbolsToBytes, symbolsToText, symbolValue } from './alphabet.js';
import { isShamirAlgorithm, SECRET_LENGTH, type ShamirAlgorithm } from './keys.js';

export const SHARE_CARD_VERSION = 1;
export const SHARE_CARD_TITLE = 'TUF-CEREMONY SHARE CARD';
/** Size cap of a typed card (a real one is under 1 KB). */
export const SHARE_CARD_MAX_BYTES = 8192;
/** Data characters per group (each group then gets one check character). */
export const GROUP_DATA = 4;
export const GROUPS_PER_LINE = 4;
export const LABEL_MAX = 128;

export interface ShareCard {
  version: typeof SHARE_CARD_VERSION;
  /** 8 Crockford characters, upper case, without the hyphen. */
  splitId: string;
  /** The library's x-coordinate: the last byte of `share`, 1–255. */
  index: number;
  /** M: cards needed. */
  threshold: number;
  /** N: cards made. */
  shares: number;
  algorithm: ShamirAlgorithm;
  /** Lower-case hex SHA-256 of the public key's SPKI DER. */
  fingerprint: string;
  label: string | undefined;
  rehearsal: boolean;
  /** The library's share bytes, verbatim. Secret: wipe with `wipeShareCard` when done. */
  share: Uint8Array;
}

export interface ParseShareCardOptions {
  /** Where the card came from (a file name), named in refusals. */
  source?: string;
  maxBytes?: number;
}

function refuse(code: 'SHARE_FORMAT' | 'SHARE_CHARACTER' | 'SHARE_CHECKSUM' | 'SHARE_CARD_CHECKSUM' | 'SHARE_VERSION_UNSUPPORTED' | 'SHARE_INVALID', message: string, source?: string): never {
  throw new CeremonyError(code, message, source ? { path: source } : {});
}

/** Overwrite a card's share bytes with zeros. */
export function wipeShareCard(card: ShareCard): void {
  card.share.fill(0);
}

// --- field spellings (shared by the writer and the reader) ---

export function formatSplitId(id: string): string {
  return `${id.slice(0, 4)}-${id.slice(4)}`;
}

/** A split ID as typed: tolerant of case, hyphens, spaces, O/I/L; undefined unless 8 alphabet characters. */
export function normalizeSplitId(text: string): string | undefined {
  const compact = text.replace(/[\s-]+/g, '');
  if (compact.length !== 8) return undefined;
  let out = '';
  for (const ch of compact) {
    const v = symbolValue(ch);
    if (v < 0) return undefined;
    out += symbolsToText(Uint8Array.of(v));
  }
  return out;
}

/** A fingerprint as typed: 64 hex digits, tolerant of case, spaces, hyphens and colons. */
export function normalizeFingerprint(text: string): string | undefined {
  const compact = text.replace(/[\s:-]+/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(compact) ? compact : undefined;
}

export function formatFingerprint(fp: string): string {
  return fp.match(/.{8}/g)!.join(' ');
}

/** Labels are printable ASCII, internal whitespace collapsed; no line breaks (they would split fields). */
export function normalizeLabel(text: string): string | undefined {
  const s = text.trim().replace(/\s+/g, ' ');
  if (s.length === 0 || s.length > LABEL_MAX || !/^[\x20-\x7e]+$/.test(s)) return undefined;
  return s;
}

// --- card check ---

const encoder = new TextEncoder();

/**
 * The card check: the first 40 bits of SHA-256 over every field (domain-separated, one field a line,
 * the share bytes last), in Crockford base32. Binds the header to the share data, so an edited header
 * (M, N, index, fingerprint, label, split, rehearsal) or a group that slipped past its check is refused.
 */
export function cardCheck(card: Omit<ShareCard, 'version'> & { version?: number }): string {
  const header =
    `tuf-ceremony share card v${SHARE_CARD_VERSION}\n` +
    `split:${card.splitId}\nindex:${card.index}\nthreshold:${card.threshold}\nshares:${card.shares}\n` +
    `algorithm:${card.algorithm}\nfingerprint:${card.fingerprint}\nlabel:${card.label ?? ''}\n` +
    `rehearsal:${card.rehearsal ? 'yes' : 'no'}\nshare:\n`;
  const digest = sha256.create().update(encoder.encode(header)).update(card.share).digest();
  const check = encodeBase32(digest.subarray(0, 5));
  digest.fill(0);
  return check;
}

// --- semantic checks (also for cards made in memory) ---

/**
 * Everything a card must satisfy besides its checksums. Used on parsed cards, on cards made by
 * `makeShareCard`, and again before combining (a caller may hand in objects it built itself).
 */
export function assertValidCard(card: ShareCard, source?: string): void {
  const where = source;
  if (card.version !== SHARE_CARD_VERSION) refuse('SHARE_VERSION_UNSUPPORTED', `share card version ${String(card.version)} is not supported (this tool reads version ${SHARE_CARD_VERSION})`, where);
  if (typeof card.splitId !== 'string' || normalizeSplitId(card.splitId) !== card.splitId) refuse('SHARE_INVALID', 'the split ID is not 8 card characters', where);
  if (!isShamirAlgorithm(card.algorithm)) refuse('SHARE_INVALID', 'the key algorithm is not one a share card may carry', where);
  if (typeof card.fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(card.fingerprint)) refuse('SHARE_INVALID', 'the fingerprint is not 64 lower-case hex digits', where);
  if (card.label !== undefined && normalizeLabel(card.label) !== card.label) refuse('SHARE_INVALID', `the label is not 1–${LABEL_MAX} printable ASCII characters`, where);
  if (typeof card.rehearsal !== 'boolean') refuse('SHARE_INVALID', 'the rehearsal mark is not a boolean', where);
  const M = card.threshold;
  const N = card.shares;
  if (!Number.isSafeInteger(M) || !Number.isSafeInteger(N) || M < 2 || N > 255 || M > N) {
    refuse('SHARE_INVALID', `threshold ${M} of ${N} is impossible: it must be at least 2, and at most the number of cards (at most 255)`, where);
  }
  if (!Number.isSafeInteger(card.index) || card.index < 1 || card.index > 255) refuse('SHARE_INVALID', `share index ${card.index} is outside 1–255`, where);
  if (!(card.share instanceof Uint8Array) || card.share.length !== SECRET_LENGTH[card.algorithm] + 1) {
    refuse('SHARE_INVALID', `the share data of a ${card.algorithm} card is ${SECRET_LENGTH[card.algorithm] + 1} bytes`, where);
  }
  if (card.share[card.share.length - 1] !== card.index) {
    refuse('SHARE_INVALID', `the share index ${card.index} on the card is not the index inside its share data`, where);
  }
}

/** A card around a share the library made (ours or anyone's): validated, share bytes copied. */
export function makeShareCard(fields: Omit<ShareCard, 'version' | 'index' | 'label' | 'rehearsal'> & { label?: string | undefined; rehearsal?: boolean }): ShareCard {
  const card: ShareCard = {
    version: SHARE_CARD_VERSION,
    splitId: fields.splitId,
    index: fields.share[fields.share.length - 1] ?? 0,
    threshold: fields.threshold,
    shares: fields.shares,
    algorithm: fields.algorithm,
    fingerprint: fields.fingerprint,
    label: fields.label,
    rehearsal: fields.rehearsal ?? false,
    share: Uint8Array.from(fields.share),
  };
  try {
    assertValidCard(card);
  } catch (err) {
    wipeShareCard(card);
    throw err;
  }
  return card;
}

// --- writing ---

export interface ShareLayout {
  /** Data characters in total. */
  dataChars: number;
  /** Data characters per group, in order (the last may be shorter). */
  groups: number[];
  lines: number;
}

export function layoutFor(algorithm: ShamirAlgorithm): ShareLayout {
  const dataChars = encodedLength(SECRET_LENGTH[algorithm] + 1);
  const groups: number[] = [];
  for (let left = dataChars; left > 0; left -= GROUP_DATA) groups.push(Math.min(GROUP_DATA, left));
  if (groups.length > MAX_GROUPS) throw new RangeError('share too long for the group tags');
  return { dataChars, groups, lines: Math.ceil(groups.length / GROUPS_PER_LINE) };
}

/**
 * The share data as lines of groups (each group's check character last). These strings are secret; they
 * exist for printing and are not kept.
 */
export function shareDataLines(card: ShareCard): string[][] {
  const symbols = bytesToSymbols(card.share);
  try {
    const { groups } = layoutFor(card.algorithm);
    const lines: string[][] = [];
    let at = 0;
    groups.forEach((n, g) => {
      const check = groupCheck(symbols, at, at + n, g);
      const text = symbolsToText(symbols.subarray(at, at + n)) + symbolsToText(Uint8Array.of(check));
      at += n;
      if (g % GROUPS_PER_LINE === 0) lines.push([]);
      lines[lines.length - 1]!.push(text);
    });
    return lines;
  } finally {
    symbols.fill(0);
  }
}

export interface CardHeaderField {
  name: string;
  value: string;
}

/** The header fields as the typed form writes them (for the printed card, too). */
export function headerFields(card: ShareCard): CardHeaderField[] {
  const fields: CardHeaderField[] = [
    { name: 'version', value: String(card.version) },
    { name: 'split', value: formatSplitId(card.splitId) },
    { name: 'share index', value: String(card.index) },
    { name: 'threshold', value: `${card.threshold} of ${card.shares}` },
    { name: 'algorithm', value: card.algorithm },
    { name: 'fingerprint', value: formatFingerprint(card.fingerprint) },
  ];
  if (card.label !== undefined) fields.push({ name: 'label', value: card.label });
  if (card.rehearsal) fields.push({ name: 'rehearsal', value: 'yes' });
  return fields;
}

/** The typed form (see the file comment): what card files and QR codes hold. Secret. */
export function formatShareCard(card: ShareCard): string {
  assertValidCard(card);
  const out = [SHARE_CARD_TITLE, ...headerFields(card).map((f) => `${f.name}: ${f.value}`), 'share data:'];
  shareDataLines(card).forEach((groups, i) => out.push(`${i + 1}: ${groups.join(' ')}`));
  out.push(`card check: ${formatSplitId(cardCheck(card))}`);
  return out.join('\n') + '\n';
}

// --- reading (untrusted: size cap → text → fields → share data → checks → semantics) ---

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const HEADER_KEYS = ['version', 'split', 'share index', 'threshold', 'algorithm', 'fingerprint', 'label', 'rehearsal'] as const;
type HeaderKey = (typeof HEADER_KEYS)[number];
const REQUIRED: readonly HeaderKey[] = ['version', 'split', 'share index', 'threshold', 'algorithm', 'fingerprint'];

function fieldKey(line: string): { key: string; value: string } | undefined {
  const m = /^([A-Za-z][A-Za-z -]{0,23}?)\s*:\s*(.*)$/.exec(line);
  if (!m) return undefined;
  return { key: m[1]!.toLowerCase().replace(/[\s-]+/g, ' ').trim(), value: m[2]!.trim() };
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}

/**
 * Parse a typed (or scanned) share card. Refusals: INPUT_TOO_LARGE, SHARE_VERSION_UNSUPPORTED,
 * SHARE_FORMAT (layout, fields, lengths), SHARE_CHARACTER (a character outside the alphabet),
 * SHARE_CHECKSUM (a group's check character: names every group and line that fails),
 * SHARE_CARD_CHECKSUM (the card check), SHARE_INVALID (values that cannot be: M > N, index mismatch).
 * No refusal quotes the card's text, which may be share data wherever the layout went wrong: they name
 * the line, group and character position, and what was expected there.
 */
export function parseShareCard(input: string | Uint8Array, opts: ParseShareCardOptions = {}): ShareCard {
  const src = opts.source;
  const maxBytes = opts.maxBytes ?? SHARE_CARD_MAX_BYTES;
  let text: string;
  if (typeof input === 'string') {
    // Cap before any work: UTF-8 length ≥ UTF-16 length, so the cheap check first.
    let size = input.length;
    if (size <= maxBytes) {
      const utf8 = encoder.encode(input);
      size = utf8.length;
      utf8.fill(0);
    }
    if (size > maxBytes) throw new CeremonyError('INPUT_TOO_LARGE', `the card is ${size} bytes, over the cap of ${maxBytes}`, src ? { path: src } : {});
    text = input;
  } else {
    if (input.length > maxBytes) throw new CeremonyError('INPUT_TOO_LARGE', `the card is ${input.length} bytes, over the cap of ${maxBytes}`, src ? { path: src } : {});
    try {
      text = decoder.decode(input);
    } catch {
      refuse('SHARE_FORMAT', 'the card is not UTF-8 text', src);
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const lines = text
    .split(/\r\n|\r|\n/)
    .map((l, i) => ({ text: l.trim(), no: i + 1 }))
    .filter((l) => l.text.length > 0);
  if (lines.length === 0 || lines[0]!.text.replace(/[\s-]+/g, ' ').toUpperCase() !== SHARE_CARD_TITLE.replace(/-/g, ' ')) {
    refuse('SHARE_FORMAT', `this is not a share card: the first line must be "${SHARE_CARD_TITLE}"`, src);
  }

  // The version first, so a future format is refused as such and not as a pile of unknown fields.
  const versionLine = lines.find((l) => fieldKey(l.text)?.key === 'version');
  if (!versionLine) refuse('SHARE_FORMAT', 'the card has no "version:" line', src);
  const versionText = fieldKey(versionLine.text)!.value;
  if (!/^\d{1,6}$/.test(versionText)) refuse('SHARE_FORMAT', 'the "version:" line must hold a number', src);
  if (Number(versionText) !== SHARE_CARD_VERSION) {
    refuse('SHARE_VERSION_UNSUPPORTED', `share card version ${Number(versionText)} is not supported (this tool reads version ${SHARE_CARD_VERSION})`, src);
  }

  // Header fields, up to "share data:".
  const header = new Map<HeaderKey, string>();
  let i = 1;
  for (; i < lines.length; i++) {
    const { text: line, no } = lines[i]!;
    const f = fieldKey(line);
    if (f?.key === 'share data') {
      if (f.value !== '') refuse('SHARE_FORMAT', `text line ${no}: the share data starts on the line after "share data:"`, src);
      break;
    }
    if (!f) refuse('SHARE_FORMAT', `text line ${no} is not a "name: value" field (is the "share data:" line missing?)`, src);
    if (f.key === 'card check') refuse('SHARE_FORMAT', `text line ${no}: "card check:" comes after the share data, and the "share data:" line is missing`, src);
    // Never quote the name (review 15b L1): without the "share data:" line a data line whose first groups
    // are letters and end in ':' reads as a field, and its "name" is share data. Say where, and what may come.
    if (!(HEADER_KEYS as readonly string[]).includes(f.key)) {
      const expected = [...HEADER_KEYS.filter((k) => !header.has(k)).map((k) => `"${k}:"`), '"share data:"'].join(', ');
      refuse('SHARE_FORMAT', `text line ${no} is not a field of a share card (the fields still expected here: ${expected}): a misspelt field name, or is the "share data:" line missing?`, src);
    }
    const key = f.key as HeaderKey;
    if (header.has(key)) refuse('SHARE_FORMAT', `text line ${no}: the field "${key}" appears twice`, src);
    header.set(key, f.value);
  }
  if (i >= lines.length) refuse('SHARE_FORMAT', 'the card has no "share data:" line', src);
  for (const key of REQUIRED) if (!header.has(key)) refuse('SHARE_FORMAT', `the card has no "${key}:" line`, src);

  const splitId = normalizeSplitId(header.get('split')!);
  if (!splitId) refuse('SHARE_FORMAT', 'the split ID must be 8 card characters (like 7KQ4-M2XA)', src);
  const indexText = header.get('share index')!;
  if (!/^\d{1,3}$/.test(indexText)) refuse('SHARE_FORMAT', 'the share index must be a number from 1 to 255', src);
  const mn = /^(\d{1,3})\s*of\s*(\d{1,3})$/i.exec(header.get('threshold')!);
  if (!mn) refuse('SHARE_FORMAT', 'the threshold must read "M of N", like "3 of 5"', src);
  const algorithm = header.get('algorithm')!.toLowerCase();
  if (!isShamirAlgorithm(algorithm)) refuse('SHARE_FORMAT', 'the algorithm must be ed25519, ecdsa-p256 or ecdsa-p384', src);
  const fingerprint = normalizeFingerprint(header.get('fingerprint')!);
  if (!fingerprint) refuse('SHARE_FORMAT', 'the fingerprint must be 64 hex digits', src);
  let label: string | undefined;
  if (header.has('label')) {
    label = normalizeLabel(header.get('label')!);
    if (label === undefined) refuse('SHARE_FORMAT', `the label must be 1–${LABEL_MAX} printable ASCII characters`, src);
  }
  let rehearsal = false;
  if (header.has('rehearsal')) {
    if (header.get('rehearsal')!.toLowerCase() !== 'yes') refuse('SHARE_FORMAT', 'the rehearsal line, when present, reads "rehearsal: yes"', src);
    rehearsal = true;
  }

  // Share data lines, up to "card check:".
  const layout = layoutFor(algorithm);
  const dataLines: { no: number; text: string }[] = [];
  let checkText: string | undefined;
  for (i++; i < lines.length; i++) {
    const { text: line, no } = lines[i]!;
    const f = fieldKey(line);
    if (f?.key === 'card check') {
      checkText = f.value;
      if (i !== lines.length - 1) refuse('SHARE_FORMAT', `text line ${no}: "card check:" must be the last line`, src);
      break;
    }
    if (f) refuse('SHARE_FORMAT', `text line ${no}: a field inside the share data (is a share data line missing its number, or the "card check:" line misspelt?)`, src);
    const m = /^(\d{1,2})\s*[:.)]\s*(.*)$/.exec(line);
    const lineNo = dataLines.length + 1;
    if (m) {
      if (Number(m[1]) !== lineNo) refuse('SHARE_FORMAT', `share data line ${lineNo} is numbered ${Number(m[1])}: a line is missing or out of order`, src);
      dataLines.push({ no: lineNo, text: m[2]! });
    } else {
      dataLines.push({ no: lineNo, text: line });
    }
    if (dataLines.length > layout.lines) break;
  }
  if (dataLines.length !== layout.lines) {
    refuse('SHARE_FORMAT', `the share data of a ${algorithm} card has ${layout.lines} lines; this card has ${dataLines.length > layout.lines ? 'more' : dataLines.length}`, src);
  }
  if (checkText === undefined) refuse('SHARE_FORMAT', 'the card has no "card check:" line after the share data', src);

  const symbols = new Uint8Array(layout.dataChars);
  const checks = new Uint8Array(layout.groups.length);
  let share: Uint8Array | undefined;
  try {
    // Characters and lengths, line by line; group boundaries from the layout (spacing is optional).
    let g = 0;
    let at = 0;
    for (const { no, text: lineText } of dataLines) {
      const groupsHere = layout.groups.slice(g, g + GROUPS_PER_LINE);
      const want = groupsHere.reduce((a, n) => a + n + 1, 0);
      const compact = lineText.replace(/[\s-]+/g, '');
      if (compact.length !== want) {
        // Locate by the typed spacing when it has the right number of groups.
        const tokens = lineText.split(/[\s-]+/).filter((t) => t.length > 0);
        if (tokens.length === groupsHere.length) {
          const bad = tokens.findIndex((t, k) => t.length !== groupsHere[k]! + 1);
          if (bad >= 0) {
            const n = groupsHere[bad]! + 1;
            refuse('SHARE_FORMAT', `group ${bad + 1} of line ${no} has ${tokens[bad]!.length} characters, it should have ${n}: a character is ${tokens[bad]!.length < n ? 'missing' : 'extra'}`, src);
          }
        }
        refuse('SHARE_FORMAT', `line ${no} of the share data has ${compact.length} characters, it should have ${want}: a character is ${compact.length < want ? 'missing' : 'extra'}`, src);
      }
      let p = 0;
      for (let k = 0; k < groupsHere.length; k++, g++) {
        const n = groupsHere[k]!;
        for (let c = 0; c <= n; c++, p++) {
          const v = symbolValue(compact[p]!);
          if (v < 0) refuse('SHARE_CHARACTER', `the ${ordinal(c + 1)} character of group ${k + 1} of line ${no} is not a card character (0–9 and A–Z without I, L, O, U)`, src);
          if (c < n) symbols[at + c] = v;
          else checks[g] = v;
        }
        at += n;
      }
    }

    // Group checks: name every group that fails, so one look at the paper finds them all.
    const failed: string[] = [];
    at = 0;
    layout.groups.forEach((n, gi) => {
      if (groupCheck(symbols, at, at + n, gi) !== checks[gi]) failed.push(`group ${(gi % GROUPS_PER_LINE) + 1} of line ${Math.floor(gi / GROUPS_PER_LINE) + 1}`);
      at += n;
    });
    if (failed.length === 1) refuse('SHARE_CHECKSUM', `${failed[0]} has a typing mistake: compare it with the card`, src);
    if (failed.length > 1) refuse('SHARE_CHECKSUM', `${failed.length} groups have typing mistakes: ${failed.join(', ')}; compare them with the card`, src);

    share = symbolsToBytes(symbols, SECRET_LENGTH[algorithm] + 1);
    if (!share) refuse('SHARE_FORMAT', `the last group of line ${layout.lines} is not a valid ending of the share data`, src);

    const cardCheckTyped = normalizeSplitId(checkText);
    if (!cardCheckTyped) refuse('SHARE_FORMAT', 'the card check must be 8 card characters (like ABCD-EFGH)', src);

    const card: ShareCard = {
      version: SHARE_CARD_VERSION,
      splitId,
      index: Number(indexText),
      threshold: Number(mn[1]),
      shares: Number(mn[2]),
      algorithm,
      fingerprint,
      label,
      rehearsal,
      share,
    };
    if (cardCheck(card) !== cardCheckTyped) {
      refuse(
        'SHARE_CARD_CHECKSUM',
        'the card check does not match: the share data passed its group checks, so a header line (split, share index, threshold, algorithm, fingerprint, label, rehearsal) or the card check line differs from the card: mistyped, or edited',
        src,
      );
    }
    assertValidCard(card, src);
    return card;
  } catch (err) {
    share?.fill(0);
    throw err;
  } finally {
    symbols.fill(0);
    checks.fill(0);
  }
}
