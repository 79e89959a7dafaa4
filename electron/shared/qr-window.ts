/**
 * Decoding a camera's QR frames in order (issue #18): the code sits where it sat in the last frame, so each
 * frame is first decoded in a window around the last code found, with the fast options (one upright
 * symbol, no try-hard passes); on a miss the fast options over the whole frame; on a miss again the full
 * options over the whole frame. A frame the full options would read is never lost: the full search runs
 * on every frame the faster passes miss. Pure (the decoder is injected): the camera worker
 * (renderer/src/import/qr-worker.ts) runs it with zxing-wasm, the benchmark (bench/qr.ts) and the unit
 * test likewise in node.
 */

export interface QrPoint {
  x: number;
  y: number;
}

/** What a decoder reports per symbol: its text and its corners in the image it was given. */
export interface QrHit {
  text: string;
  position: { topLeft: QrPoint; topRight: QrPoint; bottomLeft: QrPoint; bottomRight: QrPoint };
}

/** RGBA pixels, 4 bytes per pixel, row after row (ImageData's layout). */
export interface RgbaImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `fast`: one upright symbol, no try-hard passes; `full`: every option the decoder has. */
export type QrReadMode = 'fast' | 'full';
export type QrRead = (image: RgbaImage, mode: QrReadMode) => Promise<QrHit[]>;

/** Which pass read the frame (for the benchmark and the test). */
export type QrPass = 'window' | 'fast' | 'full' | 'none';

/**
 * The window: the code's bounding box grown by `margin` times its larger side on every side (the code
 * moves and tilts between frames), clamped to the frame; undefined when the box is degenerate.
 */
export function windowAround(hit: QrHit, offset: QrPoint, frame: { width: number; height: number }, margin = 0.5): Rect | undefined {
  const p = hit.position;
  const xs = [p.topLeft.x, p.topRight.x, p.bottomLeft.x, p.bottomRight.x].map((x) => x + offset.x);
  const ys = [p.topLeft.y, p.topRight.y, p.bottomLeft.y, p.bottomRight.y].map((y) => y + offset.y);
  if (![...xs, ...ys].every(Number.isFinite)) return undefined;
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const grow = margin * Math.max(x1 - x0, y1 - y0);
  const left = Math.max(0, Math.floor(x0 - grow));
  const top = Math.max(0, Math.floor(y0 - grow));
  const right = Math.min(frame.width, Math.ceil(x1 + grow));
  const bottom = Math.min(frame.height, Math.ceil(y1 + grow));
  if (right - left < 21 || bottom - top < 21) return undefined; // smaller than a version-1 code
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** The pixels of `rect` as an image of its own (row copies). */
export function cropRgba(image: RgbaImage, rect: Rect): RgbaImage {
  const out = new Uint8ClampedArray(rect.width * rect.height * 4);
  const rowBytes = rect.width * 4;
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * image.width + rect.x) * 4;
    out.set(image.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { data: out, width: rect.width, height: rect.height };
}

/** Above this share of the frame's area a window is not worth its copy. */
const WINDOW_MAX_SHARE = 0.6;

export class WindowedQrReader {
  private window: Rect | undefined;

  constructor(
    private readonly read: QrRead,
    private readonly margin = 0.5,
  ) {}

  /** The texts of the frame's codes, and which pass found them. */
  async decode(frame: RgbaImage): Promise<{ texts: string[]; pass: QrPass }> {
    const w = this.window;
    // A window nearly as large as the frame saves nothing and costs a copy: the frame itself is read then.
    if (w && w.x + w.width <= frame.width && w.y + w.height <= frame.height && w.width * w.height <= WINDOW_MAX_SHARE * frame.width * frame.height) {
      const hits = await this.read(cropRgba(frame, w), 'fast');
      if (hits.length > 0) return this.found(hits, w, frame, 'window');
    }
    const fast = await this.read(frame, 'fast');
    if (fast.length > 0) return this.found(fast, { x: 0, y: 0 }, frame, 'fast');
    const full = await this.read(frame, 'full');
    if (full.length > 0) return this.found(full, { x: 0, y: 0 }, frame, 'full');
    this.window = undefined;
    return { texts: [], pass: 'none' };
  }

  private found(hits: QrHit[], offset: QrPoint, frame: RgbaImage, pass: QrPass): { texts: string[]; pass: QrPass } {
    this.window = windowAround(hits[0]!, offset, frame, this.margin);
    return { texts: hits.map((h) => h.text), pass };
  }
}
