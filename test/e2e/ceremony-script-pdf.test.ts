/**
 * The ceremony script prints (issue #16: "the ceremony script renders to PDF, checked as images, as the
 * share cards are"): the HTML `tuf-ceremony plan-script` writes for the rehearsal plan, loaded in Debian's
 * Chromium and printed with page.pdf(); poppler reads it back — pdftotext finds every step with its
 * witness lines, the hash words to read aloud and the failure instructions; pdftoppm renders each page as
 * an image. The document's own CSP stays in force and nothing is fetched.
 *
 * The PDF and page images are left in $TUFC_SCRIPT_PDF_DIR for a human look (without it: a temp folder, removed
 * after the tests).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { intentHash } from '../../src/ceremony/plan-hash.js';
import { rehearsalPlan } from '../../src/ceremony/rehearsal-plan.js';
import { runCli } from '../../src/cli/program.js';
import { captureIo } from '../support/cli-io.js';
import { launchChromium } from './support/browser.js';

let browser: Browser;
let dir: string;
let pdf: string;
let planBytes: Uint8Array;
const violations: string[] = [];

beforeAll(async () => {
  dir = process.env.TUFC_SCRIPT_PDF_DIR ?? mkdtempSync(join(tmpdir(), 'tufc-script-pdf-'));
  mkdirSync(dir, { recursive: true });
  planBytes = new TextEncoder().encode(`${JSON.stringify(rehearsalPlan({ profile: 'tuf', repository: 'example.com/org/app', now: new Date() }), null, 2)}\n`);
  writeFileSync(join(dir, 'plan.json'), planBytes);
  const io = captureIo();
  expect(await runCli(['plan-script', join(dir, 'plan.json'), '--rehearsal', '--out', join(dir, 'script.html')], io.io), io.err.join('\n')).toBe(0);
  browser = await launchChromium();
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('data:') && r.url() !== 'about:blank') violations.push(`request ${r.url()}`);
  });
  await page.setContent(readFileSync(join(dir, 'script.html'), 'utf8'), { waitUntil: 'load' });
  pdf = join(dir, 'script.pdf');
  writeFileSync(pdf, await page.pdf({ preferCSSPageSize: true, printBackground: true }));
  await page.close();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir && !process.env.TUFC_SCRIPT_PDF_DIR) rmSync(dir, { recursive: true, force: true });
});

describe('ceremony script → PDF', () => {
  test('A4 pages, no CSP violation, no request; the script is never overwritten', async () => {
    const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
    expect(Number(/^Pages:\s+(\d+)$/m.exec(info)![1])).toBeGreaterThanOrEqual(2);
    expect(info).toMatch(/^Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)$/m);
    expect(violations).toEqual([]);
    const io = captureIo();
    expect(await runCli(['plan-script', join(dir, 'plan.json'), '--rehearsal', '--out', join(dir, 'script.html')], io.io)).toBe(2);
    expect(io.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]/);
  });

  test('roles, preparation, every step with witness lines, the words to read aloud and what to do on failure', () => {
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toContain('REHEARSAL');
    for (const role of ['Administrator', 'Custodian: Alice', 'Custodian: Bob', 'Custodian: Carol', 'Share card 3 of 3 holder', 'Witness 1', 'Witness 2']) expect(text).toContain(role);
    for (const section of ['Room and machine', 'Media', 'Steps', 'Close']) expect(text).toContain(section);
    const steps = text.match(/Step \d+\./g)!;
    expect(steps.length).toBeGreaterThanOrEqual(8);
    expect(text.match(/Witness initials/g)!.length).toBe(steps.length * 2);
    expect(text.match(/If it fails:/g)!.length).toBe(steps.length);
    const h = intentHash(planBytes);
    expect(text).toContain(h.words.slice(0, 4).join(' '));
    expect(text).toContain('metadata/');
  });

  test('pdftoppm renders every page', () => {
    const pages = Number(/^Pages:\s+(\d+)$/m.exec(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }))![1]);
    execFileSync('pdftoppm', ['-png', '-r', '50', pdf, join(dir, 'page')]);
    const pngs = readdirSync(dir).filter((f) => /^page-\d+\.png$/.test(f));
    expect(pngs).toHaveLength(pages);
    for (const f of pngs) expect(statSync(join(dir, f)).size).toBeGreaterThan(5_000);
    if (process.env.TUFC_SCRIPT_PDF_DIR) console.log(`ceremony script pages: ${dir}`);
  });
});
