/**
 * The Import screen with a trust-bundle-set (issue #17), driven in Chromium as a person would: choose
 * the trust directory, pin by a pins file, open the set. A set with one repository whose pin does not
 * match shows that row refused with its code, the others verified, no install action, and the trust
 * directory unchanged; with the right pins every row is verified and one action installs them all. The
 * summary table holds at 1280×800 and 1024×700 (no horizontal scroll, the install action reachable) and
 * axe finds no violations with the table shown.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeBundle } from '../../src/bundle/format.js';
import { encodeRepositorySet } from '../../src/bundle/set.js';
import { buildRepo } from '../support/repo.js';
import { axe } from './support/axe.js';
import { bundleContent, treeHash } from './support/import-fixtures.js';
import { startSession, type E2eSession } from './support/session.js';

const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 700 },
] as const;
const nameOf = (i: number): string => `registry.example.com/org/app-${i}`;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let session: E2eSession;
let work: string;
let trustDir: string;
let setPath: string;
let pinsPath: string;
let wrongPinsPath: string;
let tufSetPath: string;
let tufPinsPath: string;
let tufTrustDir: string;
let useTufTrustDir = false;
const LONG_ROLE = '\u00fc'.repeat(50);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tufc-e2e-import-set-'));
  trustDir = join(work, 'site', 'trust');
  mkdirSync(trustDir, { recursive: true });
  const repos = [];
  for (let i = 0; i < 4; i++) repos.push(await buildRepo('notary', { gun: nameOf(i) }));
  setPath = join(work, 'apps.tufbundle');
  writeFileSync(setPath, encodeRepositorySet(repos.map((r, i) => encodeBundle(bundleContent(r, nameOf(i)))), { name: 'four apps', created: new Date() }));
  const pins = Object.fromEntries(repos.map((r, i) => [nameOf(i), sha(r.roots[0]!)]));
  pinsPath = join(work, 'pins.json');
  writeFileSync(pinsPath, JSON.stringify(pins));
  wrongPinsPath = join(work, 'wrong-pins.json');
  writeFileSync(wrongPinsPath, JSON.stringify({ ...pins, [nameOf(2)]: sha(new TextEncoder().encode('another root')) }));
  // A TUF set whose first repository delegates to a role python-tuf cannot store (its quoted name is over
  // 255 bytes): installed under the role's own name only, said on that row.
  const tufRepos = [await buildRepo('tuf', { delegationName: LONG_ROLE }), await buildRepo('tuf')];
  tufSetPath = join(work, 'tuf-apps.tufbundle');
  writeFileSync(tufSetPath, encodeRepositorySet(tufRepos.map((r, i) => encodeBundle(bundleContent(r, `myorg/app-${i}`))), { name: 'two tuf apps', created: new Date() }));
  tufPinsPath = join(work, 'tuf-pins.json');
  writeFileSync(tufPinsPath, JSON.stringify(Object.fromEntries(tufRepos.map((r, i) => [`myorg/app-${i}`, sha(r.roots[0]!)]))));
  tufTrustDir = join(work, 'tuf-site', 'metadata');
  mkdirSync(tufTrustDir, { recursive: true });
  session = await startSession({ importTrustDir: async () => (useTufTrustDir ? tufTrustDir : trustDir) });
}, 180_000);

afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** At each size: no horizontal scroll, and `name`'s control can be scrolled into view and is then in the viewport. */
async function holdsAtSizes(page: Page, what: string, action?: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(scrollWidth, `${what} at ${size.width}×${size.height}`).toBeLessThanOrEqual(innerWidth);
    const table = page.getByRole('table', { name: 'Repositories' });
    await table.scrollIntoViewIfNeeded();
    const box = await table.boundingBox();
    expect(box, `${what}: the table is laid out at ${size.width}×${size.height}`).not.toBeNull();
    expect(box!.x + box!.width, `${what}: the table fits across at ${size.width}×${size.height}`).toBeLessThanOrEqual(size.width);
    if (action) {
      const button = page.getByRole('button', { name: action });
      await button.scrollIntoViewIfNeeded();
      const b = await button.boundingBox();
      expect(b && b.y >= 0 && b.y + b.height <= size.height, `${what}: "${action}" in view at ${size.width}×${size.height}`).toBe(true);
    }
  }
}

/** The table's rows as [repository, profile, root, keys/threshold, verdict]. */
async function rows(page: Page): Promise<string[][]> {
  return page.getByRole('table', { name: 'Repositories' }).locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const cells = Array.from(tr.querySelectorAll('th, td'), (c) => (c.textContent ?? '').trim());
      return [cells[0]!, cells[1]!, cells[2]!, cells[4]!, cells[5]!.split(/\s+/).slice(0, 3).join(' ')];
    }),
  );
}

describe('Import screen: a trust-bundle-set', () => {
  test('one repository refused: its row says why, no install action, nothing written; right pins: all verified, installed in one step', async () => {
    const { page, errors, choose } = await session.open('import');
    await page.getByRole('heading', { level: 1, name: 'Import a trust bundle' }).waitFor();
    await page.getByRole('button', { name: 'Choose the trust directory…' }).click();
    await page.getByText(`Installing into ${trustDir}`).waitFor();
    const before = treeHash(join(work, 'site'));

    await choose('Pin by a pins file…', wrongPinsPath);
    await page.getByText('Pinned: 4 repositories by the pins file').waitFor();
    await choose('Open a bundle file…', setPath);
    const refused = page.getByRole('status').filter({ hasText: 'Refused: this set cannot be installed' });
    await refused.waitFor();
    await expect(page.getByTestId('bundle-kind').textContent()).resolves.toBe('trust-bundle-set');
    expect(await rows(page)).toEqual([
      [nameOf(0), 'Notary', '1 (new)', '2 of 3', '✓ verified'],
      [nameOf(1), 'Notary', '1 (new)', '2 of 3', '✓ verified'],
      [nameOf(2), 'Notary', '—', '—', '✗ refused IMPORT_PIN_NOT_FOUND'],
      [nameOf(3), 'Notary', '1 (new)', '2 of 3', '✓ verified'],
    ]);
    await expect(page.getByRole('button', { name: /^Install/ }).count()).resolves.toBe(0);
    await holdsAtSizes(page, 'refused set');
    expect(await axe(page), 'refused set, dark theme').toEqual([]);
    expect(treeHash(join(work, 'site'))).toBe(before);

    await choose('Pin by a pins file…', pinsPath);
    const verified = page.getByRole('status').filter({ hasText: 'Verified: all 4 repositories ready to install' });
    await verified.waitFor();
    expect((await rows(page)).map((r) => r[4])).toEqual(['✓ verified', '✓ verified', '✓ verified', '✓ verified']);
    await holdsAtSizes(page, 'verified set', 'Install all 4 repositories');
    expect(await axe(page), 'verified set, dark theme').toEqual([]);
    await page.getByRole('button', { name: /High-contrast light theme/ }).click();
    expect(await axe(page), 'verified set, light theme').toEqual([]);
    expect(treeHash(join(work, 'site'))).toBe(before);

    await page.getByRole('button', { name: 'Install all 4 repositories' }).click();
    const installed = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Installed' }) });
    await installed.waitFor();
    await expect(installed.textContent()).resolves.toContain(`All 4 repositories into ${join(trustDir, 'tuf')}`);
    for (let i = 0; i < 4; i++) {
      const folder = join(trustDir, 'tuf', ...nameOf(i).split('/'), 'metadata');
      expect(existsSync(join(folder, 'root.json')), nameOf(i)).toBe(true);
      expect(readFileSync(join(folder, 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(1);
    }
    await holdsAtSizes(page, 'installed set');
    expect(await axe(page), 'installed set, light theme').toEqual([]);
    expect(errors).toEqual([]);
  }, 300_000);

  test('a TUF set with a role python-tuf cannot store: that row says the role is written under its own name only; the table still fits', async () => {
    useTufTrustDir = true;
    try {
      const { page, errors, choose } = await session.open('import');
      await page.getByRole('heading', { level: 1, name: 'Import a trust bundle' }).waitFor();
      await page.getByRole('radio', { name: 'TUF client metadata folder' }).check();
      // The app's import session outlives the page: the test before chose a trust directory already.
      await page.getByRole('button', { name: /^Choose (the|another) trust directory…$/ }).click();
      await page.getByText(`Installing into ${tufTrustDir}`).waitFor();
      await choose('Pin by a pins file…', tufPinsPath);
      await choose('Open a bundle file…', tufSetPath);
      await page.getByRole('status').filter({ hasText: 'Verified: all 2 repositories ready to install' }).waitFor();
      const note = `${LONG_ROLE}: written as ${LONG_ROLE}.json only — python-tuf cannot store this role’s file (a file name longer than 255 bytes).`;
      const lists = page.getByRole('table', { name: 'Repositories' }).getByRole('list', { name: 'Files not written' });
      await expect(lists.count()).resolves.toBe(1);
      await expect(lists.first().textContent()).resolves.toBe(note);
      const firstRow = page.getByRole('table', { name: 'Repositories' }).locator('tbody tr').first();
      await expect(firstRow.textContent()).resolves.toContain('myorg/app-0');
      await expect(firstRow.getByRole('list', { name: 'Files not written' }).count()).resolves.toBe(1);
      await holdsAtSizes(page, 'TUF set with a long role name', 'Install all 2 repositories');
      await page.getByRole('button', { name: 'Install all 2 repositories' }).click();
      await page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Installed' }) }).waitFor();
      await expect(page.getByRole('table', { name: 'Repositories' }).getByRole('list', { name: 'Files not written' }).first().textContent()).resolves.toBe(note);
      expect(existsSync(join(tufTrustDir, 'myorg', 'app-0', `${LONG_ROLE}.json`))).toBe(true);
      await holdsAtSizes(page, 'installed TUF set with a long role name');
      expect(await axe(page), 'TUF set with a long role name').toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      useTufTrustDir = false;
    }
  }, 300_000);
});
