/**
 * The Shamir channels (electron/main/shamir.ts) through createIpcHandlers, as the renderer calls them:
 * roll-call of one card (valid; a mistyped character located; expectations), a set of cards held in main
 * as it is entered (how many more; mixed splits, duplicates and strangers refused at once, nothing kept of
 * them), verify (match; too few; a forged card whose fingerprint is not its key's), co-signing a request
 * with share cards (the key checked against the request before anything is rebuilt, the confirmed hash,
 * the response written and accepted by the core's merge), the schema caps — and no view or refusal ever
 * holds share data.
 *
 * Wiping is observed, not assumed: the card file bytes handed to a handler are all zeros afterwards,
 * whatever the answer; the card objects a set holds (ShareSetStore.heldCardsForTest) are zeroed when the
 * set is used, cleared, expires or is pushed out; the rebuilding steps are injected and counted, so a
 * refused set provably rebuilt nothing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIpcHandlers, type Handler } from '../../../electron/main/ipc-handlers.js';
import { ShareSetStore, takeCard, type ShareSetCore } from '../../../electron/main/shamir.js';
import type { IpcResult, ShamirClearView, ShamirCosignView, ShamirRollCallView, ShamirSetView, ShamirVerifyView } from '../../../electron/shared/api-types.js';
import { CHANNELS, type ChannelName } from '../../../electron/shared/channels.js';
import { MAX_SHARE_CARD_BYTES } from '../../../electron/shared/schemas.js';
import { buildRotationPayload, buildSigningRequest, mergeResponses, parseSignatureResponse, serializeSigningRequest, signRequest, signRequestWithShareCards, type SigningRequest } from '../../../src/rotation/index.js';
import { formatShareCard, formatSplitId, generateAndSplit, makeShareCard, splitKey, withReconstructedKey, type ShareCard, type SplitResult } from '../../../src/shamir/index.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { scanForSecrets } from '../../support/secret-scan.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { sha256Hex } from '../../../src/crypto/digest.js';
import { dataGroups, editGroup, substitute } from '../shamir/support.js';
import { EXPIRES_V2, makeCustodian, rootFixture, type Custodian } from '../rotation/support.js';
import { shareCardPart2Request } from '../rotation/revoke-tags-support.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tufc-shamir-ipc-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let out: string;
let h: Record<ChannelName, Handler>;
let store: ShareSetStore;
/** How often the injected rebuilding steps ran. */
const rebuilt = { verify: 0, sign: 0 };
const countingCore: ShareSetCore = {
  withReconstructedKey: ((...args: Parameters<typeof withReconstructedKey>) => {
    rebuilt.verify++;
    return withReconstructedKey(...args);
  }) as typeof withReconstructedKey,
  signRequestWithShareCards: (...args) => {
    rebuilt.sign++;
    return signRequestWithShareCards(...args);
  },
};
let split: SplitResult;
let otherSplit: SplitResult;
let texts: string[];
/** Every view and refusal the tests saw, checked for share data at the end. */
const seen: unknown[] = [];
/** Cards of further splits made below, for the same check. */
const moreCards: ShareCard[] = [];

async function call<T>(channel: ChannelName, payload: unknown): Promise<IpcResult<T>> {
  const r = (await h[channel](payload)) as IpcResult<T>;
  seen.push(r);
  return r;
}
async function ok<T>(channel: ChannelName, payload: unknown): Promise<T> {
  const r = await call<T>(channel, payload);
  if (!r.ok) throw new Error(`${channel} refused: ${r.code} ${r.message}`);
  return r.value;
}
async function refused(channel: ChannelName, payload: unknown): Promise<{ code: string; message: string; path?: string }> {
  const r = await call(channel, payload);
  if (r.ok) throw new Error(`${channel} was accepted`);
  return r;
}

const typed = (text: string) => ({ text });
const asFile = (name: string, text: string) => ({ file: { name, bytes: new TextEncoder().encode(text) } });
const allZero = (b: Uint8Array) => b.length > 0 && b.every((x) => x === 0);
/** Every card object a set holds has had its share zeroed. */
const wiped = (cards: readonly ShareCard[]) => cards.length > 0 && cards.every((c) => allZero(c.share));

/** Add cards one by one to a new set; the last view (its handle included). */
async function setOf(cards: unknown[], request?: { name: string; bytes: Uint8Array }): Promise<ShamirSetView> {
  let v: ShamirSetView | undefined;
  for (const card of cards) v = await ok<ShamirSetView>(CHANNELS.shamirAddCard, { ...(v ? { set: v.set } : {}), card, ...(request ? { request } : {}) });
  return v!;
}

/** The share data of a card, in every form a leak could take: the typed lines, and the share bytes. */
function shareSecrets(card: ShareCard): { lines: string[]; bytes: Uint8Array } {
  const text = formatShareCard(card);
  return { lines: dataGroups(text).map((g) => g.join(' ')), bytes: Uint8Array.from(card.share) };
}

beforeAll(async () => {
  out = tempDir();
  store = new ShareSetStore({ core: countingCore });
  h = createIpcHandlers({ rotation: { chooseOutputDir: async () => out, now: () => new Date() }, shamirSets: store });
  split = await generateAndSplit('ed25519', { threshold: 2, shares: 3, label: 'Backup', rehearsal: true });
  otherSplit = await generateAndSplit('ed25519', { threshold: 2, shares: 3, label: 'Backup', rehearsal: true });
  texts = split.cards.map(formatShareCard);
});

describe('roll-call', () => {
  it('a valid card, typed or as a file: its public fields, nothing rebuilt', async () => {
    const v = await ok<ShamirRollCallView>(CHANNELS.shamirRollCall, { card: typed(texts[1]!) });
    expect(v.card).toEqual({
      position: 1,
      source: 'typed',
      splitId: formatSplitId(split.splitId),
      index: split.cards[1]!.index,
      threshold: 2,
      shares: 3,
      algorithm: 'ed25519',
      fingerprint: expect.objectContaining({ sha256: split.publicKey.fingerprint }),
      label: 'Backup',
      rehearsal: true,
    });
    expect(v.card.fingerprint.words).toHaveLength(16);
    expect(v.status).toMatch(/^valid card: share \d+ of split [0-9A-Z]{4}-[0-9A-Z]{4} \(any 2 of 3 cards, REHEARSAL\); nothing was rebuilt$/);
    expect(v.checked).toEqual({ split: false, fingerprint: false });
    const f = await ok<ShamirRollCallView>(CHANNELS.shamirRollCall, { card: asFile('share-card-1-of-3.txt', texts[0]!), expected: { splitId: formatSplitId(split.splitId).toLowerCase(), fingerprint: split.publicKey.fingerprint } });
    expect(f.card.source).toBe('share-card-1-of-3.txt');
    expect(f.checked).toEqual({ split: true, fingerprint: true });
  });

  it('the card file bytes handed over are zeroed, accepted or refused', async () => {
    const good = asFile('c.txt', texts[0]!);
    await ok(CHANNELS.shamirRollCall, { card: good });
    expect(allZero(good.file.bytes)).toBe(true);
    const slip = asFile('c.txt', editGroup(texts[0]!, 1, 3, (g) => substitute(g, 1)));
    expect((await refused(CHANNELS.shamirRollCall, { card: slip })).code).toBe('SHARE_CHECKSUM');
    expect(allZero(slip.file.bytes)).toBe(true);
  });

  it('a mistyped character is located: a group check (SHARE_CHECKSUM) or a character outside the alphabet (SHARE_CHARACTER)', async () => {
    const slip = editGroup(texts[0]!, 1, 3, (g) => substitute(g, 1));
    let r = await refused(CHANNELS.shamirRollCall, { card: typed(slip) });
    expect(r.code).toBe('SHARE_CHECKSUM');
    expect(r.message).toBe('card 1 (typed): group 3 of line 1 has a typing mistake: compare it with the card (at $.card)');
    expect(r.path).toBe('$.card');
    const bad = editGroup(texts[0]!, 1, 3, (g) => `${g[0]}U${g.slice(2)}`);
    r = await refused(CHANNELS.shamirRollCall, { card: typed(bad) });
    expect(r.code).toBe('SHARE_CHARACTER');
    expect(r.message).toContain('the 2nd character of group 3 of line 1 is not a card character');
  });

  it('expectations: another split, another key', async () => {
    const id = formatSplitId(otherSplit.splitId);
    expect((await refused(CHANNELS.shamirRollCall, { card: typed(texts[0]!), expected: { splitId: id } })).code).toBe('SHARE_SPLIT_MISMATCH');
    expect((await refused(CHANNELS.shamirRollCall, { card: typed(texts[0]!), expected: { fingerprint: otherSplit.publicKey.fingerprint } })).code).toBe('SHARE_FINGERPRINT_MISMATCH');
    const usage = await refused(CHANNELS.shamirRollCall, { card: typed(texts[0]!), expected: { fingerprint: 'abc' } });
    expect([usage.code, usage.path]).toEqual(['USAGE', '$.expected']);
  });
});

describe('a set of cards, held in main as it is entered', () => {
  it('counts what is still needed; mixed splits, duplicates and slips are refused at once, naming the card, and leave the set as it was', async () => {
    const first = asFile('c3.txt', texts[2]!);
    let v = await ok<ShamirSetView>(CHANNELS.shamirAddCard, { card: first });
    expect(allZero(first.file.bytes)).toBe(true);
    expect(v.set).toMatch(/^[0-9a-f]{32}$/);
    expect([v.status, v.more, v.complete]).toEqual(['1 of 2 cards, need 1 more', 1, false]);
    const handle = v.set;
    expect(store.heldCardsForTest(handle)).toHaveLength(1);

    // Refused cards: each named by its position, its bytes zeroed, nothing of it kept.
    const mixedCard = asFile('other.txt', formatShareCard(otherSplit.cards[1]!));
    const mixed = await refused(CHANNELS.shamirAddCard, { set: handle, card: mixedCard });
    expect(mixed.code).toBe('SHARE_MIXED_SPLITS');
    expect(mixed.message).toContain('(card 1)');
    expect(mixed.message).toContain('(card 2)');
    expect(allZero(mixedCard.file.bytes)).toBe(true);
    const dupCard = asFile('again.txt', texts[2]!);
    const dup = await refused(CHANNELS.shamirAddCard, { set: handle, card: dupCard });
    expect(dup.code).toBe('SHARE_DUPLICATE');
    expect(dup.message).toContain('card 2 is the same card as card 1');
    expect(allZero(dupCard.file.bytes)).toBe(true);
    const slipCard = asFile('slip.txt', editGroup(texts[1]!, 2, 1, (g) => substitute(g, 0)));
    const slip = await refused(CHANNELS.shamirAddCard, { set: handle, card: slipCard });
    expect([slip.code, slip.path]).toEqual(['SHARE_CHECKSUM', '$.card']);
    expect(slip.message).toMatch(/^card 2 \(slip\.txt\): group 1 of line 2 has a typing mistake/);
    expect(allZero(slipCard.file.bytes)).toBe(true);
    // The set still holds its one card, unwiped.
    expect(store.heldCardsForTest(handle)).toHaveLength(1);
    expect(wiped(store.heldCardsForTest(handle)!)).toBe(false);

    v = await ok<ShamirSetView>(CHANNELS.shamirAddCard, { set: handle, card: typed(texts[0]!) });
    expect(v.set).toBe(handle);
    expect([v.status, v.more, v.complete]).toEqual(['2 of 2 cards: enough to rebuild the key', 0, true]);
    expect(v.cards.map((c) => [c.position, c.source, c.index])).toEqual([
      [1, 'c3.txt', split.cards[2]!.index],
      [2, 'typed', split.cards[0]!.index],
    ]);
    expect(v.fingerprint.sha256).toBe(split.publicKey.fingerprint);
    const held = store.heldCardsForTest(handle)!;
    expect(await ok<ShamirClearView>(CHANNELS.shamirClearSet, { set: handle })).toEqual({ cleared: true });
    expect(wiped(held)).toBe(true);
    expect(store.heldCardsForTest(handle)).toBeUndefined();
    expect(await ok<ShamirClearView>(CHANNELS.shamirClearSet, { set: handle })).toEqual({ cleared: false });
  });

  it('a first card that is refused opens no set', async () => {
    const before = store.size;
    const bad = asFile('bad.txt', editGroup(texts[0]!, 1, 1, (g) => substitute(g, 0)));
    expect((await refused(CHANNELS.shamirAddCard, { card: bad })).code).toBe('SHARE_CHECKSUM');
    expect(allZero(bad.file.bytes)).toBe(true);
    expect(store.size).toBe(before);
  });

  it('a handle this store does not hold (made up, of another session, used, expired) is SHARE_SET_UNKNOWN, and the card is zeroed', async () => {
    const made = 'ab'.repeat(16);
    const card = asFile('c.txt', texts[0]!);
    const r = await refused(CHANNELS.shamirAddCard, { set: made, card });
    expect([r.code, r.path]).toEqual(['SHARE_SET_UNKNOWN', '$.set']);
    expect(r.message).toContain('enter the cards again');
    expect(allZero(card.file.bytes)).toBe(true);
    expect((await refused(CHANNELS.shamirVerify, { set: made })).code).toBe('SHARE_SET_UNKNOWN');

    // Another session's set: its handlers have their own store.
    const v = await setOf([typed(texts[0]!)]);
    const other = createIpcHandlers({ rotation: { chooseOutputDir: async () => out, now: () => new Date() } });
    const r2 = (await other[CHANNELS.shamirVerify]({ set: v.set })) as IpcResult<unknown>;
    expect(r2.ok ? 'accepted' : r2.code).toBe('SHARE_SET_UNKNOWN');
    expect(store.heldCardsForTest(v.set)).toHaveLength(1);
    await ok(CHANNELS.shamirClearSet, { set: v.set });
  });
});

describe('a set’s lifetime', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a set idle for the limit is wiped at the next call, and its handle is unknown', () => {
    let now = 1_000;
    const s = new ShareSetStore({ idleMs: 60_000, now: () => now });
    const v = s.add({ card: takeCard({ text: texts[0]! }) });
    const held = s.heldCardsForTest(v.set)!;
    now += 59_999;
    expect(s.add({ set: v.set, card: takeCard({ text: texts[1]! }) }).complete).toBe(true);
    now += 60_000;
    const bytes = new TextEncoder().encode(texts[2]!);
    expect(() => s.add({ set: v.set, card: { source: 'c.txt', bytes } })).toThrow(expect.objectContaining({ code: 'SHARE_SET_UNKNOWN' }));
    expect(allZero(bytes)).toBe(true);
    expect(wiped(held)).toBe(true);
    expect(s.size).toBe(0);
  });

  it('each set’s own timer wipes it when it has been idle for the limit, with no call at all', () => {
    vi.useFakeTimers();
    const s = new ShareSetStore({ idleMs: 60_000 });
    const v = s.add({ card: takeCard({ text: texts[0]! }) });
    const held = s.heldCardsForTest(v.set)!;
    vi.advanceTimersByTime(50_000);
    s.add({ set: v.set, card: takeCard({ text: texts[1]! }) });
    // Using the set restarts its idle time.
    vi.advanceTimersByTime(50_000);
    expect(wiped(held)).toBe(false);
    expect(s.size).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(s.size).toBe(0);
    expect(wiped(held)).toBe(true);
  });

  it('at most maxSets live sets: a new one pushes out (and wipes) the least recently used', () => {
    let now = 0;
    const s = new ShareSetStore({ maxSets: 2, now: () => now });
    const a = s.add({ card: takeCard({ text: texts[0]! }) });
    now++;
    const b = s.add({ card: takeCard({ text: texts[1]! }) });
    now++;
    s.add({ set: a.set, card: takeCard({ text: texts[2]! }) });
    now++;
    const heldB = s.heldCardsForTest(b.set)!;
    const c = s.add({ card: takeCard({ text: texts[0]! }) });
    expect(s.size).toBe(2);
    expect(wiped(heldB)).toBe(true);
    expect(s.heldCardsForTest(b.set)).toBeUndefined();
    expect(s.heldCardsForTest(a.set)).toHaveLength(2);
    expect(s.heldCardsForTest(c.set)).toHaveLength(1);
    s.clearAll();
    expect(s.size).toBe(0);
  });
});

describe('verify the key', () => {
  it('2 of 3 cards rebuild the key they record; the set is wiped and cannot be used again', async () => {
    const set = await setOf([typed(texts[0]!), asFile('c3.txt', texts[2]!)]);
    const held = store.heldCardsForTest(set.set)!;
    const v = await ok<ShamirVerifyView>(CHANNELS.shamirVerify, { set: set.set });
    expect(v).toMatchObject({ match: true, splitId: formatSplitId(split.splitId), algorithm: 'ed25519', indexes: [split.cards[0]!.index, split.cards[2]!.index] });
    expect(v.fingerprint.sha256).toBe(split.publicKey.fingerprint);
    expect(v.status).toContain('the fingerprint matches; the key was wiped from memory');
    expect(wiped(held)).toBe(true);
    expect((await refused(CHANNELS.shamirVerify, { set: set.set })).code).toBe('SHARE_SET_UNKNOWN');
  });

  it('too few, another key expected, or a forged card are refused, and the set is wiped each time', async () => {
    let set = await setOf([typed(texts[0]!)]);
    let held = store.heldCardsForTest(set.set)!;
    const few = await refused(CHANNELS.shamirVerify, { set: set.set });
    expect(few.code).toBe('SHARE_TOO_FEW');
    expect(few.message).toContain('1 more card is needed');
    expect(wiped(held)).toBe(true);

    set = await setOf([typed(texts[0]!), typed(texts[1]!)]);
    held = store.heldCardsForTest(set.set)!;
    expect((await refused(CHANNELS.shamirVerify, { set: set.set, expected: { fingerprint: otherSplit.publicKey.fingerprint } })).code).toBe('SHARE_FINGERPRINT_MISMATCH');
    expect(wiped(held)).toBe(true);

    // Cards that pass every checksum but record another key's fingerprint: the rebuilt key does not match.
    const forged = split.cards.slice(0, 2).map((c) => formatShareCard(makeShareCard({ ...c, fingerprint: otherSplit.publicKey.fingerprint })));
    set = await setOf(forged.map(typed));
    held = store.heldCardsForTest(set.set)!;
    const mismatch = await refused(CHANNELS.shamirVerify, { set: set.set });
    expect(mismatch.code).toBe('SHARE_KEY_MISMATCH');
    expect(mismatch.message).toContain('nothing was signed');
    expect(wiped(held)).toBe(true);
    expect(store.heldCardsForTest(set.set)).toBeUndefined();
  });
});

describe('co-sign with share cards', () => {
  let request: SigningRequest;
  let requestFile: { name: string; bytes: Uint8Array };
  let backupCards: string[];
  let strangerCards: string[];

  beforeAll(async () => {
    // Root keys: Alice, Bob (software) and a backup key split 2 of 3 onto share cards.
    const backupKey = SoftwareKey.generate('ed25519', { label: 'Backup' });
    const backupSplit = await backupKey.withSecret((secret) => splitKey('ed25519', Uint8Array.from(secret), { threshold: 2, shares: 3, label: 'Backup', rehearsal: true }));
    backupCards = backupSplit.cards.map(formatShareCard);
    moreCards.push(...backupSplit.cards);
    strangerCards = otherSplit.cards.map(formatShareCard);
    const backup: Custodian = { name: 'Backup', key: backupKey, listed: listPublicKey('tuf', backupKey.spki) };
    const fx = await rootFixture('tuf', ['Alice', 'Bob', backup]);
    const dave = await makeCustodian('tuf', 'Dave');
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: fx.custodians[0]!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'lost' }] } }, { names: fx.names });
    request = buildSigningRequest(payload, { repository: 'example-repo' });
    requestFile = { name: 'request.json', bytes: serializeSigningRequest(request) };
  });

  const req = () => ({ name: requestFile.name, bytes: Uint8Array.from(requestFile.bytes) });

  it('each card is checked against the request as it is added: a stranger’s card is refused, zeroed, and opens no set', async () => {
    const v = await setOf([typed(backupCards[0]!)], req());
    expect(v.signer).toMatchObject({ name: 'Backup', from: 'both' });
    expect(v.status).toBe('1 of 2 cards, need 1 more');
    await ok(CHANNELS.shamirClearSet, { set: v.set });
    const before = store.size;
    const card = asFile('stranger.txt', strangerCards[0]!);
    const stranger = await refused(CHANNELS.shamirAddCard, { card, request: req() });
    expect([stranger.code, stranger.path]).toEqual(['ROTATION_SIGNER_UNKNOWN', '$.card']);
    expect(stranger.message).toContain('nothing was rebuilt');
    expect(allZero(card.file.bytes)).toBe(true);
    expect(store.size).toBe(before);
  });

  it('a wrong hash, a stranger’s set and too few cards are refused with nothing rebuilt or written, each set wiped', async () => {
    const signs = rebuilt.sign;
    let set = await setOf([typed(backupCards[0]!), typed(backupCards[1]!)], req());
    let held = store.heldCardsForTest(set.set)!;
    const tampered = await refused(CHANNELS.shamirCosign, { set: set.set, request: req(), confirmedSha256: '0'.repeat(64) });
    expect(tampered.code).toBe('ROTATION_REQUEST_TAMPERED');
    expect(wiped(held)).toBe(true);
    // A set entered without the request (as on the Shamir screen) is still checked against it before anything is rebuilt.
    set = await setOf([typed(strangerCards[0]!), typed(strangerCards[1]!)]);
    held = store.heldCardsForTest(set.set)!;
    const stranger = await refused(CHANNELS.shamirCosign, { set: set.set, request: req(), confirmedSha256: request.payloadSha256 });
    expect([stranger.code, stranger.path]).toEqual(['ROTATION_SIGNER_UNKNOWN', '$.set']);
    expect(wiped(held)).toBe(true);
    set = await setOf([typed(backupCards[0]!)], req());
    held = store.heldCardsForTest(set.set)!;
    expect((await refused(CHANNELS.shamirCosign, { set: set.set, request: req(), confirmedSha256: request.payloadSha256 })).code).toBe('SHARE_TOO_FEW');
    expect(wiped(held)).toBe(true);
    expect(rebuilt.sign).toBe(signs);
    expect(readdirSync(out)).toEqual([]);
  });

  it('signs with 2 cards and writes a response the merge accepts; the set is wiped; never over an existing response', async () => {
    const signs = rebuilt.sign;
    const set = await setOf([typed(backupCards[2]!), asFile('card-1.txt', backupCards[0]!)], req());
    const held = store.heldCardsForTest(set.set)!;
    const signed = await ok<ShamirCosignView>(CHANNELS.shamirCosign, { set: set.set, request: req(), confirmedSha256: request.payloadSha256 });
    expect(rebuilt.sign).toBe(signs + 1);
    expect(wiped(held)).toBe(true);
    expect((await refused(CHANNELS.shamirCosign, { set: set.set, request: req(), confirmedSha256: request.payloadSha256 })).code).toBe('SHARE_SET_UNKNOWN');
    expect(signed.signer.name).toBe('Backup');
    expect(signed.rehearsal).toBe(true);
    expect(signed.written.name).toMatch(new RegExp(`^backup\\.response-v2-${request.requestId.slice(0, 8)}\\.json$`));
    expect(signed.status).toContain('1 of 2 old keys');
    const response = parseSignatureResponse(new Uint8Array(readFileSync(signed.written.path)));
    const merged = mergeResponses(request, [response]);
    expect(merged.previous.signed).toHaveLength(1);
    expect(merged.new.signed).toHaveLength(1);
    // Never overwritten: the same response again is refused, and that set is wiped too.
    const again = await setOf([typed(backupCards[2]!), typed(backupCards[0]!)], req());
    const heldAgain = store.heldCardsForTest(again.set)!;
    expect((await refused(CHANNELS.shamirCosign, { set: again.set, request: req(), confirmedSha256: request.payloadSha256 })).code).toBe('OUTPUT_EXISTS');
    expect(wiped(heldAgain)).toBe(true);
    // The response holds no share data, and not the rebuilt key.
    const bytes = new Uint8Array(readFileSync(signed.written.path));
    expect(scanForSecrets(bytes, moreCards.map((c) => c.share))).toEqual([]);
    const text = new TextDecoder().decode(bytes);
    for (const t of backupCards) for (const g of dataGroups(t)) expect(text).not.toContain(g.join(' '));
    // The co-sign session transcript beside it (issue #16), as `sign --share-card` writes it: sealed by the
    // rebuilt key before it was wiped; `transcript verify` accepts it with that key, refuses another.
    expect(signed.transcript.name).toBe(`${signed.written.name}.transcript.jsonl`);
    expect(signed.transcript.path).toBe(join(out, signed.transcript.name));
    const tBytes = new Uint8Array(readFileSync(signed.transcript.path));
    const t = verifyTranscript(tBytes, { expectedSealKeyId: signed.fingerprint.sha256 });
    expect(t.sealed).toBe(true);
    expect(t.sealedBy!.keyId).toBe(signed.transcript.sealKeyId);
    expect(t.header.kind).toBe('co-sign');
    expect(t.header.planHash).toBe(sha256Hex(req().bytes));
    expect(t.entries.map((e) => e.step)).toEqual(['request.review', 'co-sign']);
    expect(t.entries[1]!.outputs).toEqual([{ name: signed.written.name, sha256: sha256Hex(bytes) }]);
    expect(() => verifyTranscript(tBytes, { expectedSealKeyId: 'a'.repeat(64) })).toThrow(expect.objectContaining({ code: 'TRANSCRIPT_SEAL_KEY_UNEXPECTED' }));
    expect(scanForSecrets(tBytes, moreCards.map((c) => c.share))).toEqual([]);
    const tText = new TextDecoder().decode(tBytes);
    for (const c of backupCards) for (const g of dataGroups(c)) expect(tText).not.toContain(g.join(' '));
  });
});

describe('co-sign part 2 of a request that also revokes tags, with share cards (issue #14)', () => {
  it("the set names part 2 and its hash words; part 1's words are refused before anything is rebuilt; part 2's are signed and merge with part 1", async () => {
    // A key split onto share cards takes CI's place in the releases role: a part-2 signer.
    const { f, request: built, cards, keyId } = await shareCardPart2Request('example.com/tags');
    moreCards.push(...cards);
    const relCards = cards.map(formatShareCard);
    const bytes = serializeSigningRequest(built);
    const revokeReq = () => ({ name: 'revoke.request.json', bytes: Uint8Array.from(bytes) });
    const part1 = built.payloadSha256;
    const part2 = built.revokeTags!.payloadSha256;
    expect(part2).not.toBe(part1);

    // The set, checked against the request, says which part its key signs and that part's words (as a token's check does).
    const first = await setOf([typed(relCards[0]!), typed(relCards[1]!)], revokeReq());
    expect(first.signer).toMatchObject({ name: 'Rel', keyids: [keyId], signs: { file: 'releases.json', version: 2, part: { index: 2, of: 2 } } });
    expect(first.signer!.signs.digest.sha256).toBe(part2);
    expect(first.signer!.signs.digest.words.length).toBeGreaterThan(0);

    // Part 1's words (the review's) with a part-2 key: refused before the rebuild, nothing written, the set wiped.
    const signs = rebuilt.sign;
    const before = readdirSync(out).sort();
    const held = store.heldCardsForTest(first.set)!;
    const wrongPart = await refused(CHANNELS.shamirCosign, { set: first.set, request: revokeReq(), confirmedSha256: part1 });
    expect([wrongPart.code, wrongPart.path]).toEqual(['ROTATION_REQUEST_TAMPERED', '$.confirmedSha256']);
    expect(wrongPart.message).toContain('signs part 2 of 2 (releases.json v2');
    expect(wrongPart.message).toContain('nothing was rebuilt');
    expect(rebuilt.sign).toBe(signs);
    expect(wiped(held)).toBe(true);
    expect(readdirSync(out).sort()).toEqual(before);

    // Part 2's words: signed; the response is over part 2's bytes and, with the targets key's part 1, the merge is final.
    const again = await setOf([typed(relCards[2]!), typed(relCards[0]!)], revokeReq());
    const signed = await ok<ShamirCosignView>(CHANNELS.shamirCosign, { set: again.set, request: revokeReq(), confirmedSha256: again.signer!.signs.digest.sha256 });
    expect(rebuilt.sign).toBe(signs + 1);
    expect(signed.keyids).toEqual([keyId]);
    const response = parseSignatureResponse(new Uint8Array(readFileSync(signed.written.path)));
    expect(response.payloadSha256).toBe(part2);
    const merged = mergeResponses(built, [await signRequest(built, f.fx.targets.key), response]);
    expect(merged.final).toBe(true);
  });
});

describe('IPC payloads', () => {
  it('card text becomes bytes and the parsed request lets go of the string; a file keeps its own bytes (to be zeroed)', () => {
    const input = { text: texts[0]! };
    const card = takeCard(input);
    expect(card.source).toBe('typed');
    expect(new TextDecoder().decode(card.bytes)).toBe(texts[0]);
    expect((input as { text?: string }).text).toBeUndefined();
    const file = asFile('c.txt', texts[0]!);
    expect(takeCard(file).bytes).toBe(file.file.bytes);
  });

  it.each([
    ['text over the cap', CHANNELS.shamirRollCall, { card: { text: 'x'.repeat(MAX_SHARE_CARD_BYTES + 1) } }, '$.card'],
    ['empty text', CHANNELS.shamirRollCall, { card: { text: '  ' } }, '$.card'],
    ['both text and file', CHANNELS.shamirAddCard, { card: { text: 'a', file: { name: 'c.txt', bytes: new Uint8Array(1) } } }, '$.card'],
    ['an unknown field', CHANNELS.shamirVerify, { set: 'a'.repeat(32), extra: 1 }, '$.extra'],
    ['several cards in one call', CHANNELS.shamirAddCard, { cards: [{ text: 'a' }] }, '$'],
    ['no set', CHANNELS.shamirVerify, {}, '$.set'],
    ['a set handle not made by main', CHANNELS.shamirClearSet, { set: 'A'.repeat(32) }, '$.set'],
    ['a file over the cap', CHANNELS.shamirAddCard, { card: { file: { name: 'c.txt', bytes: new Uint8Array(MAX_SHARE_CARD_BYTES + 1) } } }, '$.card'],
    ['a bad confirmed hash', CHANNELS.shamirCosign, { request: { name: 'r.json', bytes: new Uint8Array(2) }, confirmedSha256: 'zz', set: 'a'.repeat(32) }, '$.confirmedSha256'],
  ] as const)('refused before the core: %s', async (_name, channel, payload, path) => {
    const r = await refused(channel, payload);
    expect(r.code).toBe('IPC_INVALID');
    expect(r.path?.startsWith(path)).toBe(true);
  });
});

describe('no share data in any view or refusal', () => {
  it('every result above, as JSON, holds neither the cards’ data lines nor their share bytes in any encoding (positive control first)', () => {
    const cards = [...split.cards, ...otherSplit.cards, ...moreCards];
    const secrets = cards.map(shareSecrets);
    // Positive control: the scan finds a planted share and a planted data line.
    const planted = new TextEncoder().encode(JSON.stringify({ leak: Buffer.from(secrets[0]!.bytes).toString('base64'), line: secrets[1]!.lines[0] }));
    expect(scanForSecrets(planted, secrets.map((s) => s.bytes)).length).toBeGreaterThan(0);
    expect(new TextDecoder().decode(planted)).toContain(secrets[1]!.lines[0]!);

    expect(seen.length).toBeGreaterThan(20);
    for (const r of seen) {
      const json = JSON.stringify(r);
      for (const s of secrets) for (const line of s.lines) expect(json).not.toContain(line);
      for (const t of texts) expect(json).not.toContain(t.split('\n').find((l) => l.startsWith('1: '))!.slice(3, 13));
      expect(scanForSecrets(new TextEncoder().encode(json), secrets.map((s) => s.bytes))).toEqual([]);
    }
  });
});
