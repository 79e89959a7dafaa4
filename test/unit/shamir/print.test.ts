import { createHash } from 'node:crypto';
import QRCode from 'qrcode';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatShareCard, makeShareCard, type ShareCard } from '../../../src/shamir/card.js';
import { renderShareCardsHtml, SHARE_CARDS_CSS, shareCardQrSvg } from '../../../src/shamir/print.js';
import { generateAndSplit } from '../../../src/shamir/split.js';
import { dataGroups } from './support.js';
import { shortDigest } from '../../../src/crypto/digest-words.js';

let cards: ShareCard[];
beforeAll(async () => {
  cards = (await generateAndSplit('ed25519', { threshold: 2, shares: 3, label: 'registry.example.com/org/app' })).cards;
});

describe('renderShareCardsHtml', () => {
  it('one section per card, each with its fields, numbered share data lines, card check and QR', async () => {
    const html = await renderShareCardsHtml(cards);
    expect(html.match(/<section class="card">/g)).toHaveLength(3);
    for (const card of cards) {
      const text = formatShareCard(card);
      for (const g of dataGroups(text).flat()) expect(html).toContain(`<span class="g">${g}</span>`);
      expect(html).toContain(text.match(/^card check: .*$/m)![0]);
      expect(html).toContain(`Share card ${cards.indexOf(card) + 1} of 3</h1>`);
      expect(html).toContain(`share index ${card.index}.`);
      // The fingerprint as hex groups each kept whole, and as the words the app reads aloud.
      for (const g of card.fingerprint.match(/.{8}/g)!) expect(html).toContain(`<span class="grp">${g}</span>`);
      expect(html).toContain(`<span class="grp">${shortDigest(card.fingerprint).words.slice(0, 4).join(' ')}</span>`);
    }
    // Held by, date and witness lines to fill in by hand, on every card; no "Page K of N" beside "card K".
    expect(html.match(/<tr><th>Held by<\/th><td><\/td><\/tr>\n<tr><th>Date<\/th><td><\/td><\/tr>\n<tr><th>Witness<\/th><td><\/td><\/tr>/g)).toHaveLength(3);
    expect(html).not.toMatch(/Page \d of/);
    // Numbers given (the files' K) are the numbers printed.
    const third = await renderShareCardsHtml([cards[2]!], { numbers: [3] });
    expect(third).toContain('Share card 3 of 3</h1>');
    expect(third).toContain('tuf-ceremony share card 3 of 3,');
    expect(html.match(/<span class="n">[1-4]:<\/span>/g)).toHaveLength(12);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('For the custodian of this card');
    expect(html).not.toContain('REHEARSAL');
  });

  it('is self-contained: no scripts, no external resources, no inline style attributes', async () => {
    const html = await renderShareCardsHtml(cards);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|\son\w+=|\sstyle=|\ssrc=|\shref=|url\(|@import/i);
    // The only URL is the SVG namespace.
    expect(html.match(/https?:\/\/[^"]+/g)!.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  it('carries its own CSP allowing exactly its <style> element by hash', async () => {
    const html = await renderShareCardsHtml(cards);
    const hash = createHash('sha256').update(SHARE_CARDS_CSS).digest('base64');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-${hash}&#39;;`);
    expect(html).toContain(`<style>${SHARE_CARDS_CSS}</style>`);
    const bare = await renderShareCardsHtml(cards, { inlineStyle: false });
    expect(bare).not.toContain('<style>');
    expect(bare).toContain('style-src &#39;self&#39;');
    expect(SHARE_CARDS_CSS).toContain('break-after: page');
  });

  it('REHEARSAL watermark when asked, or when the cards are rehearsal cards', async () => {
    expect(await renderShareCardsHtml(cards, { rehearsal: true })).toMatch(/<div class="watermark" aria-hidden="true">REHEARSAL<\/div>/);
    const rehearsalCards = cards.map((c) => makeShareCard({ ...c, rehearsal: true }));
    const html = await renderShareCardsHtml(rehearsalCards);
    expect(html.match(/class="watermark"/g)).toHaveLength(3);
  });

  it('escapes the label', async () => {
    const c = makeShareCard({ ...cards[0]!, label: `a<b>&"c'` });
    const html = await renderShareCardsHtml([c], { title: '<x>' });
    expect(html).toContain('a&lt;b&gt;&amp;&quot;c&#39;');
    expect(html).toContain('<title>&lt;x&gt;</title>');
    expect(html).not.toContain('a<b>');
  });

  it('the QR code encodes exactly the typed form of the card', async () => {
    const expected = await QRCode.toString(formatShareCard(cards[0]!), { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    expect((await shareCardQrSvg(cards[0]!)).replace(' role="img" aria-label="QR code of this share card"', '')).toBe(expected);
  });

  it('refuses an empty list', async () => {
    await expect(renderShareCardsHtml([])).rejects.toThrow(RangeError);
  });
});
