/**
 * Review 15b M2: the share-card PDF (every card of the split) is written as the cards themselves are —
 * 0600, never over an existing file — and the save dialog opens in the run's 0700 secret/ folder; the
 * transcript PDF (no secret) keeps the ordinary mode and replaces a copy chosen again. The decisions
 * (pdfWriteRules, saveDialogOptions) are checked directly, and printHtmlToPdf with the real atomic writer
 * (no writeFile injected, as main.ts wires it) over a fake window, under umask 022.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pdfWriteRules, printHtmlToPdf, saveDialogOptions, type PrintDocument, type PrintWindowLike } from '../../../electron/main/print.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();
const PDF = new Uint8Array([37, 80, 68, 70, 45, 49, 46, 55]); // %PDF-1.7
const CARDS: PrintDocument = { name: 'share-cards.pdf', secret: true };
const TRANSCRIPT: PrintDocument = { name: 'transcript.pdf', secret: false };

let umask: number;
beforeAll(() => {
  umask = process.umask(0o022);
});
afterAll(() => {
  process.umask(umask);
});

function fakeWindow() {
  const w = { made: 0, destroyed: 0 };
  const create = (): PrintWindowLike => {
    w.made++;
    return { loadURL: async () => undefined, webContents: { printToPDF: async () => PDF.slice() }, destroy: () => void w.destroyed++ };
  };
  return { w, create };
}

describe('pdfWriteRules / saveDialogOptions', () => {
  it.each([
    [CARDS, { mode: 0o600, overwrite: false }],
    [{ ...CARDS, folder: '/x/out/secret' }, { mode: 0o600, overwrite: false }],
    [TRANSCRIPT, { mode: 0o644, overwrite: true }],
  ])('%o → %o', (doc, rules) => {
    expect(pdfWriteRules(doc)).toEqual(rules);
  });

  it('share cards: the dialog opens in the secret/ folder, says the file is secret, stays out of recent files', () => {
    const o = saveDialogOptions({ ...CARDS, folder: '/x/out/secret' }, '/home/a/Documents');
    expect(o.defaultPath).toBe('/x/out/secret/share-cards.pdf');
    expect(o.title).toMatch(/secret/);
    expect(o.properties).toEqual(expect.arrayContaining(['showOverwriteConfirmation', 'dontAddToRecent']));
    expect(o.filters).toEqual([{ name: 'PDF', extensions: ['pdf'] }]);
    // Without a folder (no run to name one): the documents folder, still secret in every other way.
    expect(saveDialogOptions(CARDS, '/home/a/Documents').defaultPath).toBe('/home/a/Documents/share-cards.pdf');
  });

  it('transcript: the documents folder, even when a folder is given; not called secret', () => {
    const o = saveDialogOptions({ ...TRANSCRIPT, folder: '/x/out/secret' }, '/home/a/Documents');
    expect(o.defaultPath).toBe('/home/a/Documents/transcript.pdf');
    expect(o.title).not.toMatch(/secret/);
    expect(o.properties).not.toContain('dontAddToRecent');
  });
});

describe('printHtmlToPdf with the real atomic writer (umask 022)', () => {
  it('share cards: written 0600 where chosen, the dialog asked with the document, no temp file left', async () => {
    const dir = tmp('tufc-print-');
    const { w, create } = fakeWindow();
    const choose = vi.fn(async (doc: PrintDocument) => join(dir, doc.name));
    const doc = { ...CARDS, folder: dir };
    expect(await printHtmlToPdf('<p>cards</p>', doc, { createWindow: create, chooseSavePath: choose })).toEqual({ saved: join(dir, 'share-cards.pdf') });
    expect(choose).toHaveBeenCalledWith(doc);
    expect(statSync(join(dir, 'share-cards.pdf')).mode & 0o777).toBe(0o600);
    expect(new Uint8Array(readFileSync(join(dir, 'share-cards.pdf')))).toEqual(PDF);
    expect(readdirSync(dir)).toEqual(['share-cards.pdf']);
    expect(w).toEqual({ made: 1, destroyed: 1 });
  });

  it('share cards over an existing file (the dialog allowed "Replace"): OUTPUT_EXISTS, nothing rendered, the file untouched', async () => {
    const dir = tmp('tufc-print-');
    const path = join(dir, 'share-cards.pdf');
    writeFileSync(path, 'old copy', { mode: 0o600 });
    const { w, create } = fakeWindow();
    await expect(printHtmlToPdf('<p>cards</p>', CARDS, { createWindow: create, chooseSavePath: async () => path })).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      message: expect.stringMatching(/share-cards\.pdf already exists; refusing to overwrite it \(it may hold share cards/),
    });
    expect(readFileSync(path, 'utf8')).toBe('old copy');
    expect(readdirSync(dir)).toEqual(['share-cards.pdf']);
    expect(w.made).toBe(0);
  });

  it('share cards: a file appearing while the PDF is rendered is not replaced either (link, not rename)', async () => {
    const dir = tmp('tufc-print-');
    const path = join(dir, 'share-cards.pdf');
    const create = (): PrintWindowLike => ({
      loadURL: async () => void writeFileSync(path, 'appeared'),
      webContents: { printToPDF: async () => PDF.slice() },
      destroy: () => undefined,
    });
    await expect(printHtmlToPdf('<p>cards</p>', CARDS, { createWindow: create, chooseSavePath: async () => path })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readFileSync(path, 'utf8')).toBe('appeared');
    expect(readdirSync(dir)).toEqual(['share-cards.pdf']);
  });

  it('transcript: the ordinary 0644, and a copy chosen again is replaced (as before)', async () => {
    const dir = tmp('tufc-print-');
    const path = join(dir, 'transcript.pdf');
    const { create } = fakeWindow();
    await printHtmlToPdf('<p>t</p>', TRANSCRIPT, { createWindow: create, chooseSavePath: async () => path });
    expect(statSync(path).mode & 0o777).toBe(0o644);
    writeFileSync(path, 'old');
    await printHtmlToPdf('<p>t</p>', TRANSCRIPT, { createWindow: create, chooseSavePath: async () => path });
    expect(new Uint8Array(readFileSync(path))).toEqual(PDF);
    expect(existsSync(path)).toBe(true);
  });
});
