/**
 * PRODUCT.md §2.3 / issue #4 acceptance "the wizard runs a 2-of-3 ceremony on SoftHSM2 tokens through the
 * screens, and the printed share card PDF renders (checked as an image)": three SoftHSM2 tokens made by
 * softhsm2-util under a temp dir (SOFTHSM2_CONF set in this process before the bridge's handlers load the
 * module, as main would), a reviewed TUF plan naming the tokens by serial (root 2 of 3 custodians + a
 * Shamir-split backup key), site bindings with the module path and every PIN "prompt". Then a person's
 * steps on the Root ceremony screen: open the plan and bindings, read the intent hash words, start, and
 * answer each PIN dialog after checking that it names the right token (label and serial) — the first
 * answer is a wrong PIN (at 1024×700): the dialog asks again, with the reason ("not accepted", what the
 * token says of the tries left) and the PIN field in view and focused (issue #16); "Stop this step" there
 * stops it with the reason and Resume in view (at 1280×800); resume asks again, that ask is cancelled and
 * asked once more ("no PIN was entered"), and the right PINs finish the ceremony. The outputs are listed; "Print share cards…" hands the HTML over (the bridge's
 * print), which is printed to PDF in Chromium and rasterised by poppler: one non-blank page per card.
 */
import { outFiles, outPath } from '../support/ceremony-out.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyTranscript } from '../../src/audit/verify.js';
import { intentHash } from '../../src/ceremony/plan-hash.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { startSession, type E2eSession } from './support/session.js';
import { expectPinReasked, expectRevealed } from './support/in-view.js';

/** pngjs (a dependency of qrcode; no types installed): just what is read here. */
interface DecodedPng {
  width: number;
  height: number;
  data: Uint8Array;
}
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: { read(buffer: Buffer): DecodedPng } } };

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const SO_PIN = '87654321';
const CUSTODIANS = [
  { name: 'Alice', label: 'ceremony-alice', pin: 'alice-5521-x' },
  { name: 'Bob', label: 'ceremony-bob', pin: 'bob-6632-y' },
  { name: 'Carol', label: 'ceremony-carol', pin: 'carol-7743-z' },
] as const;
const WRONG_PIN = 'not-the-pin-0000';
const REPOSITORY = 'example.com/ceremony/softhsm';
const SCREENSHOT = '/tmp/e2e-ceremony-softhsm.png';
const SCREENSHOT_PIN = '/tmp/e2e-ceremony-softhsm-pin.png';
const SCREENSHOT_WRONG = '/tmp/e2e-ceremony-softhsm-wrong-pin.png';

let dir: string;
let out: string;
let session: E2eSession;
const serials: Record<string, string> = {};
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The serial softhsm2-util reports for the token labelled `label` (independently of our core). */
function serialOf(label: string): string {
  const text = execFileSync('softhsm2-util', ['--show-slots'], { encoding: 'utf8', env: process.env });
  const block = text.split(/\n(?=Slot )/).find((b) => new RegExp(`Label:\\s+${label}\\s*$`, 'm').test(b));
  const m = block && /Serial number:\s+(\S+)/.exec(block);
  if (!m) throw new Error(`no token ${label} in:\n${text}`);
  return m[1]!;
}

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2`);
  dir = mkdtempSync(join(tmpdir(), 'tufc-e2e-ceremony-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  // Read by SoftHSM at C_Initialize: in this process (where the bridge's handlers load it) and by softhsm2-util.
  process.env.SOFTHSM2_CONF = conf;
  for (const c of CUSTODIANS) {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', c.label, '--pin', c.pin, '--so-pin', SO_PIN], { env: process.env, stdio: 'pipe' });
    serials[c.label] = serialOf(c.label);
  }
  out = join(dir, 'out');
  session = await startSession({ chooseOutputDir: async () => out });
});

afterAll(async () => {
  await session?.close(); // finalises the module the handlers loaded
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A reviewed TUF plan on the three tokens (by serial), a Shamir backup; bindings: the module path, PINs asked. */
function writePlan(): { planPath: string; bindingsPath: string; planBytes: Uint8Array } {
  const plan = {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'tuf',
    repository: REPOSITORY,
    custodians: CUSTODIANS.map((c) => ({ name: c.name, token: { serial: serials[c.label] }, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${c.name.toLowerCase()}` })),
    root: { threshold: 2, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
    timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) },
    shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' },
  };
  const planBytes = new Uint8Array(Buffer.from(JSON.stringify(plan, null, 2) + '\n'));
  const planPath = join(dir, 'plan.json');
  writeFileSync(planPath, planBytes);
  const bindings = {
    format: 'tuf-ceremony-site-bindings',
    version: 1,
    planSha256: sha256(planBytes),
    module: { path: SOFTHSM },
    custodians: Object.fromEntries(CUSTODIANS.map((c) => [c.name, { pin: 'prompt' }])),
  };
  const bindingsPath = join(dir, 'bindings.json');
  writeFileSync(bindingsPath, JSON.stringify(bindings, null, 2));
  return { planPath, bindingsPath, planBytes };
}

/** Mean and variance of the grey level of a decoded PNG (0–255). */
function greyStats(png: DecodedPng): { mean: number; variance: number } {
  let sum = 0;
  let sq = 0;
  const n = png.width * png.height;
  for (let i = 0; i < n; i++) {
    const g = (png.data[i * 4]! + png.data[i * 4 + 1]! + png.data[i * 4 + 2]!) / 3;
    sum += g;
    sq += g * g;
  }
  const mean = sum / n;
  return { mean, variance: sq / n - mean * mean };
}

describe('Root ceremony screen: a 2-of-3 ceremony on three SoftHSM2 tokens', () => {
  test('plan and hash words, each PIN in the dialog naming its token (one wrong, then resumed), done, outputs; the share cards print to a PDF that renders', async () => {
    const { planPath, bindingsPath, planBytes } = writePlan();
    const { page, errors, choose } = await session.open('root');
    await page.getByRole('heading', { level: 1, name: 'Root ceremony' }).waitFor();
    await choose('Plan file…', planPath);
    await choose('Site bindings…', bindingsPath);
    await page.getByText('Bindings: bindings.json').waitFor();
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.getByRole('heading', { name: 'Plan intent hash — compare with the reviewed copy' }).waitFor();

    // The words shown are those of the plan file's SHA-256; the plan names the custodians and the threshold.
    const words = await page.getByRole('list', { name: 'Plan hash words, to read aloud' }).getByRole('listitem').allInnerTexts();
    expect(words).toEqual(intentHash(planBytes).words);
    const shown = await page.getByRole('main').innerText();
    expect(shown).toContain(intentHash(planBytes).grouped);
    expect(shown).toMatch(/Root threshold\s+2 of 4/i);
    for (const c of CUSTODIANS) {
      expect(shown).toContain(c.name);
      expect(shown).toContain(serials[c.label]!);
    }
    expect(shown).not.toContain('REHEARSAL on');

    await page.setViewportSize({ width: 1024, height: 700 });
    // The witnessed start (issue #16): the words compared, a witness named; both into the transcript.
    expect(await page.getByRole('button', { name: 'Start the ceremony…' }).isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: /The witnesses compared the words/ }).check();
    await page.getByLabel('Witnesses present (one name per line)').fill('Dana Witness');
    await page.getByRole('button', { name: 'Start the ceremony…' }).click();

    const asked: string[] = [];
    let wrongGiven = false;
    let cancelGiven = false;
    const done = page.getByRole('heading', { name: /Ceremony complete/ });
    const dialog = page.getByRole('dialog', { name: /PIN for token/ });
    for (let guard = 0; guard < 12; guard++) {
      await Promise.race([done.waitFor({ timeout: 90_000 }), dialog.waitFor({ timeout: 90_000 })]);
      if (await done.isVisible()) break;
      // The dialog names the token in front of the custodian, label and serial, before the PIN is typed.
      const title = (await dialog.getByRole('heading', { level: 2 }).innerText()).trim();
      const custodian = CUSTODIANS.find((c) => title.endsWith(`PIN for token “${c.label}”`));
      expect(custodian, title).toBeDefined();
      const text = await dialog.innerText();
      expect(text).toContain(serials[custodian!.label]!);
      expect(text).toContain(`log in as ${custodian!.name} for the root ceremony`);
      for (const other of CUSTODIANS.filter((c) => c !== custodian)) expect(text).not.toContain(serials[other.label]!);
      asked.push(custodian!.name);
      const pin = dialog.getByLabel('PIN', { exact: true });
      if (!wrongGiven) {
        wrongGiven = true;
        await page.screenshot({ path: SCREENSHOT_PIN });
        await pin.pressSequentially(WRONG_PIN);
        await dialog.getByRole('button', { name: 'Log in and continue' }).click();
        // Not a failed step (issue #16): the dialog asks again, saying why and what the token says of the
        // tries left; the reason and the PIN field are in view, the field focused (at 1024×700).
        const again = page.getByRole('dialog', { name: `PIN not accepted: PIN for token “${custodian!.label}”` });
        await again.waitFor({ timeout: 60_000 });
        asked.push(custodian!.name);
        const reason = await again.locator('.pin-retry').innerText();
        expect(reason).toContain(`The PIN was not accepted by token "${custodian!.label}" (serial ${serials[custodian!.label]}).`);
        // SoftHSM2 never locks but raises CKF_USER_PIN_COUNT_LOW after a wrong PIN: the count is not known.
        expect(reason).toMatch(/The token (says few tries are left|does not say how many tries are left)/);
        expect(await page.getByRole('alert').filter({ hasText: 'PIN_INCORRECT' }).count()).toBe(0);
        await page.screenshot({ path: SCREENSHOT_WRONG });
        await expectPinReasked(page, again, 'Log in and continue');
        expect(await page.content()).not.toContain(WRONG_PIN);
        // The custodian stops here: the step stops before the token is used; resume asks again.
        await page.setViewportSize({ width: 1280, height: 800 });
        await again.getByRole('button', { name: 'Stop this step' }).click();
        const stopped = page.getByRole('alert').filter({ hasText: 'TOKEN_LOGIN_REQUIRED' });
        await stopped.waitFor({ timeout: 60_000 });
        expect(await stopped.innerText()).toContain(`${custodian!.name}'s PIN was not given`);
        await expectRevealed(page, stopped, 'Resume the ceremony');
        await stopped.getByRole('button', { name: 'Resume the ceremony' }).click();
        continue;
      }
      if (!cancelGiven) {
        cancelGiven = true;
        await page.setViewportSize({ width: 1024, height: 700 });
        // A cancel is asked once more, saying no PIN was entered; then the right PIN goes on.
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        const again = page.getByRole('dialog', { name: `No PIN entered: PIN for token “${custodian!.label}”` });
        await again.waitFor({ timeout: 60_000 });
        asked.push(custodian!.name);
        expect(await again.locator('.pin-retry').innerText()).toContain(`No PIN was entered for token "${custodian!.label}"`);
        await expectPinReasked(page, again, 'Log in and continue');
        await again.getByLabel('PIN', { exact: true }).pressSequentially(custodian!.pin);
        await again.getByRole('button', { name: 'Log in and continue' }).click();
        await again.waitFor({ state: 'detached' });
        await page.setViewportSize({ width: 1280, height: 800 });
        continue;
      }
      await pin.pressSequentially(custodian!.pin);
      await dialog.getByRole('button', { name: 'Log in and continue' }).click();
      await dialog.waitFor({ state: 'detached' });
    }
    await done.waitFor();
    expect(wrongGiven).toBe(true);
    expect(cancelGiven).toBe(true);
    // Every custodian asked; the first one four times (wrong, asked again and stopped, cancelled, asked again and given).
    expect(new Set(asked)).toEqual(new Set(CUSTODIANS.map((c) => c.name)));
    expect(asked).toHaveLength(6);
    expect(asked.slice(0, 4)).toEqual([asked[0], asked[0], asked[0], asked[0]]);

    // Steps all done, outputs listed with their hashes.
    const checklist = await page.getByRole('list', { name: 'Ceremony checklist' }).getByRole('listitem').allInnerTexts();
    for (const item of checklist) expect(item).toMatch(/done$/i);
    const names = await page.locator('table.outputs tbody tr th').allInnerTexts();
    expect(names).toEqual(
      expect.arrayContaining(['metadata/root.json', 'metadata/1.root.json', 'metadata/targets.json', 'metadata/snapshot.json', 'metadata/timestamp.json', 'state/transcript.jsonl', 'secret/share-card-1-of-3.txt', 'secret/share-cards.html']),
    );
    const shortRoot = sha256(readFileSync(outPath(out, 'root.json'))).slice(0, 32).match(/.{4}/g)!.join(' ');
    expect(await page.locator('table.outputs tbody tr').filter({ hasText: 'metadata/root.json' }).first().innerText()).toContain(shortRoot);

    // What the screen reported is what is on disk: the repository verifies, the transcript is sealed and
    // records each token by serial; SoftHSM2 makes it a rehearsal, and the screen's transcript says so.
    const read = (n: string) => new Uint8Array(readFileSync(outPath(out, n)));
    const root = read('root.json');
    const v = verifyRepository({ versionedRoots: new Map(), root, targets: read('targets.json'), snapshot: read('snapshot.json'), timestamp: read('timestamp.json'), delegated: new Map() }, { trustedRoot: root, now: new Date() });
    expect(v.root.signed.roles.get('root')!.threshold).toBe(2);
    const t = verifyTranscript(read('transcript.jsonl'));
    expect(t.sealed).toBe(true);
    expect(t.entries.find((e) => e.step === 'plan.review')!.witnesses.map((w) => w.name)).toEqual(['Dana Witness']);
    expect(t.entries.filter((e) => e.step === 'token.check').map((e) => e.token!.serial)).toEqual(CUSTODIANS.map((c) => serials[c.label]));
    expect(await page.locator('section[aria-labelledby="transcript-h"]').innerText()).toContain('REHEARSAL');
    for (const name of outFiles(out)) for (const c of CUSTODIANS) expect(readFileSync(join(out, name), 'latin1'), name).not.toContain(c.pin);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // --- Print share cards: the bridge hands back the HTML the app would print; Chromium prints it to PDF.
    await page.getByRole('button', { name: 'Print share cards…' }).click();
    await page.getByText(/Share cards document ready for printing/).waitFor();
    expect(session.printed).toHaveLength(1);
    const html = session.printed[0]!;
    expect(html).toBe(readFileSync(join(out, 'secret', 'share-cards.html'), 'utf8'));
    const printPage = await session.browser.newPage();
    try {
      await printPage.setContent(html, { waitUntil: 'load' });
      writeFileSync(join(dir, 'share-cards.pdf'), await printPage.pdf({ preferCSSPageSize: true, printBackground: true }));
    } finally {
      await printPage.close();
    }
    const pngDir = join(dir, 'pages');
    mkdirSync(pngDir);
    execFileSync('pdftoppm', ['-png', '-r', '50', join(dir, 'share-cards.pdf'), join(pngDir, 'card')]);
    const pngs = readdirSync(pngDir).filter((f) => f.endsWith('.png')).sort();
    expect(pngs).toHaveLength(3); // one page per card
    for (const f of pngs) {
      const png = PNG.sync.read(readFileSync(join(pngDir, f)));
      // A4 at 50 dpi, portrait; ink on paper: light on average, with real contrast (text and the QR code).
      expect(png.width).toBeGreaterThan(400);
      expect(png.height).toBeGreaterThan(png.width);
      const { mean, variance } = greyStats(png);
      expect(mean, f).toBeGreaterThan(150);
      expect(mean, f).toBeLessThan(254);
      expect(variance, f).toBeGreaterThan(500);
    }
    writeFileSync('/tmp/e2e-ceremony-softhsm-card-1.png', readFileSync(join(pngDir, pngs[0]!)));
    expect(errors).toEqual([]);
  });
});
