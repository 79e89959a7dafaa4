/**
 * Printing a document the core made (share cards: src/shamir/print.ts renderShareCardsHtml) to a PDF
 * file the person chooses (PRODUCT.md §2.2, §3 "Printable share cards"). The document is loaded into a
 * hidden, print-only window with the same hardened webPreferences as the main window, minus the
 * preload (it needs no API) and with JavaScript off (the document has none); its own CSP meta tag
 * forbids loading anything. It is loaded from a data: URL (in memory: the session's request filter
 * allows data:, and no file with the shares is written but the PDF the person asked for).
 *
 * Written against narrow shapes so the unit test drives it with fakes (the Electron binary is not on CI).
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import { writeFileAtomic } from '../../src/io/files.js';
import type { PrintResultView } from '../shared/api-types.js';
import { windowWebPreferences } from './security-policy.js';

export interface PrintWindowLike {
  loadURL(url: string): Promise<void>;
  webContents: { printToPDF(options: { printBackground: boolean; pageSize: 'A4'; preferCSSPageSize: boolean }): Promise<Uint8Array> };
  destroy(): void;
}

export interface PrintDeps {
  createWindow(options: BrowserWindowConstructorOptions): PrintWindowLike;
  /** The save dialog; undefined when cancelled. */
  chooseSavePath(suggestedName: string): Promise<string | undefined>;
  writeFile?(path: string, bytes: Uint8Array): Promise<void>;
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

/** Ask where, render `html` in a hidden window, print it to PDF there; the window is destroyed whatever happens. */
export async function printHtmlToPdf(html: string, suggestedName: string, deps: PrintDeps): Promise<PrintResultView> {
  const path = await deps.chooseSavePath(suggestedName);
  if (path === undefined) return { cancelled: true };
  const win = deps.createWindow(printWindowOptions());
  try {
    await win.loadURL(htmlDataUrl(html));
    const pdf = await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4', preferCSSPageSize: true });
    await (deps.writeFile ?? ((p, b) => writeFileAtomic(p, b, { overwrite: true })))(path, pdf);
    return { saved: path };
  } finally {
    win.destroy();
  }
}
