/**
 * The Shamir screen's and the Co-sign screen's share-card work (PRODUCT.md §2.2, §2.4): thin, over
 * src/shamir (parse, roll-call, checkCardSet, withReconstructedKey) and src/rotation
 * (signRequestWithShareCards, mergeResponses), with the output folder injected. Mirrors
 * `tuf-ceremony shamir check | combine --verify-only` and `sign --share-card` (src/cli/shamir.ts,
 * src/cli/sign.ts), refusal codes included.
 *
 * - Roll-call: one card, typed or opened, parsed and checked (group checks, card check, version, and the
 *   expected split / key when given) without rebuilding anything.
 * - Cards as a set, as they are entered: one split, consistent headers, no duplicates, how many more are
 *   needed ("1 of 2 cards, need 1 more"); for co-signing, also whose key of the request they are — all
 *   before anything is rebuilt.
 * - Verify: rebuild the key in memory, compare it with the fingerprint the cards record, wipe it. The
 *   key is never exported, returned or shown.
 * - Co-sign: the set checked against the request's signers BEFORE the key is rebuilt, the signature made
 *   and verified in software by the core, checked as the administrator's merge will check it, and the
 *   response written like the token path's (electron/main/rotation.ts writeOut: atomic, never over a file).
 *
 * No split here: the core splits a key it is given (splitKey) or a fresh one (generateAndSplit), and a
 * fresh key's public key must go into a root to be of any use. That happens inside the root ceremony
 * (its shamir-backup step lists the key in root.json and prints the cards), so the screen explains that
 * instead of inventing a flow that would put a secret anywhere but printed cards.
 *
 * Secrets: card text crosses IPC once per call; ipc-handlers.ts turns it into bytes at once and lets go
 * of the string (takeCards). The bytes are zeroed after parsing, the parsed cards are wiped
 * (wipeShareCard) when the call ends, whatever happens. Views carry only a card's public fields; refusals
 * name a card by its position and source ("card 2 (typed)"), never by its content (the core's parser
 * never quotes share data). Stateless, like rotation.ts: nothing secret is kept between calls.
 */
import { CeremonyError, isCeremonyError } from '../../src/errors.js';
import { groupHex } from '../../src/crypto/digest-words.js';
import { keyIdsFor, mergeResponses, serializeSignatureResponse, signRequestWithShareCards, signerScope, type SigningRequest } from '../../src/rotation/index.js';
import { checkCardSet, formatSplitId, parseShareCard, rollCall as coreRollCall, wipeShareCard, withReconstructedKey, type CardSetSummary, type ShareCard } from '../../src/shamir/index.js';
import type {
  NamedFile,
  RotationSignerSide,
  ShamirCardInput,
  ShamirCardView,
  ShamirCosignView,
  ShamirExpectations,
  ShamirRollCallView,
  ShamirSetView,
  ShamirVerifyView,
} from '../shared/api-types.js';
import { openRequest, slug, writeOut, type RotationDeps } from './rotation.js';
import { fingerprintView } from './tokens.js';

/** A card as main holds it: its bytes (zeroed once parsed) and where it came from ("typed" or a file name). */
export interface EnteredCard {
  source: string;
  bytes: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * IPC card inputs → bytes, the text strings let go of at once (a JS string cannot be wiped: the parsed
 * request is the only other reference, and it is dropped here).
 */
export function takeCards(inputs: ShamirCardInput[]): EnteredCard[] {
  return inputs.map((c) => {
    if ('text' in c) {
      const bytes = encoder.encode(c.text);
      (c as { text?: string }).text = undefined;
      return { source: 'typed', bytes };
    }
    return { source: c.file.name, bytes: c.file.bytes };
  });
}

function wipeEntered(cards: readonly EnteredCard[]): void {
  for (const c of cards) c.bytes.fill(0);
}

function wipeAll(cards: readonly ShareCard[]): void {
  for (const c of cards) wipeShareCard(c);
}

/** "card 2 (typed)", "card 1 (share-card-1-of-3.txt)": how refusals name a card — by position, never by content. */
function cardName(position: number, source: string): string {
  return `card ${position} (${source})`;
}

/** The same refusal, its message prefixed with the card it is about; the path points at the card's field. */
function aboutCard(err: unknown, name: string, path: string): unknown {
  if (!isCeremonyError(err)) return err;
  // CeremonyError appends " (at PATH)" to its message: drop the old one, the new path is appended instead.
  const suffix = err.path ? ` (at ${err.path})` : '';
  const message = suffix && err.message.endsWith(suffix) ? err.message.slice(0, -suffix.length) : err.message;
  return new CeremonyError(err.code, `${name}: ${message}`, { path, cause: err });
}

/**
 * Parse every card, in order (src/shamir/card.ts: size cap → text → fields → share data → group checks →
 * card check → semantics). The first refusal names its card; cards parsed before it are wiped. The
 * entered bytes are zeroed either way.
 */
export function parseCards(entered: readonly EnteredCard[], path = '$.cards'): ShareCard[] {
  const cards: ShareCard[] = [];
  try {
    entered.forEach((e, i) => {
      try {
        cards.push(parseShareCard(e.bytes));
      } catch (err) {
        throw aboutCard(err, cardName(i + 1, e.source), `${path}[${i}]`);
      }
    });
    return cards;
  } catch (err) {
    wipeAll(cards);
    throw err;
  } finally {
    wipeEntered(entered);
  }
}

/** A card's public fields: never its share data. */
export function cardView(card: Pick<ShareCard, 'splitId' | 'index' | 'threshold' | 'shares' | 'algorithm' | 'fingerprint' | 'label' | 'rehearsal'>, position: number, source: string): ShamirCardView {
  const v: ShamirCardView = {
    position,
    source,
    splitId: formatSplitId(card.splitId),
    index: card.index,
    threshold: card.threshold,
    shares: card.shares,
    algorithm: card.algorithm,
    fingerprint: fingerprintView(card.fingerprint),
    rehearsal: card.rehearsal,
  };
  if (card.label !== undefined) v.label = card.label;
  return v;
}

function expectationsOf(expected: ShamirExpectations | undefined): { splitId?: string; fingerprint?: string } {
  const out: { splitId?: string; fingerprint?: string } = {};
  if (expected?.splitId !== undefined && expected.splitId.trim() !== '') out.splitId = expected.splitId;
  if (expected?.fingerprint !== undefined && expected.fingerprint.trim() !== '') out.fingerprint = expected.fingerprint;
  return out;
}

// --- roll-call ----------------------------------------------------------------------------------------

/** One card checked without rebuilding anything (as `tuf-ceremony shamir check`). */
export function rollCall(req: { card: EnteredCard; expected?: ShamirExpectations | undefined }): ShamirRollCallView {
  const want = expectationsOf(req.expected);
  const { source, bytes } = req.card;
  let r;
  try {
    // The core parses, checks the expectations, and wipes the share it parsed.
    r = coreRollCall(bytes, want);
  } catch (err) {
    throw aboutCard(err, cardName(1, source), isCeremonyError(err) && err.code === 'USAGE' ? '$.expected' : '$.card');
  } finally {
    bytes.fill(0);
  }
  const card = cardView(r, 1, source);
  return {
    card,
    checked: { split: want.splitId !== undefined, fingerprint: want.fingerprint !== undefined },
    status: `valid card: share ${r.index} of split ${card.splitId} (any ${r.threshold} of ${r.shares} cards${r.rehearsal ? ', REHEARSAL' : ''}); nothing was rebuilt`,
  };
}

// --- a set of cards, as it is entered -----------------------------------------------------------------

/** Whose key of the request a fingerprint is, or ROTATION_SIGNER_UNKNOWN (nothing rebuilt). As rotation.ts checkSigner. */
function signerOf(request: SigningRequest, fingerprint: string): { name: string; keyids: string[]; from: RotationSignerSide } {
  const ids = keyIdsFor(request, fingerprint);
  if (ids.length === 0) {
    throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `the share cards are of key ${groupHex(fingerprint.slice(0, 16))}, which is ${signerScope(request)}: it has nothing to sign here (nothing was rebuilt)`, { path: '$.cards' });
  }
  const expected = request.expectedSigners.filter((s) => ids.includes(s.keyid));
  const sides = new Set(expected.map((s) => s.from));
  const from: RotationSignerSide = sides.has('targets') ? 'targets' : sides.has('both') || (sides.has('previous') && sides.has('new')) ? 'both' : sides.has('new') ? 'new' : 'previous';
  return { name: expected[0]?.name ?? `key ${ids[0]!.slice(0, 8)}`, keyids: ids, from };
}

/**
 * The set's checks short of the threshold: mixed splits, disagreeing headers, duplicates (checkCardSet's
 * order and codes); too few is not a refusal while cards are still being entered, only a count.
 */
function setSummary(cards: readonly ShareCard[]): { summary: CardSetSummary; more: number } {
  try {
    return { summary: checkCardSet(cards), more: 0 };
  } catch (err) {
    // checkCardSet refuses "too few" last, after every other check passed: the set is sound so far.
    if (!isCeremonyError(err) || err.code !== 'SHARE_TOO_FEW' || cards.length === 0) throw err;
    const first = cards[0]!;
    const summary: CardSetSummary = {
      splitId: first.splitId,
      threshold: first.threshold,
      shares: first.shares,
      algorithm: first.algorithm,
      fingerprint: first.fingerprint,
      label: first.label,
      rehearsal: first.rehearsal,
      indexes: cards.map((c) => c.index),
    };
    return { summary, more: first.threshold - cards.length };
  }
}

export function checkCards(req: { cards: EnteredCard[]; request?: NamedFile | undefined }): ShamirSetView {
  const sources = req.cards.map((c) => c.source);
  const cards = parseCards(req.cards);
  try {
    const { summary, more } = setSummary(cards);
    const n = cards.length;
    const M = summary.threshold;
    const splitId = formatSplitId(summary.splitId);
    const view: ShamirSetView = {
      cards: cards.map((c, i) => cardView(c, i + 1, sources[i]!)),
      splitId,
      threshold: M,
      shares: summary.shares,
      algorithm: summary.algorithm,
      fingerprint: fingerprintView(summary.fingerprint),
      rehearsal: summary.rehearsal,
      more,
      complete: more === 0,
      status: more > 0 ? `${n} of ${M} cards, need ${more} more` : `${n} of ${M} cards: enough to rebuild the key`,
    };
    if (summary.label !== undefined) view.label = summary.label;
    if (req.request) view.signer = signerOf(openRequest(req.request), summary.fingerprint);
    return view;
  } finally {
    wipeAll(cards);
  }
}

// --- verify -------------------------------------------------------------------------------------------

/** Rebuild, compare with the recorded fingerprint, wipe (as `tuf-ceremony shamir combine --verify-only`). */
export async function verify(req: { cards: EnteredCard[]; expected?: ShamirExpectations | undefined }): Promise<ShamirVerifyView> {
  const cards = parseCards(req.cards);
  try {
    // SHARE_KEY_MISMATCH when the rebuilt key's fingerprint is not the recorded one; the key is zeroed when the callback settles.
    const r = await withReconstructedKey(cards, (key) => ({ fingerprint: key.fingerprint, algorithm: key.algorithm, splitId: key.splitId }), expectationsOf(req.expected));
    const splitId = formatSplitId(r.splitId);
    return {
      match: true,
      splitId,
      algorithm: r.algorithm,
      fingerprint: fingerprintView(r.fingerprint),
      indexes: cards.map((c) => c.index),
      status: `${cards.length} cards of split ${splitId} rebuild the ${r.algorithm} key they record: the fingerprint matches; the key was wiped from memory`,
    };
  } finally {
    wipeAll(cards);
  }
}

// --- co-sign ------------------------------------------------------------------------------------------

export interface CosignInput {
  request: NamedFile;
  confirmedSha256: string;
  cards: EnteredCard[];
}

export async function cosign(req: CosignInput, deps: Pick<RotationDeps, 'chooseOutputDir'>): Promise<ShamirCosignView> {
  let cards: ShareCard[] = [];
  try {
    const request = openRequest(req.request);
    if (req.confirmedSha256 !== request.payloadSha256) {
      // As the token path: what was confirmed is not what would be signed.
      throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `the bytes to sign have short hash ${groupHex(request.payloadSha256.slice(0, 16))}, not the one confirmed on screen: nothing was signed (no card was used)`, {
        path: '$.confirmedSha256',
      });
    }
    cards = parseCards(req.cards);
    // Before anything is rebuilt: one sound set, enough cards, and a key this request has a use for.
    const set = checkCardSet(cards);
    const signer = signerOf(request, set.fingerprint);
    // Rebuilt, checked against the cards' fingerprint, signed under every key ID that lists the key and
    // verified in software by the core; the key is wiped when signing settles.
    const { response, fingerprint } = await signRequestWithShareCards(request, cards, { name: signer.name });
    // Checked as the administrator's merge will check it, before it is written.
    const check = mergeResponses(request, [response]);
    const bytes = serializeSignatureResponse(response);
    const written = await writeOut(deps, 'rotation', `${slug(response.signer.name)}.response-v${request.root.version}-${request.requestId.slice(0, 8)}.json`, bytes);
    return { written, signer: { name: response.signer.name }, keyids: response.signatures.map((s) => s.keyid), status: check.status, rehearsal: set.rehearsal, fingerprint: fingerprintView(fingerprint) };
  } finally {
    wipeEntered(req.cards);
    wipeAll(cards);
  }
}
