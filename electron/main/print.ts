/**
 * Printing a document the core made (share cards: src/shamir/print.ts renderShareCardsHtml) to a PDF
 * file the person chooses (PRODUCT.md §2.2, §3 "Printable share cards"). The document is loaded into a
 * hidden, print-only window with the same hardened webPreferences as the main window, minus the
 * preload (it needs no API) and with JavaScript off (the document has none); its own CSP meta tag
 * forbids loading anything. It is loaded from a data: URL (in memory: the session's request filter
 * allows data:, and no file with the shares is written but the PDF the person asked for).
 *
 * The PDF of the share cards holds every card of the split (any M of them rebuild the root key): it is
 * written as the CLI and the ceremony write the cards themselves (share-card-K-of-N.txt, share-cards.html:
 * 0600, never over an existing file), and the save dialog opens in the ceremony's 0700 secret/ folder
 * (review 15b M2: it was 0644 in ~/Documents, replacing any file of that name). The transcript PDF holds
 * no secret and keeps the ordinary mode. The decisions are plain functions (pdfWriteRules,
 * saveDialogOptions) tested directly.
 *
 * Written against narrow shapes so the unit test drives it with fakes (the Electron binary is not on CI).
 */
import { join } from 'node:path';
import type { BrowserWindowConstructorOptions, SaveDialogOptions } from 'electron';
import { assertAbsent, writeFileAtomic } from '../../src/io/files.js';
import type { PrintResultView } from '../shared/api-types.js';
import { windowWebPreferences } from './security-policy.js';

export interface PrintWindowLike {
  loadURL(url: string): Promise<void>;
  webContents: { printToPDF(options: { printBackground: boolean; pageSize: 'A4'; preferCSSPageSize: boolean }): Promise<Uint8Array> };
  destroy(): void;
}

/** What is being printed, and whether it is a secret. */
export interface PrintDocument {
  /** The file name the save dialog suggests (share-cards.pdf, transcript.pdf). */
  name: string;
  /** Share cards: every card of the split, enough to rebuild the key. */
  secret: boolean;
  /** Where the dialog opens: for share cards, the ceremony's own secret/ folder (0700); else the documents folder. */
  folder?: string;
}

export interface PrintDeps {
  createWindow(options: BrowserWindowConstructorOptions): PrintWindowLike;
  /** The save dialog; undefined when cancelled. */
  chooseSavePath(doc: PrintDocument): Promise<string | undefined>;
  writeFile?(path: string, bytes: Uint8Array, rules: PdfWriteRules): Promise<void>;
}

export interface PdfWriteRules {
  mode: number;
  overwrite: boolean;
}

/**
 * How the PDF is written. Secret: 0600 and never over an existing file (what the dialog's "Replace?"
 * would allow is refused with OUTPUT_EXISTS: a file with the cards is not silently replaced, and an old
 * copy the person forgot is pointed out, not hidden). Not secret (the transcript): the ordinary 0644, and
 * a copy chosen again in the dialog is replaced, as before.
 */
export function pdfWriteRules(doc: Pick<PrintDocument, 'secret'>): PdfWriteRules {
  return doc.secret ? { mode: 0o600, overwrite: false } : { mode: 0o644, overwrite: true };
}

/** The save dialog for `doc`: the title says what the file holds; a secret file opens in its own folder and is kept out of recent-file lists. */
export function saveDialogOptions(doc: PrintDocument, documentsDir: string): SaveDialogOptions {
  const folder = doc.secret && doc.folder !== undefined ? doc.folder : documentsDir;
  return {
    title: doc.secret ? 'Save the share cards as PDF (secret: print, then destroy the file)' : 'Save the ceremony transcript as PDF',
    defaultPath: join(folder, doc.name),
    filters: [{ name: 'PDF', extensions: ['pdf'] }],
    properties: doc.secret ? ['showOverwriteConfirmation', 'dontAddToRecent'] : ['showOverwriteConfirmation'],
  };
}

/** A hidden window that can only render the document it is given. */
export function printWindowOptions(): BrowserWindowConstructorOptions {
  const webPreferences = { ...windowWebPreferences({ preloadPath: '', devTools: false }), javascript: false };
  delete webPreferences.preload;
  return { show: false, width: 794, height: 1123, webPreferences };
}

export function htmlDataUrl(html: string): string {
  return `data:text/html;charset=utf-8;base64,${Buffer.from(html, 'utf8').toString('base64')}`;
}

const OVERWRITE_HINT = ' (it may hold share cards: print or destroy that copy, or choose another name)';

/** Ask where, render `html` in a hidden window, print it to PDF there; the window is destroyed whatever happens. */
export async function printHtmlToPdf(html: string, doc: PrintDocument, deps: PrintDeps): Promise<PrintResultView> {
  const path = await deps.chooseSavePath(doc);
  if (path === undefined) return { cancelled: true };
  const rules = pdfWriteRules(doc);
  // Refused before anything is rendered; writeFileAtomic (link, not rename) refuses again if one appears meanwhile.
  if (!rules.overwrite) await assertAbsent([path], OVERWRITE_HINT);
  const win = deps.createWindow(printWindowOptions());
  try {
    await win.loadURL(htmlDataUrl(html));
    const pdf = await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4', preferCSSPageSize: true });
    await (deps.writeFile ?? ((p, b, r) => writeFileAtomic(p, b, r)))(path, pdf, rules);
    return { saved: path };
  } finally {
    win.destroy();
  }
}
