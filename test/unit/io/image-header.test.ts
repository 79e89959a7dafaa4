/**
 * Issue #12, point 4: an image's pixel count is read from its header and refused above the budget before
 * any decoder allocates for it — through the header parser and through `qr decode`.
 */
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { CeremonyError } from '../../../src/errors.js';
import { checkImageSize, imageHeader, QR_IMAGE_MAX_PIXELS } from '../../../src/io/image-header.js';
import { qrModules, qrPng, readQrCodes } from '../../../src/io/qr-images.js';
import { jpegHeaderOnly, pngBomb } from '../../../bench/hostile/images.js';
import { captureIo } from '../../support/cli-io.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

let bomb: Uint8Array | undefined;
/** The attack's file: 30000 × 30000 pixels in under a megabyte (made once: deflating it takes a moment). */
const bomb30k = () => (bomb ??= pngBomb(30000, 30000));

function code(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return (err as CeremonyError).code;
  }
  return 'accepted';
}

describe('image headers', () => {
  it('reads the size of a real QR frame PNG and of a JPEG header', async () => {
    const png = await qrPng('UR:X-TUF-CEREMONY-BUNDLE/1-2/LPADAOCSFNCYHKECHNRDHDBAECTIHDRL', { scale: 4 });
    const h = imageHeader(png);
    expect(h.format).toBe('png');
    expect(h.width).toBe(h.height);
    expect(h.width).toBeGreaterThan(50);
    expect(imageHeader(jpegHeaderOnly(1280, 720))).toEqual({ format: 'jpeg', width: 1280, height: 720 });
  });

  it.each([
    ['a 30000 × 30000 PNG (under 1 MB on disk)', bomb30k, 'QR_IMAGE_TOO_LARGE'],
    ['a JPEG announcing 65535 × 65535', () => jpegHeaderOnly(65535, 65535), 'QR_IMAGE_TOO_LARGE'],
    ['a PNG one pixel over the budget', () => pngBomb(QR_IMAGE_MAX_PIXELS + 1, 1), 'QR_IMAGE_TOO_LARGE'],
    ['an animated PNG (APNG)', () => pngBomb(100, 100, { animated: true }), 'QR_IMAGE_UNREADABLE'],
    ['a PNG of zero width', () => pngBomb(0, 100), 'QR_IMAGE_UNREADABLE'],
    ['a PNG signature without IHDR', () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x44, 0x41, 0x54]), 'QR_IMAGE_UNREADABLE'],
    ['a JPEG whose first segment has length 0', () => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0]), 'QR_IMAGE_UNREADABLE'],
    ['a JPEG with no frame header', () => new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), 'QR_IMAGE_UNREADABLE'],
    ['a GIF', () => new TextEncoder().encode('GIF89a\x10\x00\x10\x00'), 'QR_IMAGE_UNREADABLE'],
  ])('%s → %s', (_what: string, make: () => Uint8Array, expected: string) => {
    expect(code(() => checkImageSize(make()))).toBe(expected);
  });

  it('a PNG within the budget passes', () => {
    expect(checkImageSize(pngBomb(4000, 4000))).toEqual({ format: 'png', width: 4000, height: 4000 });
  });

  it('qr decode refuses a pixel bomb with its code, before decoding, and writes nothing', async () => {
    const dir = tmp('tufc-img-');
    expect(bomb30k().length).toBeLessThan(1 << 20);
    writeFileSync(join(dir, 'bomb.png'), bomb30k());
    const c = captureIo();
    const status = await runCli(['qr', 'decode', join(dir, 'bomb.png'), '--out', join(dir, 'out.bundle')], c.io);
    expect(status).toBe(1);
    expect(c.err[0]).toMatch(/^error\[QR_IMAGE_TOO_LARGE\]: .*30000 × 30000 pixels/);
    expect(existsSync(join(dir, 'out.bundle'))).toBe(false);
  });
});

describe('QR frame images (issue #18)', () => {
  it('the fast path misses an inverted code; the full search after it still reads it (no frame lost)', async () => {
    const text = 'UR:X-TUF-CEREMONY-BUNDLE/1-2/LPADAOCSFNCYHKECHNRDHDBAECTIHDRL';
    const m = qrModules(text);
    const scale = 6;
    const side = (m.size + 8) * scale;
    const data = new Uint8ClampedArray(side * side * 4);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const mx = Math.floor(x / scale) - 4;
        const my = Math.floor(y / scale) - 4;
        const dark = mx >= 0 && my >= 0 && mx < m.size && my < m.size && m.dark(mx, my);
        const v = dark ? 255 : 0; // light code on a dark ground
        data.set([v, v, v, 255], (y * side + x) * 4);
      }
    }
    expect(await readQrCodes({ data, width: side, height: side })).toEqual([text]);
  });
});
