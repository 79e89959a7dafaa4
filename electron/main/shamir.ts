/**
 * The Shamir screen's and the Co-sign screen's share-card work (PRODUCT.md §2.2, §2.4): thin, over
 * src/shamir (parse, roll-call, checkCardSet, withReconstructedKey) and src/rotation
 * (signRequestWithShareCards, mergeResponses), with the output folder injected. Mirrors
 * `tuf-ceremony shamir check | combine --verify-only` and `sign --share-card` (src/cli/shamir.ts,
 * src/cli/sign.ts), refusal codes included.
 *
 * - Roll-call: one card, typed or opened, parsed and checked (group checks, card check, version, and the
 *   expected split / key when given) without rebuilding anything.
 * - A set of cards, entered one by one and held HERE, not in the renderer (the least trusted process):
 *   `add` parses one card into wipeable bytes and keeps it under a random 128-bit set handle; the
 *   renderer holds only the handle and the set's public view (one split, consistent headers, no
 *   duplicates, "1 of 2 cards, need 1 more"; for co-signing, whose key of the request they are). A card
 *   the set refuses is wiped and nothing of it is kept. A set left idle for 15 minutes is wiped; at most 4
 *   live sets (a fifth wipes the least recently used one).
 * - Verify: the set's cards rebuild the key in memory, it is compared with the fingerprint the cards
 *   record and wiped. The key is never exported, returned or shown. The set is wiped whatever happens.
 * - Co-sign: the set checked against the request's signers BEFORE the key is rebuilt, the signature made
 *   and verified in software by the core, checked as the administrator's merge will check it, and the
 *   response written like the token path's (electron/main/rotation.ts writeOut: atomic, never over a file).
 *   The set is wiped whatever happens.
 *
 * No split here: the core splits a key it is given (splitKey) or a fresh one (generateAndSplit), and a
 * fresh key's public key must go into a root to be of any use. That happens inside the root ceremony
 * (its shamir-backup step lists the key in root.json and prints the cards), so the screen explains that
 * instead of inventing a flow that would put a secret anywhere but printed cards.
 *
 * Secrets: each card crosses IPC once, in the call that adds it (or in the roll-call). What can be wiped
 * is wiped: a card file's bytes are zeroed once parsed, typed text is encoded to bytes that are zeroed
 * once parsed, and the parsed cards' share bytes (wipeShareCard) when the set is used, cleared, expires
 * or refuses the card. What cannot: a JS string is immutable and cannot be zeroed — the typed text in the
 * IPC payload lives until the garbage collector takes it (takeCard only drops the references main holds).
 * Views carry only a card's public fields; refusals name a card by its position and source
 * ("card 2 (typed)"), never by its content (the core's parser never quotes share data).
 */
import { randomBytes } from 'node:crypto';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../../src/errors.js';
import { groupHex, SHORT_DIGEST_BYTES } from '../../src/crypto/digest-words.js';
import { keyIdsFor, mergeResponses, partSignedBy, signRequestWithShareCards, signerScope, type SigningRequest } from '../../src/rotation/index.js';
import { checkCardSet, formatSplitId, parseShareCard, rollCall as coreRollCall, wipeShareCard, withReconstructedKey, type CardSetSummary, type ShareCard } from '../../src/shamir/index.js';
import type {
  NamedFile,
  RotationSignerSide,
  ShamirCardInput,
  ShamirCardView,
  ShamirClearView,
  ShamirCosignView,
  ShamirExpectations,
  ShamirRollCallView,
  ShamirSetView,
  ShamirVerifyView,
} from '../shared/api-types.js';
import { coSignSessionOf, openRequest, responseFileOf, signsView, writeOutWithTranscript, type RotationDeps } from './rotation.js';
import { startCoSignSession } from '../../src/rotation/session-transcripts.js';
import { fingerprintView } from './tokens.js';

/** A card as main holds it: its bytes (zeroed once parsed) and where it came from ("typed" or a file name). */
export interface EnteredCard {
  source: string;
  bytes: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * An IPC card input → bytes main can zero. A card file's bytes are the payload's own array (zeroed once
 * parsed). Typed text is encoded to new bytes and the parsed request's reference to the string is
 * dropped; the string itself cannot be wiped (JS strings are immutable; the raw IPC payload still refers
 * to it until the call returns, and the garbage collector frees it some time later).
 */
export function takeCard(input: ShamirCardInput): EnteredCard {
  if ('text' in input) {
    const bytes = encoder.encode(input.text);
    (input as { text?: string }).text = undefined;
    return { source: 'typed', bytes };
  }
  return { source: input.file.name, bytes: input.file.bytes };
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
  return new CeremonyError(err.code, `${name}: ${messageWithoutPath(err)}`, { path, cause: err });
}

/**
 * Parse one card (src/shamir/card.ts: size cap → text → fields → share data → group checks → card check →
 * semantics); a refusal names the card by its position and source. The entered bytes are zeroed either way.
 */
export function parseCard(entered: EnteredCard, position: number, path = '$.card'): ShareCard {
  try {
    return parseShareCard(entered.bytes);
  } catch (err) {
    throw aboutCard(err, cardName(position, entered.source), path);
  } finally {
    entered.bytes.fill(0);
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

// --- a set of cards, held in main as it is entered ------------------------------------------------------

/** Whose key of the request a fingerprint is, or ROTATION_SIGNER_UNKNOWN (nothing rebuilt). As rotation.ts checkSigner. */
/**
 * Whose key the cards rebuild in this request, and the part it signs: the request itself or, for a request
 * that also revokes tags, the delegated role's file when the targets role does not list the key (partFor,
 * as the token path's checkSigner) — read from the cards' recorded fingerprint, before anything is rebuilt.
 */
function signerOf(request: SigningRequest, fingerprint: string, path: string): NonNullable<ShamirSetView['signer']> {
  const ids = keyIdsFor(request, fingerprint);
  if (ids.length === 0) {
    throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `the share cards are of key ${groupHex(fingerprint.slice(0, SHORT_DIGEST_BYTES * 2))}, which is ${signerScope(request)}: it has nothing to sign here (nothing was rebuilt)`, { path });
  }
  const part = partSignedBy(request, fingerprint);
  // The part's own signers: a key of the revoke-tags part is named by that part, not by targets.json's list.
  const expected = part.expectedSigners.filter((s) => ids.includes(s.keyid));
  const sides = new Set(expected.map((s) => s.from));
  const from: RotationSignerSide = sides.has('targets') ? 'targets' : sides.has('both') || (sides.has('previous') && sides.has('new')) ? 'both' : sides.has('new') ? 'new' : 'previous';
  return { name: expected[0]?.name ?? `key ${ids[0]!.slice(0, 8)}`, keyids: ids, from, signs: signsView(request, part) };
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

/** The public view of a set: the cards' public fields by position, the split, the count still needed. */
function setView(handle: string, cards: readonly ShareCard[], sources: readonly string[], summary: CardSetSummary, more: number): ShamirSetView {
  const n = cards.length;
  const M = summary.threshold;
  const view: ShamirSetView = {
    set: handle,
    cards: cards.map((c, i) => cardView(c, i + 1, sources[i]!)),
    splitId: formatSplitId(summary.splitId),
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
  return view;
}

/** Idle time after which a set's cards are wiped: long enough to fetch a custodian from the next room. */
export const SHARE_SET_IDLE_MS = 15 * 60 * 1000;
/** Live sets at most: one per screen that enters cards, with room for reloads that skipped their clean-up. */
export const SHARE_SET_MAX = 4;

/** The core's steps that rebuild a key from cards: injectable so a test can prove a refused set rebuilt nothing. */
export interface ShareSetCore {
  withReconstructedKey: typeof withReconstructedKey;
  signRequestWithShareCards: typeof signRequestWithShareCards;
}

export interface ShareSetStoreOptions {
  idleMs?: number;
  maxSets?: number;
  /** Milliseconds, for the idle check made on every call (each set's timer wipes it without waiting for one). */
  now?: () => number;
  core?: ShareSetCore;
}

interface HeldSet {
  handle: string;
  cards: ShareCard[];
  sources: string[];
  lastUsed: number;
  timer: ReturnType<typeof setTimeout>;
}

export interface CosignInput {
  set: string;
  request: NamedFile;
  confirmedSha256: string;
  /** Who watched (names), recorded in the response. */
  witnesses?: readonly string[] | undefined;
}

/**
 * The share cards being entered, per set handle, in main only. A handle is 128 random bits, so a page
 * cannot guess another set's; it lets the holder use the set once or clear it, never read its cards.
 */
export class ShareSetStore {
  private readonly sets = new Map<string, HeldSet>();
  private readonly idleMs: number;
  private readonly maxSets: number;
  private readonly now: () => number;
  private readonly core: ShareSetCore;

  constructor(opts: ShareSetStoreOptions = {}) {
    this.idleMs = opts.idleMs ?? SHARE_SET_IDLE_MS;
    this.maxSets = opts.maxSets ?? SHARE_SET_MAX;
    this.now = opts.now ?? (() => Date.now());
    this.core = opts.core ?? { withReconstructedKey, signRequestWithShareCards };
  }

  /**
   * Add one card: to the set `set`, or to a new set. Parsed (the entered bytes zeroed), then checked with
   * the set's cards (one split, consistent headers, no duplicate) and, with a request, against its
   * signers. A refused card is wiped and the set left as it was; a new set is kept only once its first
   * card passes.
   */
  add(req: { set?: string | undefined; card: EnteredCard; request?: NamedFile | undefined }): ShamirSetView {
    this.sweep();
    let held: HeldSet | undefined;
    try {
      held = req.set !== undefined ? this.get(req.set) : undefined;
    } catch (err) {
      req.card.bytes.fill(0);
      throw err;
    }
    const card = parseCard(req.card, (held?.cards.length ?? 0) + 1);
    const cards = [...(held?.cards ?? []), card];
    const sources = [...(held?.sources ?? []), req.card.source];
    let view: ShamirSetView;
    try {
      const { summary, more } = setSummary(cards);
      const signer = req.request ? signerOf(openRequest(req.request), summary.fingerprint, '$.card') : undefined;
      held ??= this.open();
      view = setView(held.handle, cards, sources, summary, more);
      if (signer) view.signer = signer;
    } catch (err) {
      wipeShareCard(card);
      throw err;
    }
    held.cards = cards;
    held.sources = sources;
    this.touch(held);
    return view;
  }

  /** Rebuild, compare with the recorded fingerprint, wipe (as `tuf-ceremony shamir combine --verify-only`). The set is wiped whatever happens. */
  async verify(req: { set: string; expected?: ShamirExpectations | undefined }): Promise<ShamirVerifyView> {
    const cards = this.take(req.set);
    try {
      // SHARE_TOO_FEW / SHARE_KEY_MISMATCH refuse; the key is zeroed when the callback settles.
      const r = await this.core.withReconstructedKey(cards, (key) => ({ fingerprint: key.fingerprint, algorithm: key.algorithm, splitId: key.splitId }), expectationsOf(req.expected));
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

  /** Sign a request with the key the set rebuilds; the set is wiped whatever happens. */
  async cosign(req: CosignInput, deps: Pick<RotationDeps, 'chooseOutputDir'>): Promise<ShamirCosignView> {
    const cards = this.take(req.set);
    try {
      const request = openRequest(req.request);
      // A request that also revokes tags has two byte strings to sign (src/rotation/revoke-tags.ts): the
      // one confirmed must be one of them ...
      if (req.confirmedSha256 !== request.payloadSha256 && req.confirmedSha256 !== request.revokeTags?.payloadSha256) {
        // As the token path: what was confirmed is not what would be signed.
        throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `the bytes to sign have short hash ${groupHex(request.payloadSha256.slice(0, SHORT_DIGEST_BYTES * 2))}, not the one confirmed on screen: nothing was signed (no card was used)`, {
          path: '$.confirmedSha256',
        });
      }
      // Before anything is rebuilt: one sound set, enough cards, and a key this request has a use for.
      const set = checkCardSet(cards);
      const signer = signerOf(request, set.fingerprint, '$.set');
      // ... and the one this key signs, told by the cards' recorded fingerprint: a co-signer who confirmed
      // the other part's words is refused before the key is rebuilt.
      if (signer.signs.digest.sha256 !== req.confirmedSha256) {
        const s = signer.signs;
        throw new CeremonyError(
          'ROTATION_REQUEST_TAMPERED',
          `the share cards are of a key that signs part ${s.part?.index ?? 1} of 2 (${s.file} v${s.version}, short hash ${s.digest.grouped}), not the part whose hash was confirmed on screen: nothing was signed (nothing was rebuilt)`,
          { path: '$.confirmedSha256' },
        );
      }
      // Rebuilt, checked against the cards' fingerprint, signed under every key ID that lists the key and
      // verified in software by the core; the key is wiped when signing settles.
      // The co-sign session transcript, as `tuf-ceremony sign --share-card` writes it: sealed by the rebuilt
      // key before it is wiped (whileSigned); no share is in it.
      const session = await startCoSignSession({ ...coSignSessionOf(req.request, request), signer: signer.name, witnesses: req.witnesses, witnessesLabel: 'witnesses' });
      const { response, fingerprint } = await this.core.signRequestWithShareCards(request, cards, { name: signer.name, witnesses: req.witnesses, whileSigned: session.whileSigned, confirmedSha256: req.confirmedSha256 });
      if (response.payloadSha256 !== req.confirmedSha256) {
        // Checked above before the rebuild; kept as the last word on what was signed.
        throw new CeremonyError('ROTATION_REQUEST_TAMPERED', 'the rebuilt key signed another part of the request than the bytes confirmed on screen: nothing was written', { path: '$.confirmedSha256' });
      }
      // Checked as the administrator's merge will check it, before it is written.
      const check = mergeResponses(request, [response]);
      // Named after the version being signed: root N+1, or targets N+1 for a targets request.
      const { name, bytes } = responseFileOf(request, response);
      const files = await writeOutWithTranscript(deps, 'rotation', [{ name, bytes: session.written ?? bytes }], { bytes: session.bytes(), sealKeyId: session.sealKeyId });
      return { written: files.written[0]!, transcript: files.transcript, signer: { name: response.signer.name }, witnesses: response.witnesses ?? [], keyids: response.signatures.map((s) => s.keyid), status: check.status, rehearsal: set.rehearsal, fingerprint: fingerprintView(fingerprint) };
    } finally {
      wipeAll(cards);
    }
  }

  /**
   * The set's cards, handed over for one use elsewhere (the Root ceremony's resume, which rebuilds a
   * multi-repository plan's split key from them: electron/main/ceremony.ts). The set leaves the store; it
   * must be one sound set with enough cards (checkCardSet), or it is wiped and refused. The taker wipes
   * the cards after use (the core's withReconstructedKey callers do).
   */
  claim(set: string): ShareCard[] {
    const cards = this.take(set);
    try {
      checkCardSet(cards);
      return cards;
    } catch (err) {
      wipeAll(cards);
      throw err;
    }
  }

  /** "Start again", or the screen going away: the set's cards are wiped. A handle no longer held is not an error. */
  clear(set: string): ShamirClearView {
    const held = this.sets.get(set);
    if (held) this.drop(held);
    return { cleared: held !== undefined };
  }

  /** Every set wiped (the app quitting). */
  clearAll(): void {
    for (const held of [...this.sets.values()]) this.drop(held);
  }

  /** Sets idle for the limit or longer are wiped (each set's own timer does it too). */
  sweep(): void {
    const now = this.now();
    for (const held of [...this.sets.values()]) if (now - held.lastUsed >= this.idleMs) this.drop(held);
  }

  get size(): number {
    return this.sets.size;
  }

  /** Test-only: the card objects a set holds, to check that they get wiped. Not reachable over IPC. */
  heldCardsForTest(set: string): readonly ShareCard[] | undefined {
    return this.sets.get(set)?.cards;
  }

  private get(set: string): HeldSet {
    const held = this.sets.get(set);
    if (!held) {
      throw new CeremonyError('SHARE_SET_UNKNOWN', `the cards entered earlier are no longer held (used, cleared, idle for ${Math.round(this.idleMs / 60000)} minutes or more, or entered in another session): enter the cards again`, { path: '$.set' });
    }
    return held;
  }

  /** The set's cards, for one use: the set leaves the store before they are used. */
  private take(set: string): ShareCard[] {
    this.sweep();
    const held = this.get(set);
    clearTimeout(held.timer);
    this.sets.delete(set);
    return held.cards;
  }

  private open(): HeldSet {
    // Room for one more: the least recently used set is wiped (a screen reloaded without its clean-up).
    while (this.sets.size >= this.maxSets) {
      const oldest = [...this.sets.values()].reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
      this.drop(oldest);
    }
    let handle = randomBytes(16).toString('hex');
    while (this.sets.has(handle)) handle = randomBytes(16).toString('hex');
    const held: HeldSet = { handle, cards: [], sources: [], lastUsed: this.now(), timer: this.timer(handle) };
    this.sets.set(handle, held);
    return held;
  }

  private touch(held: HeldSet): void {
    held.lastUsed = this.now();
    clearTimeout(held.timer);
    held.timer = this.timer(held.handle);
  }

  private timer(handle: string): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      const held = this.sets.get(handle);
      if (held) this.drop(held);
    }, this.idleMs);
    // An idle set must not keep the process (or a test run) alive.
    t.unref?.();
    return t;
  }

  private drop(held: HeldSet): void {
    clearTimeout(held.timer);
    this.sets.delete(held.handle);
    wipeAll(held.cards);
  }
}
