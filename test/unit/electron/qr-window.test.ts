/**
 * The camera's decode order (electron/shared/qr-window.ts, issue #18): a window around the last code
 * first, then the fast path over the frame, then the full options — with the real decoder (zxing-wasm,
 * as the camera worker and `qr decode` run it) on rendered 720p frames. No frame the full options read
 * may be lost.
 */
import { describe, expect, it } from 'vitest';
import { cropRgba, windowAround, WindowedQrReader, type RgbaImage } from '../../../electron/shared/qr-window.js';
import { qrModules, readQrHits } from '../../../src/io/qr-images.js';

const [W, H] = [1280, 720];

/** A frame with `text` as a QR code at (x0, y0), `scale` px per module; `invert` draws light on dark. */
function frame(text: string | undefined, x0: number, y0: number, scale = 5, invert = false): RgbaImage {
  const data = new Uint8ClampedArray(W * H * 4).fill(255);
  const paint = (x: number, y: number, v: number) => {
    const o = (y * W + x) * 4;
    data[o] = data[o + 1] = data[o + 2] = v;
  };
  if (text !== undefined) {
    const { size, dark } = qrModules(text);
    const quiet = 4 * scale;
    for (let y = y0 - quiet; y < y0 + size * scale + quiet; y++) {
      for (let x = x0 - quiet; x < x0 + size * scale + quiet; x++) {
        const mx = Math.floor((x - x0) / scale);
        const my = Math.floor((y - y0) / scale);
        const isDark = mx >= 0 && my >= 0 && mx < size && my < size && dark(mx, my);
        paint(x, y, isDark !== invert ? 0 : 255);
      }
    }
  }
  return { data, width: W, height: H };
}

describe('WindowedQrReader (issue #18)', () => {
  it('reads the first frame with the fast path, the next ones in the window around the last code, a jump with the fast path again', async () => {
    const reader = new WindowedQrReader(readQrHits);
    const texts = ['UR:BYTES/1-3/FIRST', 'UR:BYTES/2-3/SECOND', 'UR:BYTES/3-3/THIRD', 'UR:BYTES/4-3/FOURTH'];
    expect(await reader.decode(frame(texts[0], 300, 200))).toEqual({ texts: [texts[0]], pass: 'fast' });
    expect(await reader.decode(frame(texts[1], 310, 205))).toEqual({ texts: [texts[1]], pass: 'window' });
    expect(await reader.decode(frame(texts[2], 290, 195))).toEqual({ texts: [texts[2]], pass: 'window' });
    // The code moved to the other side of the frame: the window misses, the whole frame reads it.
    expect(await reader.decode(frame(texts[3], 1000, 500))).toEqual({ texts: [texts[3]], pass: 'fast' });
  });

  it('a code only the full options read (inverted) is still read; a frame without a code reads nothing and forgets the window', async () => {
    const reader = new WindowedQrReader(readQrHits);
    expect((await reader.decode(frame('UR:BYTES/1-2/ONE', 300, 200))).pass).toBe('fast');
    expect(await reader.decode(frame('UR:BYTES/2-2/TWO', 300, 200, 5, true))).toEqual({ texts: ['UR:BYTES/2-2/TWO'], pass: 'full' });
    expect(await reader.decode(frame(undefined, 0, 0))).toEqual({ texts: [], pass: 'none' });
    expect((await reader.decode(frame('UR:BYTES/1-2/ONE', 300, 200))).pass).toBe('fast');
  });

  it('windowAround grows the code box by the margin and clamps it to the frame; cropRgba copies exactly that rectangle', () => {
    const hit = { text: 'x', position: { topLeft: { x: 10, y: 20 }, topRight: { x: 110, y: 20 }, bottomLeft: { x: 10, y: 120 }, bottomRight: { x: 110, y: 120 } } };
    expect(windowAround(hit, { x: 0, y: 0 }, { width: W, height: H })).toEqual({ x: 0, y: 0, width: 160, height: 170 });
    expect(windowAround(hit, { x: 1000, y: 500 }, { width: W, height: H })).toEqual({ x: 960, y: 470, width: 200, height: 200 });
    const degenerate = { ...hit, position: { ...hit.position, topRight: { x: 10, y: 20 }, bottomRight: { x: 10, y: 20 }, bottomLeft: { x: 10, y: 20 } } };
    expect(windowAround(degenerate, { x: 0, y: 0 }, { width: W, height: H })).toBeUndefined();
    const img: RgbaImage = { data: new Uint8ClampedArray(4 * 4 * 3).map((_, i) => i), width: 4, height: 3 };
    const c = cropRgba(img, { x: 1, y: 1, width: 2, height: 2 });
    expect([...c.data]).toEqual([...img.data.subarray(20, 28), ...img.data.subarray(36, 44)]);
  });
});
