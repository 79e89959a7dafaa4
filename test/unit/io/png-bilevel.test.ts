/**
 * QR frames as 1-bit greyscale PNGs (issue #18: src/io/png-bilevel.ts, src/io/qr-images.ts qrPng). Read
 * back by two independent readers — pngjs (qrcode's own PNG library, which checks every chunk's CRC) and
 * zxing-wasm (what `qr decode`, the rehearsal's site and the app read frames with) — and pixel by pixel
 * against the QR module matrix.
 */
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bilevelPng, bilevelRowBytes } from '../../../src/io/png-bilevel.js';
import { qrModules, qrPng, readQrCodes, readQrHits } from '../../../src/io/qr-images.js';
import { encodeQrFrames } from '../../../src/transport/qr/encoder.js';

/** pngjs (a dependency of qrcode; no types installed): just what is read here. */
interface DecodedPng {
  width: number;
  height: number;
  data: Buffer;
}
const { PNG } = createRequire(import.meta.url)('pngjs') as { PNG: { sync: { read(buffer: Buffer): DecodedPng } } };

const TEXT = 'UR:X-TUF-CEREMONY-BUNDLE/1-2/LPADAOCSFNCYHKECHNRDHDBAECTIHDRL';

describe('qrPng: QR frames as 1-bit greyscale PNGs', () => {
  for (const scale of [1, 2, 4, 6]) {
    it(`scale ${scale}: IHDR says 1 bit greyscale, every row filter None, every pixel the module it draws (4-module quiet zone), pngjs and zxing-wasm read it`, async () => {
      const png = Buffer.from(await qrPng(TEXT, { scale }));
      const m = qrModules(TEXT);
      const side = (m.size + 8) * scale;
      // IHDR: width, height, bit depth 1, colour type 0, compression 0, filter 0, interlace 0.
      expect(png.toString('latin1', 12, 16)).toBe('IHDR');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([side, side]);
      expect([...png.subarray(24, 29)]).toEqual([1, 0, 0, 0, 0]);
      const idat: Buffer[] = [];
      for (let at = 8; at < png.length; ) {
        const length = png.readUInt32BE(at);
        if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
        at += 12 + length;
      }
      const raw = inflateSync(Buffer.concat(idat));
      const stride = 1 + bilevelRowBytes(side);
      expect(raw.length).toBe(stride * side);
      for (let y = 0; y < side; y++) expect(raw[y * stride]).toBe(0);

      const decoded = PNG.sync.read(png); // checks the CRCs
      expect([decoded.width, decoded.height]).toEqual([side, side]);
      let wrong = 0;
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const mx = Math.floor(x / scale) - 4;
          const my = Math.floor(y / scale) - 4;
          const dark = mx >= 0 && my >= 0 && mx < m.size && my < m.size && m.dark(mx, my);
          const i = (y * side + x) * 4;
          if (decoded.data[i] !== (dark ? 0 : 255) || decoded.data[i + 1] !== decoded.data[i] || decoded.data[i + 2] !== decoded.data[i] || decoded.data[i + 3] !== 255) wrong++;
        }
      }
      expect(wrong).toBe(0);
      if (scale >= 2) expect(await readQrCodes(new Uint8Array(png))).toEqual([TEXT]);
    });
  }

  it('is deterministic: the same text gives the same bytes', async () => {
    expect(Buffer.from(await qrPng(TEXT, { scale: 4 })).equals(Buffer.from(await qrPng(TEXT, { scale: 4 })))).toBe(true);
  });

  it('the rehearsal\'s frames (400-byte fragments, version ~17, scale 4) read back with the fast decoder options', async () => {
    const bundle = new Uint8Array(18_000).map((_, i) => (i * 131 + 7) & 0xff);
    const enc = encodeQrFrames(bundle, { fragmentBytes: 400, count: 6 });
    for (const part of enc.parts) expect((await readQrHits(await qrPng(part, { scale: 4 }), 'fast')).map((h) => h.text)).toEqual([part]);
  });

  it('bilevelPng refuses rows that do not match the size, and sizes that are not positive integers', () => {
    expect(() => bilevelPng(9, 2, new Uint8Array(5))).toThrow(RangeError);
    expect(() => bilevelPng(0, 1, new Uint8Array(0))).toThrow(RangeError);
    expect(() => bilevelPng(1.5, 1, new Uint8Array(2))).toThrow(RangeError);
    expect(bilevelPng(9, 2, new Uint8Array(6)).length).toBeGreaterThan(8);
  });
});
