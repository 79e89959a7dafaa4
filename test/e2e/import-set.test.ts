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
  session = await startSession({ importTrustDir: async () => trustDir });
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
});
