/**
 * Share cards print (PRODUCT.md §2.2 "Cards print to PDF"): the HTML of renderShareCardsHtml, loaded in
 * Debian's Chromium and printed with page.pdf(), is exactly one A4 page per card; poppler reads every
 * page back (pdftotext: the card's own fields and share data on its own page; pdftoppm: each page
 * renders). The document's own CSP stays in force, and Chromium reports no violation of it.
 *
 * The rendered pages are left in $TUFC_SHARE_PDF_DIR for a human look (without it: a temp folder, removed
 * after the tests).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatShareCard, formatSplitId, type ShareCard } from '../../src/shamir/card.js';
import { renderShareCardsHtml } from '../../src/shamir/print.js';
import { shortDigest } from '../../src/crypto/digest-words.js';
import { generateAndSplit } from '../../src/shamir/split.js';
import { dataGroups } from '../unit/shamir/support.js';
import { launchChromium } from './support/browser.js';

let browser: Browser;
let dir: string;
let cards: ShareCard[];
let pdf: string;
const violations: string[] = [];

beforeAll(async () => {
  dir = process.env.TUFC_SHARE_PDF_DIR ?? mkdtempSync(join(tmpdir(), 'tufc-share-pdf-'));
  mkdirSync(dir, { recursive: true });
  cards = (await generateAndSplit('ecdsa-p384', { threshold: 2, shares: 3, label: 'registry.example.com/org/app', rehearsal: true })).cards;
  browser = await launchChromium();
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('data:') && r.url() !== 'about:blank') violations.push(`request ${r.url()}`);
  });
  await page.setContent(await renderShareCardsHtml(cards), { waitUntil: 'load' });
  // The inline <style> applied (allowed by its hash): the card check is in the large monospace font.
  const font = await page.locator('ol.data li').first().evaluate((el) => getComputedStyle(el).fontFamily);
  expect(font).toMatch(/mono/i);
  pdf = join(dir, 'share-cards.pdf');
  writeFileSync(pdf, await page.pdf({ preferCSSPageSize: true, printBackground: true }));
  await page.close();
});

afterAll(async () => {
  await browser?.close();
  if (dir && !process.env.TUFC_SHARE_PDF_DIR) rmSync(dir, { recursive: true, force: true });
});

describe('share cards → PDF', () => {
  test('exactly one A4 page per card, no CSP violation, no request', () => {
    const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
    expect(info).toMatch(/^Pages:\s+3$/m);
    expect(info).toMatch(/^Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)$/m);
    expect(violations).toEqual([]);
  });

  test('each page holds its own card: card K of N, split, share index, fingerprint hex and words, held-by/date/witness lines, every group, card check, instructions, REHEARSAL', () => {
    cards.forEach((card, i) => {
      const page = execFileSync('pdftotext', ['-f', String(i + 1), '-l', String(i + 1), '-layout', pdf, '-'], { encoding: 'utf8' });
      const text = formatShareCard(card);
      expect(page).toContain(`Share card ${i + 1} of 3`);
      expect(page).toContain(`Split ${formatSplitId(card.splitId)}, share index ${card.index}.`);
      expect(page).not.toMatch(/Page \d of/);
      // The fingerprint in hex groups (none split across lines) and in the words read aloud.
      for (const g of card.fingerprint.match(/.{8}/g)!) expect(page).toContain(g);
      for (const w of shortDigest(card.fingerprint).words) expect(page).toContain(w);
      for (const line of ['Held by', 'Date', 'Witness']) expect(page).toMatch(new RegExp(`^\\s*${line}\\s*$`, 'm'));
      for (const g of dataGroups(text).flat()) expect(page).toContain(g);
      expect(page).toContain(text.match(/^card check: .*$/m)![0]);
      expect(page).toContain('registry.example.com/org/app');
      expect(page).toContain('For the custodian of this card');
      expect(page).toContain('REHEARSAL');
      // No other card's share data on this page.
      for (const other of cards.filter((c) => c !== card)) {
        for (const g of dataGroups(formatShareCard(other)).flat().filter((x) => x.length === 5)) expect(page).not.toContain(g);
      }
    });
  });

  test('pdftoppm renders every page', () => {
    execFileSync('pdftoppm', ['-png', '-r', '50', pdf, join(dir, 'page')]);
    const pngs = readdirSync(dir)
      .filter((f) => /^page-\d+\.png$/.test(f))
      .sort();
    expect(pngs).toEqual(['page-1.png', 'page-2.png', 'page-3.png']);
    for (const f of pngs) expect(statSync(join(dir, f)).size).toBeGreaterThan(5_000);
    if (process.env.TUFC_SHARE_PDF_DIR) console.log(`share card pages: ${dir}`);
  });
});
