/**
 * The Tokens screen and the PIN dialog, in Chromium, against a real SoftHSM2 token: the test initialises
 * a token under a temp dir (softhsm2-util, SOFTHSM2_CONF set in this process before any module loads —
 * the bridge's IPC handlers run in this process, as main does in the app), then a person's steps: choose
 * SoftHSM2, list, see the token and its serial, generate a P-256 key with the PIN, read the fingerprint
 * (hex and words) — checked against the key read back from the token through the core — and a wrong PIN.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bytesToWords, groupHex, SHORT_DIGEST_BYTES } from '../../src/crypto/digest-words.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { expectRevealed } from './support/in-view.js';
import { startSession, type E2eSession } from './support/session.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const LABEL = 'custodian-1';
const PIN = '2468-Ab';
const WRONG_PIN = '9999-Zz';
const SO_PIN = '13572468';
const SCREENSHOT = '/tmp/e2e-tokens.png';
const SCREENSHOT_PIN = '/tmp/e2e-tokens-pin.png';
const SCREENSHOT_WRONG = '/tmp/e2e-tokens-wrong-pin.png';

let dir: string;
let serial: string;
let session: E2eSession;
/** What main's module file dialog answers next ("Choose module file…"). */
let moduleFile: string | undefined;

/** The serial softhsm2-util reports for the token labelled `label` (independently of our core). */
function serialOf(label: string): string {
  const out = execFileSync('softhsm2-util', ['--show-slots'], { encoding: 'utf8', env: process.env });
  const blocks = out.split(/\n(?=Slot )/);
  const block = blocks.find((b) => new RegExp(`Label:\\s+${label}\\s*$`, 'm').test(b));
  const m = block && /Serial number:\s+(\S+)/.exec(block);
  if (!m) throw new Error(`no token ${label} in:\n${out}`);
  return m[1]!;
}

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2`);
  dir = mkdtempSync(join(tmpdir(), 'tufc-e2e-tokens-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  // Read by SoftHSM at C_Initialize, in this process (where the bridge's handlers load it) and by softhsm2-util.
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', LABEL, '--pin', PIN, '--so-pin', SO_PIN], { env: process.env, stdio: 'pipe' });
  serial = serialOf(LABEL);
  session = await startSession({ chooseModuleFile: async () => moduleFile });
});

afterAll(async () => {
  await session?.close(); // finalises the module the handlers loaded
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function tokenCard(page: Page, label: string): Locator {
  return page.locator('section.token-card').filter({ has: page.getByRole('heading', { level: 2, name: `Token “${label}”` }) });
}

async function listSoftHsm(page: Page): Promise<Locator> {
  await page.getByRole('radio', { name: /SoftHSM2/ }).check();
  await page.getByRole('button', { name: /^List tokens/ }).click();
  const card = tokenCard(page, LABEL);
  await card.waitFor();
  return card;
}

/** Open the generate form on the card, fill it, and press "Generate key…": the PIN dialog opens. */
async function askToGenerate(page: Page, card: Locator, keyLabel: string): Promise<Locator> {
  const open = card.getByRole('button', { name: 'Generate a key on this token…' });
  if (await open.count()) await open.click();
  await card.getByLabel('Key type').selectOption('ecdsa-p256');
  await card.getByLabel('Key label').fill(keyLabel);
  await card.getByRole('button', { name: 'Generate key…' }).click();
  const dialog = page.getByRole('dialog', { name: `PIN for token “${LABEL}”` });
  await dialog.waitFor();
  return dialog;
}

/** The key's fingerprint read back from the token through the core, not through the screen. */
async function fingerprintOnToken(keyLabel: string): Promise<string> {
  const mod = await TokenModule.load(SOFTHSM); // the instance the handlers loaded (one per path per process)
  const s = await mod.openToken({ serial, label: LABEL });
  try {
    await s.login(new TextEncoder().encode(PIN));
    return (await s.findKey({ label: keyLabel })).fingerprint;
  } finally {
    await s.close();
  }
}

describe('Tokens screen with a SoftHSM2 token', () => {
  test('list, see the token and its serial; generate a P-256 key with the PIN; read its fingerprint in hex and words', async () => {
    const { page, errors } = await session.open('tokens');
    await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
    const card = await listSoftHsm(page);

    // The module and the token, as a custodian reads them.
    const summary = await page.getByRole('region', { name: 'Module loaded' }).innerText();
    expect(summary).toContain(SOFTHSM);
    expect(summary).toContain('REHEARSAL ONLY');
    const cardText = await card.innerText();
    expect(cardText).toContain(serial);
    expect(cardText).toContain('SoftHSM');
    expect(cardText).toContain('PIN set');
    expect(cardText).toMatch(/Can make\s+ECDSA P-256, ECDSA P-384, Ed25519, RSA-PSS/i);
    expect(cardText).toContain('No keys visible without the PIN');

    // The PIN dialog names the token (label and serial) before asking, and is a real modal.
    const dialog = await askToGenerate(page, card, 'root-custodian-1');
    await expect(dialog.getAttribute('aria-modal')).resolves.toBe('true');
    const dialogText = await dialog.innerText();
    expect(dialogText).toContain(`“${LABEL}”`);
    expect(dialogText).toContain(serial);
    expect(dialogText).toContain('generate an ECDSA P-256 key labelled “root-custodian-1”');
    expect(dialogText).toContain('REHEARSAL');
    const pin = dialog.getByLabel('PIN', { exact: true });
    await expect(pin.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await expect(pin.getAttribute('type')).resolves.toBe('password');
    await expect(pin.getAttribute('autocomplete')).resolves.toBe('off');
    await expect(pin.getAttribute('spellcheck')).resolves.toBe('false');
    // Focus stays inside the dialog, both ways round.
    for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      await expect(page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).resolves.toBe(true);
    }
    await pin.focus();
    await pin.pressSequentially(PIN);
    await page.screenshot({ path: SCREENSHOT_PIN });
    // The PIN is never shown: not as text anywhere on the page.
    expect(await page.locator('body').innerText()).not.toContain(PIN);
    await page.keyboard.press('Enter');

    const made = page.getByRole('status').filter({ hasText: 'New key made on token' });
    await made.waitFor({ timeout: 60_000 });
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    const madeText = await made.innerText();
    expect(madeText).toContain(`New key made on token “${LABEL}” (serial ${serial})`);
    expect(madeText).toContain('ECDSA P-256 key labelled “root-custodian-1”');
    expect(madeText).toContain('signature verified with the public key');

    // The fingerprint on screen is the one of the key on the token, read back through the core.
    const fp = await fingerprintOnToken('root-custodian-1');
    expect(madeText).toContain(groupHex(fp));
    const short = fp.slice(0, SHORT_DIGEST_BYTES * 2); // the short digest read aloud (src/crypto/digest-words.ts)
    expect(madeText).toContain(groupHex(short));
    const words = await made.getByRole('list', { name: 'Fingerprint words, to read aloud' }).getByRole('listitem').allInnerTexts();
    expect(words).toEqual(bytesToWords(Uint8Array.from(Buffer.from(short, 'hex'))));

    // The list is refreshed: the key is on the token, shown without the PIN.
    const row = card.getByRole('table', { name: `Keys on token ${LABEL}` }).getByRole('row').filter({ hasText: 'root-custodian-1' });
    await row.waitFor();
    expect(await row.innerText()).toContain(groupHex(fp.slice(0, 32)));
    // Nothing of the PIN anywhere in the page after use.
    expect(await page.content()).not.toContain(PIN);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
  });

  test('a wrong PIN: the "wrong PIN" message, no key made, and the dialog empty when it opens again', async () => {
    const { page, errors } = await session.open('tokens');
    const card = await listSoftHsm(page);

    // Cancelled with Escape: the dialog goes away and takes what was typed with it.
    let dialog = await askToGenerate(page, card, 'root-custodian-1b');
    await dialog.getByLabel('PIN', { exact: true }).pressSequentially(WRONG_PIN);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await expect(page.locator('input[type=password]').count()).resolves.toBe(0);

    dialog = await askToGenerate(page, card, 'root-custodian-1b');
    await expect(dialog.getByLabel('PIN', { exact: true }).inputValue()).resolves.toBe('');
    await dialog.getByLabel('PIN', { exact: true }).pressSequentially(WRONG_PIN);
    await dialog.getByRole('button', { name: 'Use PIN and generate key' }).click();

    const alert = card.getByRole('alert').filter({ hasText: 'Wrong PIN' });
    await alert.waitFor({ timeout: 60_000 });
    const text = await alert.innerText();
    expect(text).toContain('PIN_INCORRECT');
    expect(text).toContain(`token "${LABEL}" (serial ${serial}) did not accept the PIN`);
    expect(text).toContain('Wrong PIN: the token did not accept it. Check the PIN');
    expect(text).toContain('No key was made.');
    // The outcome is in front of the custodian: heading focused, reason and retry in view (issue #16).
    await expectRevealed(page, alert, 'Try the PIN again…');
    // The dialog is closed and its field is gone with it.
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await expect(page.locator('input[type=password]').count()).resolves.toBe(0);
    expect(await page.content()).not.toContain(WRONG_PIN);
    // The card now shows what the token says about its PIN after the wrong try (SoftHSM2 sets
    // CKF_USER_PIN_COUNT_LOW; it never locks).
    await card.locator('.pin-status').filter({ hasText: 'PIN: few tries left' }).waitFor();
    await page.screenshot({ path: SCREENSHOT_WRONG, fullPage: true });

    // Trying again opens a fresh, empty dialog that says the last PIN was not accepted.
    await alert.getByRole('button', { name: 'Try the PIN again…' }).click();
    dialog = page.getByRole('dialog', { name: `PIN for token “${LABEL}”` });
    await dialog.waitFor();
    await expect(dialog.getByLabel('PIN', { exact: true }).inputValue()).resolves.toBe('');
    expect(await dialog.innerText()).toContain('The last PIN was not accepted');
    expect(await dialog.innerText()).toContain('few tries are left before the PIN locks');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);

    // No key was made under that label.
    await page.getByRole('button', { name: /^List tokens/ }).click();
    await expect(card.getByRole('row').filter({ hasText: 'root-custodian-1b' }).count()).resolves.toBe(0);
    expect(errors).toEqual([]);
  });

  test('another library, chosen in main’s file dialog: a missing one is not found, said in words; SoftHSM2 by its file lists the token', async () => {
    const { page, errors } = await session.open('tokens');
    await page.getByRole('radio', { name: /Another PKCS#11 library/ }).check();
    // No path field: nothing to list until a file is chosen in the dialog.
    await expect(page.getByRole('textbox').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /^List tokens/ }).isDisabled()).resolves.toBe(true);
    // A cancelled dialog chooses nothing.
    moduleFile = undefined;
    await page.getByRole('button', { name: 'Choose module file…' }).click();
    await expect(page.getByRole('button', { name: /^List tokens/ }).isDisabled()).resolves.toBe(true);
    // A file that is not a shared library is refused by main, before anything is loaded.
    moduleFile = '/etc/passwd';
    await page.getByRole('button', { name: 'Choose module file…' }).click();
    const notLib = page.getByRole('alert').filter({ hasText: 'That file cannot be used as a module' });
    await notLib.waitFor();
    expect(await notLib.innerText()).toContain('TOKEN_MODULE_INVALID');

    moduleFile = '/nonexistent/lib/libpkcs11-missing.so';
    await page.getByRole('button', { name: 'Choose module file…' }).click();
    await page.getByText('/nonexistent/lib/libpkcs11-missing.so').waitFor();
    await page.getByRole('button', { name: /^List tokens/ }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not list the tokens' });
    await alert.waitFor();
    const text = await alert.innerText();
    expect(text).toContain('TOKEN_MODULE_NOT_FOUND');
    expect(text).toContain('/nonexistent/lib/libpkcs11-missing.so');
    expect(text).toContain('not installed on this computer, or the path is wrong');

    // The same SoftHSM2 library, chosen by its file, lists the same token.
    moduleFile = SOFTHSM;
    await page.getByRole('button', { name: 'Choose module file…' }).click();
    await page.locator('.chosen-module').getByText(SOFTHSM).waitFor();
    await page.getByRole('button', { name: /^List tokens/ }).click();
    await tokenCard(page, LABEL).waitFor();
    expect(await tokenCard(page, LABEL).innerText()).toContain(serial);
    expect(errors).toEqual([]);
  });
});
