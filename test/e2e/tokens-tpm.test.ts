/**
 * The Tokens screen and the PIN dialog, in Chromium, on tpm2-pkcs11 over a software TPM (issue #11: the
 * Tokens screen e2e once on the TPM module; test/e2e/tokens.test.ts is the SoftHSM2 run). Two tokens made by
 * tpm2_ptool (test/support/swtpm.ts) — both with serial 0000000000000000, as on every TPM — and a person's
 * steps: choose the module file in main's dialog, list, see both tokens told apart by label, the shared
 * serial and the software TPM said in words; generate a P-256 key on the *second* token (the one a
 * serial-only lookup would miss) with its PIN, the fingerprint on screen equal to the key read back from
 * that token through the core; a wrong PIN, said with the TPM's shared dictionary-attack counter.
 *
 * The module reads TPM2_PKCS11_TCTI / TPM2_PKCS11_STORE / DBUS_SESSION_BUS_ADDRESS when it is initialised,
 * in this process (where the bridge's IPC handlers load it, as main does in the app): set before the first
 * Tokens call.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bytesToWords, groupHex, SHORT_DIGEST_BYTES } from '../../src/crypto/digest-words.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { applyEnv } from '../support/daemons.js';
import { startSoftTpm, type SoftTpm } from '../support/swtpm.js';
import { startSession, type E2eSession } from './support/session.js';

const TOKENS = [
  { label: 'tpm-alice', pin: '2468-tpm-A', soPin: 'so-tpm-13579' },
  { label: 'tpm-bob', pin: '1357-tpm-B', soPin: 'so-tpm-24680' },
];
const WRONG_PIN = '9999-wrong';
const SCREENSHOT = '/tmp/e2e-tokens-tpm.png';

let tpm: SoftTpm;
let restoreEnv: () => void;
let session: E2eSession;

beforeAll(async () => {
  tpm = await startSoftTpm(TOKENS);
  restoreEnv = applyEnv(tpm.env);
  session = await startSession({ chooseModuleFile: async () => tpm.modulePath });
}, 240_000);

afterAll(async () => {
  await session?.close(); // finalises the module the handlers loaded
  restoreEnv?.();
  await tpm?.stop();
}, 120_000);

function tokenCard(page: Page, label: string): Locator {
  return page.locator('section.token-card').filter({ has: page.getByRole('heading', { level: 2, name: `Token “${label}”` }) });
}

async function listTpm(page: Page): Promise<void> {
  await page.getByRole('radio', { name: /Another PKCS#11 library/ }).check();
  await page.getByRole('button', { name: 'Choose module file…' }).click();
  await page.locator('.chosen-module').getByText(tpm.modulePath).waitFor();
  await page.getByRole('button', { name: /^List tokens/ }).click();
  await tokenCard(page, 'tpm-bob').waitFor({ timeout: 60_000 });
}

async function askToGenerate(page: Page, card: Locator, label: string, keyLabel: string): Promise<Locator> {
  const open = card.getByRole('button', { name: 'Generate a key on this token…' });
  if (await open.count()) await open.click();
  await card.getByLabel('Key type').selectOption('ecdsa-p256');
  await card.getByLabel('Key label').fill(keyLabel);
  await card.getByRole('button', { name: 'Generate key…' }).click();
  const dialog = page.getByRole('dialog', { name: `PIN for token “${label}”` });
  await dialog.waitFor();
  return dialog;
}

describe('Tokens screen on tpm2-pkcs11 (swtpm)', () => {
  test('two tokens with one serial told apart by label; a P-256 key made on the second with its PIN, its fingerprint the one on that token', async () => {
    const { page, errors } = await session.open('tokens');
    await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
    await listTpm(page);

    const summary = await page.getByRole('region', { name: 'Module loaded' }).innerText();
    expect(summary).toContain(tpm.modulePath);
    for (const t of TOKENS) {
      const text = await tokenCard(page, t.label).innerText();
      expect(text).toContain('0000000000000000');
      // Issue #11: the shared serial and the software TPM said in words on the card.
      expect(text).toMatch(/serial not unique/i);
      expect(text).toMatch(/swtpm|software TPM/i);
      expect(text).toMatch(/Can make\s+ECDSA P-256/i);
    }

    const bob = tokenCard(page, 'tpm-bob');
    const dialog = await askToGenerate(page, bob, 'tpm-bob', 'root-tpm-bob');
    expect(await dialog.innerText()).toContain('“tpm-bob”');
    await dialog.getByLabel('PIN', { exact: true }).pressSequentially(TOKENS[1]!.pin);
    await page.keyboard.press('Enter');
    const made = page.getByRole('status').filter({ hasText: 'New key made on token' });
    await made.waitFor({ timeout: 90_000 });
    const madeText = await made.innerText();
    expect(madeText).toContain('New key made on token “tpm-bob” (serial 0000000000000000)');
    expect(madeText).toContain('signature verified with the public key');

    // The key is on tpm-bob (not tpm-alice), read back through the core.
    const mod = await TokenModule.load(tpm.modulePath); // the instance the handlers loaded
    const s = await mod.openToken({ serial: tpm.serial, label: 'tpm-bob' });
    let fp: string;
    try {
      await s.login(new TextEncoder().encode(TOKENS[1]!.pin));
      fp = (await s.findKey({ label: 'root-tpm-bob' })).fingerprint;
    } finally {
      await s.close();
    }
    expect(madeText).toContain(groupHex(fp));
    const words = await made.getByRole('list', { name: 'Fingerprint words, to read aloud' }).getByRole('listitem').allInnerTexts();
    expect(words).toEqual(bytesToWords(Uint8Array.from(Buffer.from(fp.slice(0, SHORT_DIGEST_BYTES * 2), 'hex'))));
    expect(await page.content()).not.toContain(TOKENS[1]!.pin);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
  });

  test('a wrong PIN on tpm-alice: "Wrong PIN", said with the TPM’s shared counter; no key made', async () => {
    const { page, errors } = await session.open('tokens');
    await listTpm(page);
    const alice = tokenCard(page, 'tpm-alice');
    try {
      const dialog = await askToGenerate(page, alice, 'tpm-alice', 'root-tpm-alice');
      await dialog.getByLabel('PIN', { exact: true }).pressSequentially(WRONG_PIN);
      await dialog.getByRole('button', { name: 'Use PIN and generate key' }).click();
      const alert = alice.getByRole('alert').filter({ hasText: 'Wrong PIN' });
      await alert.waitFor({ timeout: 60_000 });
      const text = await alert.innerText();
      expect(text).toContain('PIN_INCORRECT');
      expect(text).toContain('tpm-alice');
      expect(text).toMatch(/TPM/);
      expect(await page.content()).not.toContain(WRONG_PIN);
      expect((await tpm.lockoutCounter()).counter).toBe(1);
      await page.getByRole('button', { name: /^List tokens/ }).click();
      await expect(alice.getByRole('row').filter({ hasText: 'root-tpm-alice' }).count()).resolves.toBe(0);
    } finally {
      await tpm.clearLockout();
    }
    expect(errors).toEqual([]);
  });
});
