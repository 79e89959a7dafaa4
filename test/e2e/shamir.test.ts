/**
 * The Shamir screen and co-signing with share cards, end to end in Chromium (PRODUCT.md §2.2, §2.4):
 *
 * - a 2-of-3 rehearsal split made with the core; roll-call of one card typed with a character outside
 *   the alphabet (refused, the character located), one with a slip inside the alphabet (the group
 *   located), then corrected (valid: split, index, M of N, the key's words);
 * - recover: cards entered one by one into a set main holds (the page keeps its handle and public view)
 *   — "Start again" empties it, a card of another split and the same card twice are refused at once with
 *   their codes — then "Verify the key": the rebuilt key matches the recorded fingerprint, and the set is
 *   gone;
 * - co-sign: root v1 (made with the core) lists a backup key split onto share cards; the administrator's
 *   request (core) replaces Alice; on the Co-sign screen the backup's custodians enter 2 cards (one typed,
 *   one as a file), checked against the request before anything is rebuilt, and sign; the response is
 *   accepted by the core's merge;
 * - co-sign part 2 of a request that also revokes tags (issue #14) with share cards: the cards' key takes
 *   CI's place in the releases role; once the cards are checked, the screen says "part 2 of 2" with that
 *   part's words, signing waits for their confirmation, and the response is over part 2's bytes (before,
 *   part 1's hash was sent and refused).
 *
 * Finally no file the screens wrote, and no page's HTML (text areas' values included), holds share data
 * (test/support/secret-scan.ts, with a positive control).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { shortDigest } from '../../src/crypto/digest-words.js';
import { buildRotationPayload, buildSigningRequest, mergeResponses, parseSignatureResponse, serializeSigningRequest, signRequest, type SigningRequest } from '../../src/rotation/index.js';
import { formatShareCard, formatSplitId, generateAndSplit, splitKey, type ShareCard, type SplitResult } from '../../src/shamir/index.js';
import { listPublicKey } from '../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../src/signers/software.js';
import { scanForSecrets } from '../support/secret-scan.js';
import { EXPIRES_V2, makeCustodian, rootFixture, type Custodian } from '../unit/rotation/support.js';
import { shareCardPart2Request, type Fixture as RevokeTagsFixture } from '../unit/rotation/revoke-tags-support.js';
import { dataGroups, editGroup, substitute } from '../unit/shamir/support.js';
import { startSession, type E2eSession } from './support/session.js';

let dir: string;
let out: string;
let session: E2eSession;
let split: SplitResult;
let otherSplit: SplitResult;
let backupCards: ShareCard[];
let request: SigningRequest;
let requestPath: string;
let backupKeyId: string;
/** The revoke-tags request whose part 2 (the releases role's file) a key split onto share cards signs. */
let revoke: { f: RevokeTagsFixture; request: SigningRequest; path: string; cards: ShareCard[]; keyId: string };
/** Every page's text after each step, scanned for share data at the end. */
const pages: string[] = [];

const text = (c: ShareCard) => formatShareCard(c);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tufc-e2e-shamir-'));
  out = join(dir, 'out');
  mkdirSync(out);
  split = await generateAndSplit('ed25519', { threshold: 2, shares: 3, label: 'registry.example.com/org/app', rehearsal: true });
  otherSplit = await generateAndSplit('ed25519', { threshold: 2, shares: 3, label: 'registry.example.com/org/app', rehearsal: true });

  // Root v1 with the core: Alice, Bob and a backup root key split 2 of 3 onto rehearsal share cards
  // (as the rehearsal plan's Shamir backup does), threshold 2; the request replaces Alice (lost) by Dave.
  const backupKey = SoftwareKey.generate('ed25519', { label: 'Backup' });
  const backupSplit = await backupKey.withSecret((secret) => splitKey('ed25519', Uint8Array.from(secret), { threshold: 2, shares: 3, label: 'Backup', rehearsal: true }));
  backupCards = backupSplit.cards;
  const backup: Custodian = { name: 'Backup', key: backupKey, listed: listPublicKey('tuf', backupKey.spki) };
  backupKeyId = backup.listed.keyId;
  const fx = await rootFixture('tuf', ['Alice', 'Bob', backup]);
  const dave = await makeCustodian('tuf', 'Dave');
  const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: fx.custodians[0]!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'lost' }] } }, { names: fx.names });
  request = buildSigningRequest(payload, { repository: 'example.com/shamir/e2e' });
  requestPath = join(dir, 'rotation-request.json');
  writeFileSync(requestPath, serializeSigningRequest(request));

  // "Revoke these tags too": targets v2 gives CI's place in the releases role to a key split onto cards.
  revoke = { ...(await shareCardPart2Request('example.com/shamir/tags')), path: join(dir, 'revoke-request.json') };
  writeFileSync(revoke.path, serializeSigningRequest(revoke.request));
  session = await startSession({ rotationOutputDir: async () => out });
});

afterAll(async () => {
  await session?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * What the page holds that a person or a script could read: its HTML, plus the text areas' and fields'
 * current values (a value property need not be in the HTML). Taken where the card text must be gone.
 */
async function pageSnapshot(page: Page): Promise<string> {
  const values = await page.evaluate(() => Array.from(document.querySelectorAll('textarea, input')).map((e) => (e as HTMLTextAreaElement | HTMLInputElement).value));
  return `${await page.content()}\n${values.join('\n')}`;
}

/** The share data lines of every card in play, and their share bytes. */
function secrets(): { lines: string[]; bytes: Uint8Array[] } {
  const cards = [...split.cards, ...otherSplit.cards, ...backupCards, ...revoke.cards];
  return { lines: cards.flatMap((c) => dataGroups(text(c)).map((g) => g.join(' '))), bytes: cards.map((c) => c.share) };
}

describe('Shamir screen', () => {
  test('roll-call: a mistyped character is located, then the corrected card is valid; the tally accounts for all N cards; nothing of the share shown', async () => {
    const { page, errors, choose } = await session.open('shamir');
    await page.getByRole('heading', { level: 1, name: 'Shamir' }).waitFor();
    const card = text(split.cards[1]!);
    const area = page.getByLabel('Card text', { exact: true });

    // A character outside the alphabet: SHARE_CHARACTER, its place named.
    await area.fill(editGroup(card, 1, 3, (g) => `${g[0]}U${g.slice(2)}`));
    await page.getByRole('button', { name: 'Check this card' }).click();
    let refused = page.getByRole('alert').filter({ hasText: 'SHARE_CHARACTER' });
    await refused.waitFor();
    expect(await refused.innerText()).toContain('the 2nd character of group 3 of line 1 is not a card character');
    expect(await refused.innerText()).toContain('Nothing was rebuilt');

    // A slip to another card character: the group's check character catches it.
    await area.fill(editGroup(card, 2, 1, (g) => substitute(g, 2)));
    await page.getByRole('button', { name: 'Check this card' }).click();
    refused = page.getByRole('alert').filter({ hasText: 'SHARE_CHECKSUM' });
    await refused.waitFor();
    expect(await refused.innerText()).toContain('group 1 of line 2 has a typing mistake');
    pages.push(await page.getByRole('main').innerText());
    // Positive control for the page scan: after a typing mistake the text stays to be corrected, and the
    // snapshot sees it.
    expect(await pageSnapshot(page)).toContain(dataGroups(card)[0]!.join(' '));

    // Corrected, with the split and key expected from the ceremony record.
    await area.fill(card);
    await page.getByLabel('Expected split').fill(formatSplitId(split.splitId));
    await page.getByLabel('Expected key fingerprint').fill(split.publicKey.fingerprint);
    await page.getByRole('button', { name: 'Check this card' }).click();
    const valid = page.getByRole('status', { name: 'Roll-call result' });
    await valid.waitFor();
    const shown = await valid.innerText();
    expect(shown).toContain(`Valid card: share index ${split.cards[1]!.index} of split ${formatSplitId(split.splitId)}`);
    expect(shown).toContain('any 2 of 3');
    expect(shown).toContain('REHEARSAL');
    expect(shown).toContain('The split and the key are the ones expected.');
    const words = await valid.getByRole('list', { name: 'Fingerprint words, to read aloud' }).getByRole('listitem').allInnerTexts();
    expect(words).toEqual(shortDigest(split.publicKey.fingerprint).words);
    // The text area is cleared once the card is checked.
    expect(await area.inputValue()).toBe('');
    pages.push(await pageSnapshot(page));

    // The tally accounts for all N cards of the split (issue #16): the typed card is counted by its share
    // index; card files named as the ceremony writes them (share-card-K-of-N.txt) by their number K.
    const tally = page.getByRole('region', { name: /^Roll-call of split/ });
    expect(await tally.getByRole('heading').innerText()).toBe(`Roll-call of split ${formatSplitId(split.splitId)}: 1 of 3 cards checked`);
    expect(await tally.innerText()).toContain(`share index ${split.cards[1]!.index}`);
    for (const k of [1, 3]) {
      const file = join(dir, `share-card-${k}-of-3.txt`);
      writeFileSync(file, text(split.cards[k - 1]!));
      await choose('Check a card file…', file);
      await page.getByRole('status', { name: 'Roll-call result' }).filter({ hasText: `card ${k} of 3, share index ${split.cards[k - 1]!.index}` }).waitFor();
      rmSync(file);
    }
    expect(await tally.getByRole('heading').innerText()).toBe(`Roll-call of split ${formatSplitId(split.splitId)}: 3 of 3 cards checked`);
    expect(await tally.innerText()).toContain('Every card of this split is accounted for.');
    const rows = await tally.getByRole('list', { name: 'Cards of this split' }).getByRole('listitem').allInnerTexts();
    expect(rows).toEqual([`Card 1 of 3: checked (share index ${split.cards[0]!.index})`, 'Card 2 of 3: no card file with this number checked', `Card 3 of 3: checked (share index ${split.cards[2]!.index})`]);
    pages.push(await pageSnapshot(page));
    expect(errors).toEqual([]);
    await page.screenshot({ path: '/tmp/e2e-shamir-rollcall.png', fullPage: true });
  });

  test('recover: cards one by one, another split and a duplicate refused at once, then 2 of 3 rebuild the key they record', async () => {
    const { page, errors, choose } = await session.open('shamir');
    const status = page.getByRole('status', { name: 'Cards entered' });

    // A card, then "Start again": main wipes the set, the page is back to card 1.
    await page.getByLabel('Card 1 text').fill(text(split.cards[1]!));
    await page.getByRole('button', { name: 'Add this card' }).click();
    await status.waitFor();
    expect(await page.getByLabel('Card 1 text').count()).toBe(0);
    expect(await page.getByLabel('Card 2 text').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Start again' }).click();
    await page.getByLabel('Card 1 text').waitFor();
    expect(await status.count()).toBe(0);

    await page.getByLabel('Card 1 text').fill(text(split.cards[0]!));
    await page.getByRole('button', { name: 'Add this card' }).click();
    await status.waitFor();
    expect(await status.innerText()).toContain('1 of 2 cards, need 1 more');
    await expect(page.getByRole('button', { name: 'Verify the key' }).isEnabled()).resolves.toBe(false);
    // Only the card entered after "Start again".
    expect(await page.getByRole('table', { name: 'Cards entered so far' }).getByRole('row').count()).toBe(2);

    // A card of another split: refused at once, and not added.
    await page.getByLabel('Card 2 text').fill(text(otherSplit.cards[1]!));
    await page.getByRole('button', { name: 'Add this card' }).click();
    let refused = page.getByRole('alert').filter({ hasText: 'SHARE_MIXED_SPLITS' });
    await refused.waitFor();
    expect(await refused.innerText()).toContain('Card 2 not added');
    expect(await refused.innerText()).toContain(formatSplitId(otherSplit.splitId));
    expect(await status.innerText()).toContain('1 of 2 cards, need 1 more');
    pages.push(await pageSnapshot(page));

    // The same card again.
    await page.getByLabel('Card 2 text').fill(text(split.cards[0]!));
    await page.getByRole('button', { name: 'Add this card' }).click();
    refused = page.getByRole('alert').filter({ hasText: 'SHARE_DUPLICATE' });
    await refused.waitFor();
    expect(await refused.innerText()).toContain('card 2 is the same card as card 1');
    pages.push(await pageSnapshot(page));

    // The third card, as a file.
    const cardFile = join(dir, 'share-card-3-of-3.txt');
    writeFileSync(cardFile, text(split.cards[2]!));
    await choose('Add a card file…', cardFile);
    await page.getByText('2 of 2 cards: enough to rebuild the key').waitFor();
    expect(await page.getByRole('table', { name: 'Cards entered so far' }).innerText()).toContain('file share-card-3-of-3.txt');
    pages.push(await pageSnapshot(page));

    await page.getByRole('button', { name: 'Verify the key' }).click();
    const result = page.getByRole('status', { name: 'Verify result' });
    await result.waitFor();
    const shown = await result.innerText();
    expect(shown).toContain('The key matches');
    expect(shown).toContain(`2 cards of split ${formatSplitId(split.splitId)} rebuild the ed25519 key they record: the fingerprint matches; the key was wiped from memory`);
    const words = await result.getByRole('list', { name: 'Fingerprint words, to read aloud' }).getByRole('listitem').allInnerTexts();
    expect(words).toEqual(shortDigest(split.publicKey.fingerprint).words);
    // The cards are cleared once used.
    expect(await page.getByRole('table', { name: 'Cards entered so far' }).count()).toBe(0);
    pages.push(await pageSnapshot(page));
    expect(errors).toEqual([]);
    await page.screenshot({ path: '/tmp/e2e-shamir-recover.png', fullPage: true });
  });
});

describe('Co-sign screen: sign with share cards', () => {
  test('the backup’s custodians enter 2 cards, checked against the request, and sign; the core’s merge accepts the response', async () => {
    const { page, errors, choose } = await session.open('cosign');
    await page.getByRole('heading', { level: 1, name: 'Co-sign' }).waitFor();
    await choose('Signing request…', requestPath);
    await page.getByRole('list', { name: 'Changes in plain words' }).waitFor();
    await page.getByRole('checkbox', { name: /match the ones the administrator read out/ }).check();
    await page.getByRole('radio', { name: 'Sign with share cards' }).check();

    // A card of a key the request has no use for: refused before anything is rebuilt.
    await page.getByLabel('Card 1 text').fill(text(split.cards[0]!));
    await page.getByRole('button', { name: 'Add this card' }).click();
    const stranger = page.getByRole('alert').filter({ hasText: 'ROTATION_SIGNER_UNKNOWN' });
    await stranger.waitFor();
    expect(await stranger.innerText()).toContain('nothing was rebuilt');
    pages.push(await pageSnapshot(page));

    await page.getByLabel('Card 1 text').fill(text(backupCards[1]!));
    await page.getByRole('button', { name: 'Add this card' }).click();
    await page.getByText('1 of 2 cards, need 1 more').waitFor();
    expect(await page.getByRole('note').innerText()).toContain('These cards are shares of Backup’s key in the old and the new root.');
    await expect(page.getByRole('button', { name: 'Sign with these cards' }).isEnabled()).resolves.toBe(false);
    const cardFile = join(dir, 'backup-card-3.txt');
    writeFileSync(cardFile, text(backupCards[2]!));
    await choose('Add a card file…', cardFile);
    await page.getByText('2 of 2 cards: enough to rebuild the key').waitFor();
    pages.push(await pageSnapshot(page));

    await page.getByRole('button', { name: 'Sign with these cards' }).click();
    const done = page.getByRole('status').filter({ hasText: 'Signed: response written' });
    await done.waitFor({ timeout: 60_000 });
    const shown = await done.innerText();
    expect(shown).toContain('Signed as Backup with the key rebuilt from share cards (REHEARSAL cards)');
    expect(shown).toContain('1 of 2 old keys');
    pages.push(await pageSnapshot(page));
    expect(errors).toEqual([]);
    await page.screenshot({ path: '/tmp/e2e-shamir-cosign.png', fullPage: true });

    const written = readdirSync(out).filter((f) => f.startsWith('backup.response-v2-'));
    // The response and its co-sign session transcript beside it (issue #16), named on screen.
    expect(written.sort()).toEqual([`backup.response-v2-${request.requestId.slice(0, 8)}.json`, `backup.response-v2-${request.requestId.slice(0, 8)}.json.transcript.jsonl`]);
    expect(shown).toContain(written[0]!);
    expect(shown).toContain(written[1]!);
    const response = parseSignatureResponse(new Uint8Array(readFileSync(join(out, written[0]!))));
    const merged = mergeResponses(request, [response]);
    expect(merged.previous.signed).toEqual([backupKeyId]);
    expect(merged.new.signed).toEqual([backupKeyId]);
    expect(merged.waitingFor.map((w) => w.name)).toEqual(['Bob', 'Dave']);
  });

  test('part 2 of a request that also revokes tags: the cards’ part and its words are shown and confirmed, and part 2’s bytes are signed', async () => {
    const { page, errors, choose } = await session.open('cosign');
    await page.getByRole('heading', { level: 1, name: 'Co-sign' }).waitFor();
    await choose('Signing request…', revoke.path);
    await page.getByRole('list', { name: 'Changes in plain words' }).waitFor();
    await page.getByRole('checkbox', { name: /I read the changes above, both parts/ }).check();
    await page.getByRole('radio', { name: 'Sign with share cards' }).check();
    await page.getByLabel('Card 1 text').fill(text(revoke.cards[0]!));
    await page.getByRole('button', { name: 'Add this card' }).click();
    await page.getByText('1 of 2 cards, need 1 more').waitFor();
    await page.getByLabel('Card 2 text').fill(text(revoke.cards[2]!));
    await page.getByRole('button', { name: 'Add this card' }).click();
    await page.getByText('2 of 2 cards: enough to rebuild the key').waitFor();

    // The part the cards' key signs, with that part's words (not the review's part-1 words): confirmed before signing.
    const part2 = revoke.request.revokeTags!.payloadSha256;
    const words = shortDigest(part2).words;
    const confirmPart = page.getByRole('checkbox', { name: /You sign part 2 of 2: releases\.json v2/ });
    await confirmPart.waitFor();
    const label = await page.locator('label', { has: confirmPart }).innerText();
    expect(label).toContain(words.slice(0, 4).join(' '));
    expect(label).not.toContain(shortDigest(revoke.request.payloadSha256).words.slice(0, 4).join(' '));
    await expect(page.getByRole('button', { name: 'Sign with these cards' }).isEnabled()).resolves.toBe(false);
    await confirmPart.check();
    pages.push(await pageSnapshot(page));
    await page.getByRole('button', { name: 'Sign with these cards' }).click();
    const done = page.getByRole('status').filter({ hasText: 'Signed: response written' });
    await done.waitFor({ timeout: 60_000 });
    expect(await done.innerText()).toContain('Signed as Rel with the key rebuilt from share cards (REHEARSAL cards)');
    pages.push(await pageSnapshot(page));
    expect(errors).toEqual([]);

    const written = readdirSync(out).filter((n) => n.startsWith('rel.response-') && n.endsWith('.json'));
    expect(written).toHaveLength(1);
    const response = parseSignatureResponse(new Uint8Array(readFileSync(join(out, written[0]!))));
    expect(response.payloadSha256).toBe(part2);
    expect(response.signatures.map((s) => s.keyid)).toEqual([revoke.keyId]);
    // With the targets key's part 1, the merge writes both files.
    expect(mergeResponses(revoke.request, [await signRequest(revoke.request, revoke.f.fx.targets.key), response]).final).toBe(true);
  });

  test('secret scan: no file written and no page shown holds share data (positive control first)', () => {
    const s = secrets();
    const planted = new TextEncoder().encode(`{"x":"${Buffer.from(s.bytes[0]!).toString('hex')}"}`);
    expect(scanForSecrets(planted, s.bytes).length).toBeGreaterThan(0);
    const files = readdirSync(out);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(join(out, f)));
      expect(scanForSecrets(bytes, s.bytes), f).toEqual([]);
      const t = new TextDecoder().decode(bytes);
      for (const line of s.lines) expect(t, f).not.toContain(line);
    }
    expect(pages.length).toBeGreaterThan(4);
    for (const p of pages) {
      for (const line of s.lines) expect(p).not.toContain(line);
      expect(scanForSecrets(new TextEncoder().encode(p), s.bytes)).toEqual([]);
    }
  });
});
