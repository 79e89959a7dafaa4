/**
 * Issue #13, the app's YubiKey parts, on the Root ceremony screen in Chromium, against two emulated
 * YubiKeys driven through the real stack (Debian's ykcs11 → a private pcscd → vpcd →
 * test/support/piv), loaded by the bridge's handlers in this process as main loads them in the app:
 *
 * - **slot confirmation**: the bindings name no slot for Alice's root key; the dialog names the YubiKey
 *   (maker, model, serial), the custodian and the slot in words ("retired slot 82 (retired key management
 *   key 1)"), focus inside it. Decline stops the step with PIV_SLOT_DECLINED's plain message and nothing
 *   is generated on the card; after Resume, Confirm makes the key in slot 82 (the card's own record);
 * - **management key dialog** (bindings: "prompt"): no echo; a wrong key gives its own message
 *   (MANAGEMENT_KEY_INCORRECT's words, nothing written) and is asked again; Bob's factory-default key
 *   raises the loud warning on the screen;
 * - **touch banner by policy**: Alice's slot 82 has touch "always" (a 2.5 s touch on the card) and the
 *   screen says "Touch your YubiKey now" with her serial; Bob's 9d key has touch "never": only its
 *   self-test, before the attestation is read, is announced (saying the policy is not known yet), none of
 *   its later signatures.
 * The dialogs are checked at 1024×700 and 1280×800 (no horizontal overflow, buttons in view) and by axe.
 * No management key or PIN appears on the page or in the outputs.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readAttestationRoots } from '../../src/cli/attestation-options.js';
import { outFiles, outPath } from '../support/ceremony-out.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { buildRotationPayload, buildSigningRequest, serializeSigningRequest } from '../../src/rotation/index.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { makeTestAttestationPki } from '../support/piv/attestation-ca.js';
import { DEFAULT_MANAGEMENT_KEY } from '../support/piv/card.js';
import { startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';
import { axeViolations } from './support/axe.js';
import { startSession, type E2eSession } from './support/session.js';

const YKCS11 = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const enabled = existsSync(YKCS11) && existsSync('/usr/sbin/pcscd');
const ALICE = { serial: '20264001', pin: 'pinA-71x', mgmt: '6b5a49383726150f6b5a49383726150f6b5a49383726150f' };
const BOB = { serial: '20264002', pin: 'pinB-62y' };
const WRONG_MGMT = '00112233445566778899aabbccddeeff0011223344556677';
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;

let dir: string;
let out: string;
let pcscd: PrivatePcscd;
let alice: EmulatedYubiKey;
let bob: EmulatedYubiKey;
let session: E2eSession;
let savedSock: string | undefined;

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tufc-e2e-yubikey-'));
  out = join(dir, 'out');
  const pki = await makeTestAttestationPki('legacy');
  writeFileSync(join(dir, 'test-roots.pem'), pki.rootPem);
  pcscd = await startPcscd(2);
  alice = await startEmulatedYubiKey(pcscd, 0, { serial: Number(ALICE.serial), firmware: [5, 4, 3], pin: ALICE.pin, managementKeyHex: ALICE.mgmt, slotPolicies: { '82': { touch: 'always' } }, touch: { delayMs: 2500, answer: true } }, pki);
  bob = await startEmulatedYubiKey(pcscd, 1, { serial: Number(BOB.serial), firmware: [5, 4, 3], pin: BOB.pin, managementKeyHex: DEFAULT_MANAGEMENT_KEY, slotPolicies: { '9d': { touch: 'never' } } }, pki);
  // ykcs11, loaded by the bridge's handlers in this process, talks to the private pcscd.
  savedSock = process.env.PCSCLITE_CSOCK_NAME;
  process.env.PCSCLITE_CSOCK_NAME = pcscd.socketPath;
  // The custodians' PINs from the environment (bindings { env }): this test is about the YubiKey dialogs.
  process.env.TUFC_E2E_ALICE_PIN = ALICE.pin;
  process.env.TUFC_E2E_BOB_PIN = BOB.pin;
  mkdirSync(join(dir, 'responses'));
  session = await startSession({ chooseOutputDir: async () => out, rotationOutputDir: async () => join(dir, 'responses'), ceremonyDeps: { attestationTrust: await readAttestationRoots(join(dir, 'test-roots.pem')) } });
}, 180_000);

afterAll(async () => {
  if (!enabled) return;
  try {
    await session?.close(); // finalises ykcs11 before its pcscd goes
  } finally {
    await alice?.stop();
    await bob?.stop();
    await pcscd?.stop();
    if (savedSock === undefined) delete process.env.PCSCLITE_CSOCK_NAME;
    else process.env.PCSCLITE_CSOCK_NAME = savedSock;
    delete process.env.TUFC_E2E_ALICE_PIN;
    delete process.env.TUFC_E2E_BOB_PIN;
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

/** A TUF plan: root 2 of 2 (Alice, Bob); Alice also holds targets, snapshot and timestamp in bound slots. */
function writePlan(): { planPath: string; bindingsPath: string } {
  const plan = {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'tuf',
    repository: 'example.com/yubikey/app',
    custodians: [
      { name: 'Alice', token: { serial: ALICE.serial }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-alice' },
      { name: 'Bob', token: { serial: BOB.serial }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-bob' },
    ],
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
    timestamp: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) },
  };
  const planBytes = Buffer.from(JSON.stringify(plan, null, 2) + '\n');
  const planPath = join(dir, 'plan.json');
  writeFileSync(planPath, planBytes);
  const bindings = {
    format: 'tuf-ceremony-site-bindings',
    version: 1,
    planSha256: sha256(planBytes),
    module: { path: YKCS11 },
    custodians: {
      // No slot for Alice's root key: the app proposes one and Alice confirms it.
      Alice: { pin: { env: 'TUFC_E2E_ALICE_PIN' }, piv: { slots: { targets: '9d', snapshot: '9e', timestamp: '83' }, managementKey: 'prompt' } },
      Bob: { pin: { env: 'TUFC_E2E_BOB_PIN' }, piv: { slots: { root: '9d' }, managementKey: 'prompt' } },
    },
  };
  const bindingsPath = join(dir, 'bindings.json');
  writeFileSync(bindingsPath, JSON.stringify(bindings, null, 2));
  return { planPath, bindingsPath };
}

async function inViewport(page: Page, el: Locator): Promise<boolean> {
  const box = await el.boundingBox();
  const vp = page.viewportSize();
  return Boolean(box && vp && box.y >= 0 && box.x >= 0 && box.y + box.height <= vp.height && box.x + box.width <= vp.width);
}

/** At both sizes: no horizontal overflow, and `controls` of the open dialog inside the viewport; then axe. */
async function checkLayout(page: Page, dialog: Locator, controls: string[], what: string): Promise<void> {
  for (const size of [
    { width: 1024, height: 700 },
    { width: 1280, height: 800 },
  ]) {
    await page.setViewportSize(size);
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(scrollWidth, `${what} at ${size.width}×${size.height}`).toBeLessThanOrEqual(innerWidth);
    for (const name of controls) await expect.poll(() => inViewport(page, dialog.getByRole('button', { name })), { timeout: 10_000 }).toBe(true);
  }
  expect(await axeViolations(page), what).toEqual([]);
}

const focusedInside = (dialog: Locator) => dialog.evaluate((el) => document.activeElement !== null && el.contains(document.activeElement));

describe.skipIf(!enabled)('Root ceremony screen on emulated YubiKeys: slot confirmation, management key dialog, touch banner', () => {
  test('decline → PIV_SLOT_DECLINED, nothing generated; resume, confirm → key in slot 82; wrong management key asked again; default key warned; touch banner only for touch "always"', async () => {
    const { planPath, bindingsPath } = writePlan();
    const { page, errors, choose } = await session.open('root');
    // Every "Touch your YubiKey now" banner the screen shows, as it appears (it lasts one signature).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __touch: string[] }).__touch = seen;
      new MutationObserver(() => {
        for (const el of Array.from(document.querySelectorAll('.touch-now'))) {
          const text = (el as HTMLElement).innerText;
          if (!seen.includes(text)) seen.push(text);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('heading', { level: 1, name: 'Root ceremony' }).waitFor();
    await choose('Plan file…', planPath);
    await choose('Site bindings…', bindingsPath);
    await page.getByText('Bindings: bindings.json').waitFor();
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.getByRole('checkbox', { name: /The witnesses compared the words/ }).check();
    await page.getByLabel('Witnesses present (one name per line)').fill('Dana Witness');
    await page.getByRole('button', { name: 'Start the ceremony…' }).click();

    // --- the proposed slot, declined.
    const slotDialog = page.getByRole('dialog', { name: 'Confirm the YubiKey slot for Alice’s root key' });
    await slotDialog.waitFor({ timeout: 120_000 });
    const slotText = await slotDialog.innerText();
    expect(slotText).toContain(ALICE.serial);
    expect(slotText).toMatch(/Yubico/);
    expect(slotText).toMatch(/YubiKey/);
    expect(slotText).toContain('retired slot 82 (retired key management key 1)');
    expect(slotText).not.toContain(BOB.serial);
    expect(await focusedInside(slotDialog)).toBe(true);
    await checkLayout(page, slotDialog, ['Decline', 'Confirm slot 82'], 'slot dialog');
    // Keyboard: Tab cycles inside the dialog; Enter on Decline declines.
    await page.keyboard.press('Tab');
    expect(await focusedInside(slotDialog)).toBe(true);
    await slotDialog.getByRole('button', { name: 'Decline' }).focus();
    await page.keyboard.press('Enter');
    const stopped = page.getByRole('alert').filter({ hasText: 'PIV_SLOT_DECLINED' });
    await stopped.waitFor({ timeout: 60_000 });
    const stoppedText = await stopped.innerText();
    expect(stoppedText).toContain('The custodian did not confirm the YubiKey slot proposed for the key. Nothing was written to the card');
    expect(stoppedText).toContain('the proposed slot 82');
    expect((await alice.events()).events.generated).toEqual([]);
    await expect.poll(() => slotDialog.count()).toBe(0);

    // --- resumed: the same proposal, confirmed; the management keys; the ceremony to the end.
    await stopped.getByRole('button', { name: 'Resume the ceremony' }).click();
    const done = page.getByRole('heading', { name: /Ceremony complete|Rehearsal complete/ });
    const failed = page.getByRole('alert').filter({ hasText: 'Error code' });
    const keyDialog = page.getByRole('dialog', { name: /PIV management key for YubiKey/ });
    let confirmed = false;
    let wrongGiven = false;
    let bobAsked = false;
    for (let guard = 0; guard < 16; guard++) {
      await Promise.race([done.waitFor({ timeout: 180_000 }), slotDialog.waitFor({ timeout: 180_000 }), keyDialog.waitFor({ timeout: 180_000 }), failed.waitFor({ timeout: 180_000 })]);
      if (await done.isVisible()) break;
      if (await failed.isVisible()) throw new Error(`the ceremony stopped: ${await failed.innerText()}`);
      if (await slotDialog.isVisible()) {
        expect(confirmed, 'the slot is proposed once more after the resume, then not again').toBe(false);
        expect(await focusedInside(slotDialog)).toBe(true);
        await slotDialog.getByRole('button', { name: 'Confirm slot 82' }).click();
        await slotDialog.waitFor({ state: 'detached' });
        confirmed = true;
        continue;
      }
      const text = await keyDialog.innerText();
      const field = keyDialog.getByLabel(/^Management key/);
      expect(await field.getAttribute('type')).toBe('password');
      await expect.poll(() => field.evaluate((el) => document.activeElement === el)).toBe(true);
      if (text.includes(ALICE.serial)) {
        expect(text).not.toContain(BOB.serial);
        expect(text).toContain('make Alice’s keys on this YubiKey');
        if (!wrongGiven) {
          wrongGiven = true;
          await checkLayout(page, keyDialog, ['Cancel', 'Use this key'], 'management key dialog');
          await field.pressSequentially(WRONG_MGMT);
          await keyDialog.getByRole('button', { name: 'Use this key' }).click();
          // Its own message, and asked again (not a stopped step); nothing was written to the card.
          const again = page.getByRole('dialog', { name: /^Management key not accepted: PIV management key for YubiKey/ });
          await again.waitFor({ timeout: 60_000 });
          expect(await again.locator('.pin-retry').innerText()).toContain(`(serial ${ALICE.serial}) did not accept the PIV management key; nothing was written to it.`);
          expect(await page.getByRole('alert').filter({ hasText: 'MANAGEMENT_KEY_INCORRECT' }).count()).toBe(0);
          expect(await page.content()).not.toContain(WRONG_MGMT);
          await checkLayout(page, again, ['Stop this step', 'Use this key'], 'management key dialog asked again');
          await again.getByLabel(/^Management key/).pressSequentially(ALICE.mgmt);
          await again.getByRole('button', { name: 'Use this key' }).click();
          await again.waitFor({ state: 'detached' });
          continue;
        }
        await field.pressSequentially(ALICE.mgmt);
      } else {
        expect(text).toContain(BOB.serial);
        bobAsked = true;
        await field.pressSequentially(DEFAULT_MANAGEMENT_KEY);
      }
      await keyDialog.getByRole('button', { name: 'Use this key' }).click();
      await keyDialog.waitFor({ state: 'detached' });
    }
    await done.waitFor();
    expect(confirmed).toBe(true);
    expect(wrongGiven).toBe(true);
    expect(bobAsked).toBe(true);

    // Confirmed slot 82 on Alice's card (the card's own record), Bob's key in the slot his bindings name.
    expect((await alice.events()).events.generated).toEqual(expect.arrayContaining(['82']));
    expect((await bob.events()).events.generated).toEqual(['9d']);
    // Bob's factory-default management key: the loud warning, on the screen.
    const warning = page.getByRole('alert', { name: 'YubiKey warnings' });
    expect(await warning.innerText()).toContain('factory-default PIV management key');
    // Touch, from the progress log (it keeps every notice; a banner lasts one signature): said for Alice's
    // touch-"always" key by its attested policy; for Bob's touch-"never" key only at its self-test, before
    // the attestation said "never" — never for the signatures his key made afterwards (root.json).
    const log = (await page.locator('details.ceremony-log pre').textContent()) ?? '';
    const notices = log.split('\n').filter((l) => l.startsWith('Touch your YubiKey now'));
    const unknown = 'Its touch policy is not known yet';
    expect(notices.some((l) => l.includes(`(serial ${ALICE.serial})`) && !l.includes(unknown)), log).toBe(true);
    expect(notices.filter((l) => l.includes(`(serial ${BOB.serial})`) && !l.includes(unknown)), log).toEqual([]);
    const transcript = verifyTranscript(readFileSync(outPath(out, 'transcript.jsonl')));
    expect(transcript.sealed).toBe(true);
    expect((await bob.events()).events.signatures, 'Bob’s key signed after its self-test').toBeGreaterThan(1);
    // And the banner was on the screen for Alice's key, with her serial.
    const touches = await page.evaluate(() => (window as unknown as { __touch: string[] }).__touch);
    expect(touches.some((t) => t.includes('Touch your YubiKey now') && t.includes(ALICE.serial) && !t.includes(unknown)), JSON.stringify(touches)).toBe(true);

    // No management key or PIN on the page, in the progress log, or in any output.
    const content = await page.content();
    for (const secret of [ALICE.mgmt, WRONG_MGMT, DEFAULT_MANAGEMENT_KEY, ALICE.pin, BOB.pin]) {
      expect(content).not.toContain(secret);
      for (const name of outFiles(out)) expect(readFileSync(join(out, name), 'latin1'), name).not.toContain(secret);
    }
    expect(errors).toEqual([]);
  }, 600_000);
  test('Co-sign: "Touch your YubiKey now" while Alice’s touch-"always" key signs, not while Bob’s touch-"never" key does (policy from the slot attestation)', async () => {
    // Root v2 of the repository the ceremony above made (its keys: Alice's slot 82, Bob's 9d).
    const rootV1 = new Uint8Array(readFileSync(outPath(out, '1.root.json')));
    const payload = buildRotationPayload(rootV1, { expires: formatExpires(new Date(Date.now() + 6 * 365 * 86_400_000)) }, {});
    const requestPath = join(dir, 'request.json');
    writeFileSync(requestPath, serializeSigningRequest(buildSigningRequest(payload, { repository: 'example.com/yubikey/app' })));
    for (const person of [
      { name: 'Alice', serial: ALICE.serial, pin: ALICE.pin, touch: true },
      { name: 'Bob', serial: BOB.serial, pin: BOB.pin, touch: false },
    ]) {
      const { page, errors, choose } = await session.open('cosign');
      await page.getByRole('heading', { level: 1, name: 'Co-sign' }).waitFor();
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { __touch: string[] }).__touch = seen;
        new MutationObserver(() => {
          for (const el of Array.from(document.querySelectorAll('.touch-now'))) {
            const text = (el as HTMLElement).innerText;
            if (!seen.includes(text)) seen.push(text);
          }
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await choose('Signing request…', requestPath);
      await page.getByRole('list', { name: 'Changes in plain words' }).waitFor();
      await page.getByRole('checkbox', { name: /match the ones the administrator read out/ }).check();
      await page.getByRole('radio', { name: /YubiKey \(ykcs11\)/ }).first().check();
      await page.getByRole('button', { name: 'List tokens' }).first().click();
      // The request names no one (built without the transcript's names): its key on this YubiKey is listed first.
      const radio = page.getByRole('radio', { name: new RegExp(`’s key: Token “[^”]*” serial ${person.serial} `) });
      await radio.waitFor({ timeout: 60_000 }).catch(async () => {
        throw new Error(`no key of ${person.name} to pick: ${await page.getByRole('main').innerText()}`);
      });
      await radio.check();
      await page.getByRole('button', { name: 'Check this key' }).click();
      await page.getByRole('status').filter({ hasText: /’s key in the old and the new root\./ }).waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Sign with this key…' }).click();
      const dialog = page.getByRole('dialog', { name: /^PIN for token/ });
      await dialog.waitFor();
      expect(await dialog.innerText()).toContain(person.serial);
      await dialog.getByLabel('PIN', { exact: true }).pressSequentially(person.pin);
      await dialog.getByRole('button', { name: 'Sign' }).click();
      const banner = page.getByRole('alert').filter({ hasText: 'Touch your YubiKey now' });
      // Alice's card waits 2.5 s for the touch: the banner is on screen meanwhile, naming her YubiKey.
      if (person.touch) expect(await banner.innerText({ timeout: 60_000 })).toContain(`(serial ${person.serial})`);
      const done = page.getByRole('status').filter({ hasText: 'Signed: response written' });
      await done.waitFor({ timeout: 120_000 });
      expect(await done.innerText()).toContain(`on token serial ${person.serial}`);
      const touches = await page.evaluate(() => (window as unknown as { __touch: string[] }).__touch);
      if (person.touch) expect(touches.some((t) => t.includes(person.serial)), JSON.stringify(touches)).toBe(true);
      else expect(touches, 'no touch banner for a touch-"never" key').toEqual([]);
      expect(await page.content()).not.toContain(person.pin);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  }, 300_000);
});
