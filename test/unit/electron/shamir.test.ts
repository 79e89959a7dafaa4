/**
 * The Shamir channels (electron/main/shamir.ts) through createIpcHandlers, as the renderer calls them:
 * roll-call of one card (valid; a mistyped character located; expectations), a set of cards as it is
 * entered (how many more; mixed splits and duplicates refused at once), verify (match; too few; a forged
 * card whose fingerprint is not its key's), co-signing a request with share cards (the key checked
 * against the request before anything is rebuilt, the confirmed hash, the response written and accepted
 * by the core's merge), the schema caps — and no view or refusal ever holds share data.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers, type Handler } from '../../../electron/main/ipc-handlers.js';
import { takeCards } from '../../../electron/main/shamir.js';
import type { IpcResult, ShamirCosignView, ShamirRollCallView, ShamirSetView, ShamirVerifyView } from '../../../electron/shared/api-types.js';
import { CHANNELS, type ChannelName } from '../../../electron/shared/channels.js';
import { MAX_SHARE_CARD_BYTES, MAX_SHARE_CARDS } from '../../../electron/shared/schemas.js';
import { buildRotationPayload, buildSigningRequest, mergeResponses, parseSignatureResponse, serializeSigningRequest, type SigningRequest } from '../../../src/rotation/index.js';
import { formatShareCard, formatSplitId, generateAndSplit, makeShareCard, splitKey, type ShareCard, type SplitResult } from '../../../src/shamir/index.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { scanForSecrets } from '../../support/secret-scan.js';
import { dataGroups, editGroup, substitute } from '../shamir/support.js';
import { EXPIRES_V2, makeCustodian, rootFixture, type Custodian } from '../rotation/support.js';

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

/** The share data of a card, in every form a leak could take: the typed lines, and the share bytes. */
function shareSecrets(card: ShareCard): { lines: string[]; bytes: Uint8Array } {
  const text = formatShareCard(card);
  return { lines: dataGroups(text).map((g) => g.join(' ')), bytes: Uint8Array.from(card.share) };
}

beforeAll(async () => {
  out = tempDir();
  h = createIpcHandlers({ rotation: { chooseOutputDir: async () => out, now: () => new Date() } });
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
    expect(v.card.fingerprint.words).toHaveLength(8);
    expect(v.status).toMatch(/^valid card: share \d+ of split [0-9A-Z]{4}-[0-9A-Z]{4} \(any 2 of 3 cards, REHEARSAL\); nothing was rebuilt$/);
    expect(v.checked).toEqual({ split: false, fingerprint: false });
    const f = await ok<ShamirRollCallView>(CHANNELS.shamirRollCall, { card: asFile('share-card-1-of-3.txt', texts[0]!), expected: { splitId: formatSplitId(split.splitId).toLowerCase(), fingerprint: split.publicKey.fingerprint } });
    expect(f.card.source).toBe('share-card-1-of-3.txt');
    expect(f.checked).toEqual({ split: true, fingerprint: true });
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

describe('a set of cards, as it is entered', () => {
  it('counts what is still needed; mixed splits and duplicates are refused at once, naming the cards', async () => {
    let v = await ok<ShamirSetView>(CHANNELS.shamirCheckCards, { cards: [typed(texts[2]!)] });
    expect([v.status, v.more, v.complete]).toEqual(['1 of 2 cards, need 1 more', 1, false]);
    v = await ok<ShamirSetView>(CHANNELS.shamirCheckCards, { cards: [typed(texts[2]!), asFile('c1.txt', texts[0]!)] });
    expect([v.status, v.more, v.complete]).toEqual(['2 of 2 cards: enough to rebuild the key', 0, true]);
    expect(v.cards.map((c) => [c.position, c.source])).toEqual([
      [1, 'typed'],
      [2, 'c1.txt'],
    ]);
    expect(v.fingerprint.sha256).toBe(split.publicKey.fingerprint);

    const mixed = await refused(CHANNELS.shamirCheckCards, { cards: [typed(texts[0]!), typed(formatShareCard(otherSplit.cards[1]!))] });
    expect(mixed.code).toBe('SHARE_MIXED_SPLITS');
    expect(mixed.message).toContain('(card 1)');
    expect(mixed.message).toContain('(card 2)');
    const dup = await refused(CHANNELS.shamirCheckCards, { cards: [typed(texts[0]!), typed(texts[0]!)] });
    expect(dup.code).toBe('SHARE_DUPLICATE');
    expect(dup.message).toContain('card 2 is the same card as card 1');
    // A card that does not parse is named by its position.
    const slip = await refused(CHANNELS.shamirCheckCards, { cards: [typed(texts[0]!), typed(editGroup(texts[1]!, 2, 1, (g) => substitute(g, 0)))] });
    expect([slip.code, slip.path]).toEqual(['SHARE_CHECKSUM', '$.cards[1]']);
    expect(slip.message).toMatch(/^card 2 \(typed\): group 1 of line 2 has a typing mistake/);
  });
});

describe('verify the key', () => {
  it('2 of 3 cards rebuild the key they record; too few, another key expected, or a forged card are refused', async () => {
    const v = await ok<ShamirVerifyView>(CHANNELS.shamirVerify, { cards: [typed(texts[0]!), typed(texts[2]!)] });
    expect(v).toMatchObject({ match: true, splitId: formatSplitId(split.splitId), algorithm: 'ed25519', indexes: [split.cards[0]!.index, split.cards[2]!.index] });
    expect(v.fingerprint.sha256).toBe(split.publicKey.fingerprint);
    expect(v.status).toContain('the fingerprint matches; the key was wiped from memory');

    const few = await refused(CHANNELS.shamirVerify, { cards: [typed(texts[0]!)] });
    expect(few.code).toBe('SHARE_TOO_FEW');
    expect(few.message).toContain('1 more card is needed');
    expect((await refused(CHANNELS.shamirVerify, { cards: [typed(texts[0]!), typed(texts[1]!)], expected: { fingerprint: otherSplit.publicKey.fingerprint } })).code).toBe('SHARE_FINGERPRINT_MISMATCH');

    // Cards that pass every checksum but record another key's fingerprint: the rebuilt key does not match.
    const forged = split.cards.slice(0, 2).map((c) => formatShareCard(makeShareCard({ ...c, fingerprint: otherSplit.publicKey.fingerprint })));
    const mismatch = await refused(CHANNELS.shamirVerify, { cards: forged.map(typed) });
    expect(mismatch.code).toBe('SHARE_KEY_MISMATCH');
    expect(mismatch.message).toContain('nothing was signed');
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

  it('the set is checked against the request before anything is rebuilt', async () => {
    const v = await ok<ShamirSetView>(CHANNELS.shamirCheckCards, { cards: [typed(backupCards[0]!)], request: req() });
    expect(v.signer).toMatchObject({ name: 'Backup', from: 'both' });
    expect(v.status).toBe('1 of 2 cards, need 1 more');
    const stranger = await refused(CHANNELS.shamirCheckCards, { cards: [typed(strangerCards[0]!)], request: req() });
    expect(stranger.code).toBe('ROTATION_SIGNER_UNKNOWN');
    expect(stranger.message).toContain('nothing was rebuilt');
  });

  it('signs with 2 cards and writes a response the merge accepts; a wrong hash, a stranger key and too few cards are refused with nothing written', async () => {
    const tampered = await refused(CHANNELS.shamirCosign, { request: req(), confirmedSha256: '0'.repeat(64), cards: [typed(backupCards[0]!), typed(backupCards[1]!)] });
    expect(tampered.code).toBe('ROTATION_REQUEST_TAMPERED');
    expect((await refused(CHANNELS.shamirCosign, { request: req(), confirmedSha256: request.payloadSha256, cards: [typed(strangerCards[0]!), typed(strangerCards[1]!)] })).code).toBe('ROTATION_SIGNER_UNKNOWN');
    expect((await refused(CHANNELS.shamirCosign, { request: req(), confirmedSha256: request.payloadSha256, cards: [typed(backupCards[0]!)] })).code).toBe('SHARE_TOO_FEW');
    expect(readdirSync(out)).toEqual([]);

    const signed = await ok<ShamirCosignView>(CHANNELS.shamirCosign, { request: req(), confirmedSha256: request.payloadSha256, cards: [typed(backupCards[2]!), asFile('card-1.txt', backupCards[0]!)] });
    expect(signed.signer.name).toBe('Backup');
    expect(signed.rehearsal).toBe(true);
    expect(signed.written.name).toMatch(new RegExp(`^backup\\.response-v2-${request.requestId.slice(0, 8)}\\.json$`));
    expect(signed.status).toContain('1 of 2 old keys');
    const response = parseSignatureResponse(new Uint8Array(readFileSync(signed.written.path)));
    const merged = mergeResponses(request, [response]);
    expect(merged.previous.signed).toHaveLength(1);
    expect(merged.new.signed).toHaveLength(1);
    // Never overwritten: the same response again is refused.
    expect((await refused(CHANNELS.shamirCosign, { request: req(), confirmedSha256: request.payloadSha256, cards: [typed(backupCards[2]!), typed(backupCards[0]!)] })).code).toBe('OUTPUT_EXISTS');
    // The response holds no share data, and not the rebuilt key.
    const bytes = new Uint8Array(readFileSync(signed.written.path));
    expect(scanForSecrets(bytes, moreCards.map((c) => c.share))).toEqual([]);
    const text = new TextDecoder().decode(bytes);
    for (const t of backupCards) for (const g of dataGroups(t)) expect(text).not.toContain(g.join(' '));
  });
});

describe('IPC payloads', () => {
  it('card text becomes bytes and the request lets go of the string', () => {
    const input = [{ text: texts[0]! }];
    const [card] = takeCards(input);
    expect(card!.source).toBe('typed');
    expect(new TextDecoder().decode(card!.bytes)).toBe(texts[0]);
    expect((input[0] as { text?: string }).text).toBeUndefined();
  });

  it.each([
    ['text over the cap', CHANNELS.shamirRollCall, { card: { text: 'x'.repeat(MAX_SHARE_CARD_BYTES + 1) } }, '$.card'],
    ['empty text', CHANNELS.shamirRollCall, { card: { text: '  ' } }, '$.card'],
    ['both text and file', CHANNELS.shamirRollCall, { card: { text: 'a', file: { name: 'c.txt', bytes: new Uint8Array(1) } } }, '$.card'],
    ['an unknown field', CHANNELS.shamirVerify, { cards: [{ text: 'a' }], extra: 1 }, '$.extra'],
    ['no cards', CHANNELS.shamirVerify, { cards: [] }, '$.cards'],
    ['too many cards', CHANNELS.shamirCheckCards, { cards: Array.from({ length: MAX_SHARE_CARDS + 1 }, () => ({ text: 'a' })) }, '$.cards'],
    ['a file over the cap', CHANNELS.shamirCheckCards, { cards: [{ file: { name: 'c.txt', bytes: new Uint8Array(MAX_SHARE_CARD_BYTES + 1) } }] }, '$.cards[0]'],
    ['a bad confirmed hash', CHANNELS.shamirCosign, { request: { name: 'r.json', bytes: new Uint8Array(2) }, confirmedSha256: 'zz', cards: [{ text: 'a' }] }, '$.confirmedSha256'],
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
