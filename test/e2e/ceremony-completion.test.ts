/**
 * Issue #16, at 1280×800 and 1024×700 with an axe-core scan in both themes:
 * - on completion, the Root ceremony screen offers "Export the metadata…", "Print the transcript…" and
 *   (the rehearsal has a Shamir backup) "Print share cards…"; the outcome is in view with focus on its
 *   heading; nothing is printed until a custodian asks; Export opens with the output's metadata/ folder
 *   already chosen (verified, ready to write), and the bundle writes to the USB folder;
 * - the Transcript screen lists a folder's session transcripts — a full `tuf-ceremony rehearse` output
 *   (the root ceremony and its sealed rotation session) plus an unsealed merge session and an edited copy
 *   — with kind, date, seal state and the custodians' names on the sealing keys, and opens each one;
 * - no message on these screens names a CLI flag or a JSON path (renderer/src/lib/format.ts hasCliOrPathText).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SessionTranscript } from '../../src/audit/session.js';
import { rehearseCommand } from '../../src/cli/rehearse.js';
import { hasCliOrPathText } from '../../renderer/src/lib/format.js';
import { expectRevealed } from './support/in-view.js';
import { startSession, type E2eSession } from './support/session.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 700 },
] as const;

let dir: string;
let out: string;
let usb: string;
let listed: string;
let session: E2eSession;
let sealKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tufc-e2e-completion-'));
  out = join(dir, 'ceremony-output');
  usb = join(dir, 'usb');
  listed = join(dir, 'sessions');
  mkdirSync(out);
  mkdirSync(usb);
  session = await startSession({ chooseOutputDir: async () => out, exportDir: async () => usb, transcriptDir: async () => listed });
  // A whole rehearsal, as `tuf-ceremony rehearse` makes it: the root ceremony's transcript (sealed by
  // Alice's rehearsal root key) and the rotation session's (sealed by the same key).
  const log: string[] = [];
  const status = await rehearseCommand({ profile: 'tuf', out: listed, json: true }, { out: (s) => void log.push(s), err: (s) => void log.push(s) }, { softhsmPath: () => undefined, now: () => new Date() });
  if (status !== 0) throw new Error(`rehearse failed: ${log.join('\n')}`);
  // Alice's rehearsal root key sealed both: the key a custodian would have written down at the ceremony.
  sealKey = (JSON.parse(log.find((l) => l.trimStart().startsWith('{'))!) as { rotation: { transcriptSealKeyId: string } }).rotation.transcriptSealKeyId;
  // A merge session (no signing key of its own: unsealed), and an edited copy of the rotation's transcript.
  const merge = await SessionTranscript.start({ kind: 'merge', profile: 'tuf', repository: 'rehearsal.example.com/org/app', reviewed: new TextEncoder().encode('request'), rehearsal: true });
  await merge.append({ step: 'merge', actor: { name: 'Ana Admin', role: 'administrator' }, note: 'two responses merged' });
  await merge.end('root.json v2 written');
  writeFileSync(join(listed, 'rotation', 'merged.tufbundle.transcript.jsonl'), merge.bytes());
  const rotation = readFileSync(join(listed, 'rotation', 'transcript.jsonl'), 'utf8').split('\n');
  rotation[1] = rotation[1]!.replace('"seq":1', '"seq":2');
  writeFileSync(join(listed, 'edited-copy.jsonl'), rotation.join('\n'));
}, 300_000);

afterAll(async () => {
  await session?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function axe(page: Page): Promise<Array<{ id: string; nodes: unknown[] }>> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }>; passes: unknown[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    if (!r.passes.some((p) => (p as { id: string }).id === 'color-contrast')) throw new Error('axe did not check colour contrast');
    return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target) }));
  });
}

/** axe in the dark theme, then the light high-contrast one, then back (the choice is kept per machine). */
async function axeBothThemes(page: Page, what: string): Promise<void> {
  expect(await axe(page), `${what}, dark theme`).toEqual([]);
  const toggle = page.getByRole('button', { name: /High-contrast light theme/ });
  await toggle.click();
  expect(await axe(page), `${what}, light theme`).toEqual([]);
  await toggle.click();
}

/** The page is no wider than the viewport. */
async function expectFits(page: Page, what: string): Promise<void> {
  const { scrollWidth, innerWidth, widest } = await page.evaluate(() => {
    // What sticks out, for the failure message: the innermost elements wider than the window's right edge.
    const over = Array.from(document.querySelectorAll<HTMLElement>('main *'))
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.children.length === 0)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${(el.textContent ?? '').slice(0, 60)}`);
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, widest: over };
  });
  expect(scrollWidth, `${what}: ${widest.join(' | ')}`).toBeLessThanOrEqual(innerWidth);
}

async function noCliOrPathText(page: Page, what: string): Promise<void> {
  const texts = await page.locator('main').locator('.message, .explain, .list-seal, h2, h3').allInnerTexts();
  expect(texts.length, what).toBeGreaterThan(0);
  expect(texts.filter(hasCliOrPathText), what).toEqual([]);
}

describe('ceremony completion: the next steps', () => {
  test('export the metadata, print the transcript, print share cards: in view, focused, Export opened with metadata/', async () => {
    for (const [i, size] of SIZES.entries()) {
      const { page, errors } = await session.open('root');
      await page.setViewportSize(size);
      await page.getByRole('heading', { level: 1, name: 'Root ceremony' }).waitFor();
      if (i === 0) {
        await page.getByRole('radio', { name: 'TUF 1.0' }).check();
        await page.getByRole('button', { name: 'Prepare the rehearsal' }).click();
        await page.getByRole('checkbox', { name: /The witnesses compared the words/ }).check();
        await page.getByLabel('Witnesses present (one name per line)').fill('Dana Witness');
        await page.getByRole('button', { name: 'Start the rehearsal…' }).click();
      }
      // (The second page opens on the completed ceremony: the outcome is revealed as the screen shows it.)
      const banner = page.getByRole('status').filter({ has: page.getByRole('heading', { name: /Rehearsal complete/ }) });
      await banner.waitFor({ timeout: 120_000 });
      await expectRevealed(page, banner, 'Export the metadata…');
      for (const name of ['Print the transcript…', 'Print share cards…']) await expect.poll(() => banner.getByRole('button', { name }).isVisible()).toBe(true);
      // Nothing was printed by itself: the share cards leave the machine only when a custodian asks.
      if (i === 0) expect(session.printed).toEqual([]);
      await expectFits(page, `completion at ${size.width}`);
      await axeBothThemes(page, `completion at ${size.width}×${size.height}`);

      // Print the transcript: the printable transcript goes to the printer (the bridge hands it back).
      const before = session.printed.length;
      await banner.getByRole('button', { name: 'Print the transcript…' }).click();
      const printed = page.locator('.print-result');
      await expectRevealed(page, printed);
      await expect.poll(() => printed.innerText()).toMatch(/Transcript document ready for printing/);
      expect(session.printed.length).toBe(before + 1);
      expect(session.printed.at(-1)).toContain('rehearsal.example.com/org/app');
      expect(session.printed.at(-1)).toContain('<h1>Ceremony transcript</h1>');
      expect(session.printed.at(-1)).toContain('Dana Witness');

      // Print share cards: the existing share-card print path.
      await banner.getByRole('button', { name: 'Print share cards…' }).click();
      await expect.poll(() => printed.innerText()).toMatch(/Share cards document ready for printing/);
      await expectRevealed(page, printed);
      expect(session.printed.length).toBe(before + 2);
      expect(session.printed.at(-1)).toMatch(/1 of 3/);
      await noCliOrPathText(page, 'completion');

      // Export the metadata: the Export screen, the metadata/ folder already chosen and verified.
      await banner.getByRole('button', { name: 'Export the metadata…' }).click();
      await page.getByRole('heading', { level: 1, name: 'Export a bundle' }).waitFor();
      expect(new URL(page.url()).hash).toBe('#/export');
      const summary = page.locator('section.export-summary');
      await expectRevealed(page, summary);
      expect(await summary.locator('.export-facts').innerText()).toContain('ceremony-output/metadata');
      expect(await summary.locator('.export-kind').innerText()).toBe('trust-bundle');
      expect(await summary.locator('.export-verified').innerText()).toMatch(/Verified: root version 1/);
      const files = await summary.locator('table.export-files code').allInnerTexts();
      expect(files).toEqual(expect.arrayContaining(['root.json', 'targets.json', 'snapshot.json', 'timestamp.json']));
      expect(files.some((f) => /share|secret|transcript|plan/.test(f))).toBe(false);
      await expectFits(page, `export at ${size.width}`);
      await axeBothThemes(page, `Export with the ceremony's metadata at ${size.width}×${size.height}`);
      if (i === 0) {
        // It writes as any prepared bundle does: to the USB folder, read back and verified.
        await page.getByRole('button', { name: 'Choose the folder (USB stick)…' }).click();
        await page.getByRole('button', { name: 'Write the bundle' }).click();
        await page.getByRole('heading', { name: /Written and read back/ }).waitFor({ timeout: 60_000 });
      }
      // A later visit to Export starts empty (the hand-over is used once).
      await page.getByRole('link', { name: 'Inspect' }).click();
      await page.getByRole('link', { name: 'Export' }).click();
      await page.getByText('Nothing opened yet.').waitFor();
      expect(errors).toEqual([]);
    }
  });
});

describe('Transcript screen: the session transcripts of a folder', () => {
  test('lists them with kind, date, seal state and the custodians’ names; opens each one', async () => {
    for (const size of SIZES) {
      const { page, errors } = await session.open('transcript');
      await page.setViewportSize(size);
      await page.getByRole('heading', { level: 1, name: 'Transcript' }).waitFor();
      await page.getByRole('button', { name: 'List a folder’s transcripts…' }).click();
      const list = page.locator('section.transcript-list');
      await expectRevealed(page, list);
      const rows = list.locator('tbody tr');
      await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
      const byFile = new Map<string, string>();
      for (const row of await rows.all()) byFile.set(await row.locator('code.list-file').innerText(), await row.innerText());
      // The root ceremony and the rotation session, sealed by Alice's rehearsal root key — not named yet: a
      // folder someone chose anchors no key, and anyone can seal a transcript that names keys.
      expect(byFile.get('state/transcript.jsonl')).toMatch(/Root ceremony/);
      expect(byFile.get('state/transcript.jsonl')).toMatch(/Sealed by key [0-9a-f]{4}/);
      expect(byFile.get('rotation/transcript.jsonl')).toMatch(/Rehearsal rotation/);
      expect(byFile.get('rotation/transcript.jsonl')).toMatch(/Sealed by key [0-9a-f]{4}/);
      expect([...byFile.values()].some((t) => t.includes('Alice’s key'))).toBe(false);
      // A session with no key of its own, and an edited copy: unsealed and refused, not hidden.
      expect(byFile.get('rotation/merged.tufbundle.transcript.jsonl')).toMatch(/Merge of signatures[\s\S]*Unsealed chain/);
      expect(byFile.get('edited-copy.jsonl')).toMatch(/Refused \(TRANSCRIPT_/);
      // Each with its date; nothing from the secret/ folder.
      for (const text of byFile.values()) expect(text).toMatch(/\d{4}/);
      expect([...byFile.keys()].some((n) => n.startsWith('secret/'))).toBe(false);
      await noCliOrPathText(page, `list at ${size.width}`);
      await expectFits(page, `list at ${size.width}`);
      await axeBothThemes(page, `Transcript list at ${size.width}×${size.height}`);

      // Open the rotation session with the key recorded at the ceremony: green, the seal named (the root
      // transcript that key sealed names the keys); the keys named in a table.
      await page.getByRole('textbox', { name: /Key ID or fingerprint/ }).fill(sealKey);
      await list.getByRole('button', { name: 'Open and verify rotation/transcript.jsonl' }).click();
      const banner = page.getByRole('status').filter({ has: page.getByRole('heading', { name: /Verified: rotation\/transcript\.jsonl/ }) });
      await expectRevealed(page, banner);
      expect(await banner.locator('.message').innerText()).toMatch(/sealed by the expected key, .*Alice/);
      const names = page.getByRole('table', { name: /Keys and who holds them/ });
      const holders = await names.locator('th.holder').allInnerTexts();
      expect(holders).toEqual(expect.arrayContaining(['Alice', 'Bob', 'Carol']));
      await expectFits(page, `opened at ${size.width}`);
      await axeBothThemes(page, `Transcript opened from the list at ${size.width}×${size.height}`);

      // The unsealed merge session opens as unsealed, saying why.
      await list.getByRole('button', { name: 'Open and verify rotation/merged.tufbundle.transcript.jsonl' }).click();
      const unsealed = page.getByRole('status').filter({ has: page.getByRole('heading', { name: /Unsealed: rotation\/merged/ }) });
      await expectRevealed(page, unsealed);
      expect(await unsealed.locator('.message').innerText()).toMatch(/no signing key of its own/);
      await noCliOrPathText(page, `opened at ${size.width}`);

      // The completed ceremony of this session: its output folder is offered without a dialog.
      await page.getByRole('button', { name: 'List this ceremony’s output folder' }).click();
      await expect.poll(() => list.locator('h2').innerText(), { timeout: 30_000 }).toMatch(/1 transcript in ceremony-output/);
      expect(await rows.first().innerText()).toMatch(/Root ceremony[\s\S]*Sealed by key .*’s key\)/);
      expect(errors).toEqual([]);
    }
  });
});
