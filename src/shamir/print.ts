/**
 * Printable share cards: one self-contained HTML document, one card per page, for a print-only window
 * (or headless Chromium's page.pdf()). No scripts, no external resources: the QR code is inline SVG made
 * by `qrcode` from the card's typed form (so scanning it gives exactly what typing the card gives).
 *
 * The app's CSP (`default-src 'none'; style-src 'self'; …`) forbids inline styles; the document therefore
 * uses no `style` attributes, keeps its CSS in one <style> element allowed by hash in its own CSP meta
 * tag, and can be rendered without that element (`inlineStyle: false`) for a caller that injects
 * SHARE_CARDS_CSS itself.
 *
 * The document holds the shares: it is as secret as the cards.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import QRCode from 'qrcode';
import { toBase64 } from '../profiles/encoding.js';
import { shortDigest } from '../crypto/digest-words.js';
import { cardCheck, formatFingerprint, formatShareCard, formatSplitId, headerFields, shareDataLines, type ShareCard } from './card.js';

export const SHARE_CARDS_CSS = `
@page { size: A4; margin: 14mm 16mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #fff; color: #000; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt; line-height: 1.35; }
.card { position: relative; overflow: hidden; height: 268mm; break-after: page; page-break-after: always; }
.card:last-child { break-after: auto; page-break-after: auto; }
.card > * { position: relative; z-index: 1; }
.card > .watermark { position: absolute; z-index: 0; left: -30mm; right: -30mm; top: 205mm; text-align: center;
  font-size: 54pt; font-weight: bold; letter-spacing: 3mm; color: #d9d9d9; transform: rotate(-12deg); }
h1 { font-size: 17pt; margin: 0 0 1mm 0; }
.subtitle { margin: 0 0 4mm 0; font-size: 11pt; }
.rehearsal-note { font-weight: bold; border: 0.6mm solid #000; padding: 1.5mm 3mm; margin: 0 0 4mm 0; }
.top { display: flex; gap: 6mm; align-items: flex-start; }
table.fields { border-collapse: collapse; flex: 1; }
table.fields th { text-align: left; font-weight: normal; color: #333; padding: 0.8mm 3mm 0.8mm 0; white-space: nowrap; vertical-align: top; }
table.fields td { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; padding: 0.8mm 0; vertical-align: top; }
td.fingerprint { word-spacing: 0.5em; }
td .grp { white-space: nowrap; }
td.words { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-weight: bold; }
table.custody { border-collapse: collapse; width: 100%; margin: 4mm 0 0 0; }
table.custody th { text-align: left; font-weight: normal; width: 28mm; padding: 2.5mm 3mm 0 0; white-space: nowrap; }
table.custody td { border-bottom: 0.3mm solid #000; padding: 2.5mm 0 0 0; }
.qr { width: 52mm; flex: none; text-align: center; font-size: 8pt; color: #333; }
.qr svg { width: 52mm; height: 52mm; display: block; }
h2 { font-size: 12pt; margin: 6mm 0 2mm 0; }
ol.data { list-style: none; margin: 0; padding: 3mm 4mm; border: 0.6mm solid #000; background: #fff; }
ol.data li { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 21pt; line-height: 1.45; white-space: nowrap; }
ol.data .n { display: inline-block; width: 12mm; color: #555; font-size: 14pt; }
ol.data .g { display: inline-block; margin-right: 6mm; letter-spacing: 0.12em; }
.check { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 16pt; margin: 2mm 0 0 0; }
.instructions { margin-top: 5mm; font-size: 9.5pt; }
.instructions ul { margin: 1mm 0 0 0; padding-left: 5mm; }
.instructions li { margin: 0.6mm 0; }
.footer { position: absolute; bottom: 0; left: 0; right: 0; font-size: 8pt; color: #555; border-top: 0.3mm solid #999; padding-top: 1mm; }
`;

export interface RenderShareCardsOptions {
  /** Print a REHEARSAL watermark (also printed, whatever this says, on cards marked as rehearsal cards). */
  rehearsal?: boolean;
  /** Document title; default "Share cards <split>". */
  title?: string;
  /** Put SHARE_CARDS_CSS in a <style> element (default). false: the caller supplies the CSS. */
  inlineStyle?: boolean;
  /**
   * Each card's number K in "card K of N", as its file `share-card-K-of-N.txt` says (default: the order
   * given, 1..). The share index on the card is the Shamir x-coordinate, not this number.
   */
  numbers?: readonly number[];
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The QR code of a card: inline SVG of its typed form (secret, like the card). */
export async function shareCardQrSvg(card: ShareCard): Promise<string> {
  const svg = await QRCode.toString(formatShareCard(card), { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return svg.replace(/^<svg /, '<svg role="img" aria-label="QR code of this share card" ');
}

/** The fingerprint as hex groups of eight, each kept whole on its line (issue #16: "51c | 1"). */
function fingerprintHexHtml(fp: string): string {
  return formatFingerprint(fp)
    .split(' ')
    .map((g) => `<span class="grp">${esc(g)}</span>`)
    .join(' ');
}

/** The words the app reads aloud for this fingerprint (its first 8 bytes as PGP words, digest-words.ts). */
function fingerprintWordsHtml(fp: string): string {
  const words = shortDigest(fp).words;
  const groups: string[] = [];
  for (let i = 0; i < words.length; i += 4) groups.push(`<span class="grp">${esc(words.slice(i, i + 4).join(' '))}</span>`);
  return groups.join(' · ');
}

function renderCard(card: ShareCard, qr: string, number: number, rehearsal: boolean): string {
  const fields = headerFields(card)
    .filter((f) => f.name !== 'rehearsal')
    .map((f) =>
      f.name === 'fingerprint'
        ? `<tr><th>fingerprint</th><td class="fingerprint">${fingerprintHexHtml(card.fingerprint)}</td></tr>\n<tr><th>fingerprint words</th><td class="words">${fingerprintWordsHtml(card.fingerprint)}</td></tr>`
        : `<tr><th>${esc(f.name)}</th><td>${esc(f.value)}</td></tr>`,
    )
    .join('\n');
  const lines = shareDataLines(card)
    .map((groups, i) => `<li><span class="n">${i + 1}:</span>${groups.map((g) => `<span class="g">${esc(g)}</span>`).join('')}</li>`)
    .join('\n');
  const M = card.threshold;
  const N = card.shares;
  const what = card.label ? `the signing key of ${esc(card.label)}` : 'a signing key';
  return `<section class="card">
${rehearsal ? '<div class="watermark" aria-hidden="true">REHEARSAL</div>' : ''}
<h1>Share card ${number} of ${N}</h1>
<p class="subtitle">Split ${esc(formatSplitId(card.splitId))}, share index ${card.index}. Any <strong>${M}</strong> of the <strong>${N}</strong> cards of this split rebuild ${what}.</p>
${rehearsal ? '<p class="rehearsal-note">REHEARSAL: this card is for practice only and protects no real key.</p>' : ''}
<div class="top">
<table class="fields">
<tr><th>card</th><td>TUF-CEREMONY SHARE CARD</td></tr>
${fields}
</table>
<div class="qr">${qr}<div>QR: the same card, for scanning</div></div>
</div>
<h2>Share data</h2>
<ol class="data">
${lines}
</ol>
<p class="check">card check: ${esc(formatSplitId(cardCheck(card)))}</p>
<table class="custody">
<tr><th>Held by</th><td></td></tr>
<tr><th>Date</th><td></td></tr>
<tr><th>Witness</th><td></td></tr>
</table>
<div class="instructions">
<strong>For the custodian of this card</strong>
<ul>
<li>This card is one of ${N} pieces of ${what}. Any ${M} of them together rebuild the key; fewer than ${M} reveal nothing about it.</li>
<li>Keep it sealed and private. Do not photograph, scan or copy it, and type it only into the offline ceremony machine.</li>
<li>Roll-call: to show the card is intact without rebuilding anything, the administrator runs <code>tuf-ceremony shamir check</code> on it, with this split ID and fingerprint.</li>
<li>Typing it: case does not matter, spaces and hyphens are optional, the line numbers may be left out; O is read as 0, I and L as 1, and U is never used. The last character of each group is a check: a typing mistake is reported with its group and line.</li>
<li>Compare the fingerprint with the one read aloud at the ceremony. If this card is lost or seen by someone else, tell the ceremony administrator.</li>
</ul>
</div>
<div class="footer">tuf-ceremony share card ${number} of ${N}, format version ${card.version} · split ${esc(formatSplitId(card.splitId))} · share index ${card.index} · any ${M} of ${N}${rehearsal ? ' · REHEARSAL' : ''}</div>
</section>`;
}

/**
 * A printable HTML document with one card per page (in the order given), inline SVG QR codes, print
 * CSS, custodian instructions, and a REHEARSAL watermark for rehearsal cards or when `opts.rehearsal`.
 */
export async function renderShareCardsHtml(cards: readonly ShareCard[], opts: RenderShareCardsOptions = {}): Promise<string> {
  if (cards.length === 0) throw new RangeError('renderShareCardsHtml: cards must not be empty');
  const qrs = await Promise.all(cards.map((c) => shareCardQrSvg(c)));
  const body = cards.map((c, i) => renderCard(c, qrs[i]!, opts.numbers?.[i] ?? i + 1, Boolean(opts.rehearsal) || c.rehearsal)).join('\n');
  const title = opts.title ?? `Share cards ${formatSplitId(cards[0]!.splitId)}`;
  const inline = opts.inlineStyle ?? true;
  const styleHash = `'sha256-${toBase64(sha256(new TextEncoder().encode(SHARE_CARDS_CSS)))}'`;
  // Its own CSP, so that opened in any browser the document can load and run nothing.
  const csp = `default-src 'none'; style-src ${inline ? styleHash : "'self'"}; img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
${inline ? `<style>${SHARE_CARDS_CSS}</style>` : ''}
</head>
<body>
${body}
</body>
</html>
`;
}
