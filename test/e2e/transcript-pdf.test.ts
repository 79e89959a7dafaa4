/**
 * The printable transcript: renderTranscriptHtml's page printed to PDF by Debian's chromium (as the app
 * prints it), then read back with poppler's `pdftotext` to check what a reader of the paper sees. The page
 * runs with JavaScript off and the network cut; it must load nothing. The PDF and a PNG of its page 1
 * are left at /tmp/e2e-transcript.pdf and /tmp/e2e-transcript-page1.png for a person to look at.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderTranscriptHtml } from '../../src/audit/render.js';
import { memorySink, TranscriptWriter, type EntryInput } from '../../src/audit/transcript.js';
import type { VerifiedTranscript } from '../../src/audit/types.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { makeKey, type TestKey } from '../support/keys.js';
import { fixedClock, HEADER, STEPS } from '../unit/audit/fixtures.js';
import { launchChromium } from './support/browser.js';
import { groupWords } from '../../src/crypto/digest-words.js';

const PNG_PREFIX = '/tmp/e2e-transcript-page1';

let browser: Browser;
let work: string;
let key: TestKey;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tufc-e2e-transcript-'));
  key = await makeKey('tuf', 'ecdsa-p256');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function transcript(opts: { rehearsal: boolean; seal: boolean; extra?: EntryInput[] }): Promise<VerifiedTranscript> {
  const sink = memorySink();
  const w = await TranscriptWriter.start(sink, { ...HEADER, rehearsal: opts.rehearsal }, { now: fixedClock() });
  for (const s of [...STEPS, ...(opts.extra ?? [])]) await w.append(s);
  if (opts.seal) await w.seal(key);
  return verifyTranscript(sink.bytes(), { allowUnsealed: !opts.seal });
}

/** Print `html` to PDF in a page with no JavaScript and no network; return the PDF path and the requests seen. */
async function print(html: string, name: string): Promise<{ pdf: string; requests: string[] }> {
  const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
  const requests: string[] = [];
  try {
    const page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    await page.setContent(html, { waitUntil: 'load' });
    const pdf = join(work, `${name}.pdf`);
    writeFileSync(pdf, await page.pdf({ preferCSSPageSize: true, printBackground: true }));
    return { pdf, requests };
  } finally {
    await context.close();
  }
}

/** The PDF's text in content order (`-raw`): each table cell's lines stay together, as a reader takes them in. */
function pdfText(pdf: string): string {
  return execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' });
}

function pageCount(pdf: string): number {
  const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
  return Number(/^Pages:\s+(\d+)/m.exec(info)![1]);
}

/** Collapse line breaks, so a phrase wrapped in a table cell still matches. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

describe('transcript printed to PDF', () => {
  test('a sealed rehearsal: banner, steps, digests as hex and words, witnesses, seal, how to verify', async () => {
    const extra: EntryInput[] = Array.from({ length: 10 }, (_, i) => ({
      step: 'delegation.sign',
      actor: { name: i % 2 ? 'Zoë Ngũgĩ-Østergaard' : 'Bob Custodian', role: 'custodian' },
      token: { serial: `SN-${1000 + i}` },
      digests: [{ label: `targets/releases v${i + 1}, the bytes to sign`, bytes: new TextEncoder().encode(`releases ${i}`) }],
      outputs: [{ name: `targets/releases.json v${i + 1}`, bytes: new TextEncoder().encode(`signed releases ${i}`) }],
      witnesses: [{ name: 'Carol Witness', confirmed: 'short hash read aloud matches' }],
    }));
    const t = await transcript({ rehearsal: true, seal: true, extra });
    const { pdf, requests } = await print(renderTranscriptHtml(t, { fileName: 'root.transcript.jsonl' }), 'sealed');
    expect(requests.filter((u) => u !== 'about:blank')).toEqual([]);
    // Page 1 as an image, for a person to look at.
    execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdf, PNG_PREFIX]);
    copyFileSync(pdf, '/tmp/e2e-transcript.pdf');

    const text = pdfText(pdf);
    const f = flat(text);
    expect(pageCount(pdf)).toBeGreaterThan(1);
    expect(f).toContain('REHEARSAL — this ceremony ran on rehearsal tokens');
    expect(f).toContain('Ceremony transcript');
    expect(f).toContain('registry.example.com/org/app');
    // The column headings repeat on every page.
    expect(text.match(/Shown to people/g)?.length).toBe(pageCount(pdf));
    // Each step: its time, its actor, and what was read aloud as hex and words.
    for (const e of t.entries) {
      // A row reads: number and entry hash, date and time, step, actor.
      expect(f).toContain(`${e.seq} ${e.hash.slice(0, 8)} ${e.time.slice(0, 10)} ${e.time.slice(11, 19)} ${e.step} ${e.actor.name} (${e.actor.role})`);
      for (const d of e.digests) {
        expect(f).toContain(d.short.replace(/(.{4})(?=.)/g, '$1 '));
        expect(f).toContain(groupWords(d.words));
      }
    }
    expect(f).toContain('Zoë Ngũgĩ-Østergaard');
    expect(f).toContain('Dave Auditor: signature verified on screen');
    expect(f).toContain('Stick sealed in bag 0042.');
    // The seal and how to check it.
    expect(f).toContain(t.sealedBy!.keyId);
    expect(f).toContain(key.key.fingerprint.slice(0, 32).replace(/(.{4})(?=.)/g, '$1 '));
    expect(f).toContain(`tuf-ceremony transcript verify root.transcript.jsonl --seal-key ${t.sealedBy!.keyId}`);

  });

  test('an unsealed production transcript: no REHEARSAL, an UNSEALED banner', async () => {
    const { pdf } = await print(renderTranscriptHtml(await transcript({ rehearsal: false, seal: false })), 'unsealed');
    const f = flat(pdfText(pdf));
    expect(f).not.toContain('REHEARSAL');
    expect(f).toContain('UNSEALED — this transcript has no seal');
    expect(f).toContain('Not sealed.');
    expect(f).toContain('tuf-ceremony transcript verify FILE');
  });
});
