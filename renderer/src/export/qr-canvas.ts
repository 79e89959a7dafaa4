/**
 * Draw one QR frame (its module matrix, computed in main by the `qrcode` package: src/bundle/export.ts
 * qrFrameWindow) onto a canvas: black modules on white, whole pixels per module, and the 4-module white
 * quiet zone the QR standard asks for (ISO/IEC 18004 §6.3.8) — what a webcam needs to find the code.
 * A canvas needs no image URL, so the strict CSP (no inline styles or scripts) stays as it is.
 */
import type { QrFrameView } from '../../../electron/shared/api-types.js';

export const QUIET_ZONE = 4;

/** Unpack the row-major bit matrix (MSB first, base64) into one byte per module (1 = dark). */
export function unpackModules(frame: Pick<QrFrameView, 'size' | 'modules'>): Uint8Array {
  const raw = atob(frame.modules);
  const n = frame.size * frame.size;
  if (raw.length !== Math.ceil(n / 8)) throw new Error(`frame modules: ${raw.length} bytes for a ${frame.size}×${frame.size} code`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (raw.charCodeAt(i >> 3) >> (7 - (i & 7))) & 1;
  return out;
}

/** Size the canvas to the code at `px` pixels per module and draw it. */
export function drawFrame(canvas: HTMLCanvasElement, frame: Pick<QrFrameView, 'size' | 'modules'>, px: number): void {
  const modules = unpackModules(frame);
  const side = (frame.size + 2 * QUIET_ZONE) * px;
  if (canvas.width !== side) canvas.width = side;
  if (canvas.height !== side) canvas.height = side;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, side, side);
  ctx.fillStyle = '#000000';
  for (let y = 0; y < frame.size; y++) {
    // Runs of dark modules in a row as one rectangle: fewer calls, no seams between modules.
    let x = 0;
    while (x < frame.size) {
      if (!modules[y * frame.size + x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < frame.size && modules[y * frame.size + x]) x++;
      ctx.fillRect((start + QUIET_ZONE) * px, (y + QUIET_ZONE) * px, (x - start) * px, px);
    }
  }
}
