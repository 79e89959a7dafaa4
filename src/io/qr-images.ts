/**
 * QR images on this side of the file-system boundary (STYLE.md): QR codes drawn as PNG (qrcode's module
 * matrix, our 1-bit PNG writer), and QR codes read from image files or pixels (zxing-wasm).
 *
 * zxing-wasm fetches its .wasm from a CDN unless it is handed the binary: the app is offline, so the
 * binary bundled in node_modules/zxing-wasm is read from disk and passed in before the first read, and
 * nothing is ever fetched.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import QRCode, { type QRCodeSegment } from 'qrcode';
import { prepareZXingModule, readBarcodes, type ReaderOptions } from 'zxing-wasm/reader';
import { CeremonyError } from '../errors.js';
import { readFileCapped } from './files.js';
import { checkImageSize } from './image-header.js';
import { bilevelPng, bilevelRowBytes } from './png-bilevel.js';

/** Largest image file `qr decode` reads (a 4K PNG screenshot is ~10 MB at most). */
export const QR_IMAGE_MAX_BYTES = 32 * 1024 * 1024;

/** One segment, in alphanumeric mode when the text allows it (upper-case UR text does). */
function segmentsFor(text: string): QRCodeSegment[] {
  return /^[0-9A-Z $%*+\-./:]*$/.test(text) ? [{ data: text, mode: 'alphanumeric' }] : [{ data: new TextEncoder().encode(text), mode: 'byte' }];
}

/**
 * Draw one frame's text as a PNG: alphanumeric mode (upper-case UR text fits it), error correction
 * level L (the UR frame has its own CRC32, and a webcam sees a screen, not a damaged print), `scale`
 * pixels per module, the 4-module quiet zone the standard asks for (ISO/IEC 18004 §9.1), black on
 * white, one bit per pixel (src/io/png-bilevel.ts: issue #18, the export's PNGs were 32-bit RGBA).
 */
export async function qrPng(text: string, opts: { scale?: number } = {}): Promise<Uint8Array> {
  const scale = opts.scale ?? 6;
  if (!Number.isSafeInteger(scale) || scale < 1 || scale > 64) throw new RangeError('qrPng: scale must be an integer from 1 to 64');
  const { size, dark } = qrModules(text);
  const margin = 4;
  const side = (size + 2 * margin) * scale;
  const stride = 1 + bilevelRowBytes(side);
  const rows = new Uint8Array(stride * side);
  const line = new Uint8Array(stride); // filter byte 0 (None), then the samples
  for (let my = 0; my < size + 2 * margin; my++) {
    line.fill(0xff, 1);
    const y = my - margin;
    if (y >= 0 && y < size) {
      for (let x = 0; x < size; x++) {
        if (!dark(x, y)) continue;
        for (let px = (x + margin) * scale, end = px + scale; px < end; px++) line[1 + (px >> 3)]! &= ~(0x80 >> (px & 7));
      }
    }
    // A module row is `scale` identical pixel rows.
    for (let k = 0; k < scale; k++) rows.set(line, (my * scale + k) * stride);
  }
  return bilevelPng(side, side, rows);
}

/** The QR modules of `text` (true = dark), for drawing frames at any size (bench, app player). */
export function qrModules(text: string): { size: number; dark: (x: number, y: number) => boolean } {
  const qr = QRCode.create(segmentsFor(text), { errorCorrectionLevel: 'L' });
  const size = qr.modules.size;
  return { size, dark: (x, y) => Boolean(qr.modules.get(y, x)) };
}

let ready: Promise<unknown> | undefined;

/** zxing-wasm's reader binary, as the package ships it (also handed to the app's camera worker, which may fetch nothing). */
export async function readQrReaderWasm(): Promise<Uint8Array> {
  const require = createRequire(import.meta.url);
  return new Uint8Array(await readFile(require.resolve('zxing-wasm/reader/zxing_reader.wasm')));
}

/** Load zxing-wasm's reader from the bundled binary (once per process). */
export function ensureQrReader(): Promise<unknown> {
  ready ??= (async () => {
    const bin = await readQrReaderWasm();
    const wasmBinary = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
    return prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true });
  })();
  return ready;
}

/** The full search: every try-hard option, up to 4 symbols. */
const READER_OPTIONS: ReaderOptions = { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 4 };
/**
 * The fast path first (issue #18): a frame holds one upright, dark-on-light code, so one symbol without
 * rotations, inversion or the try-hard passes finds it in most frames at a fraction of the cost; the full
 * search runs only after a miss, so no frame the full options would read is lost.
 */
const FAST_READER_OPTIONS: ReaderOptions = { formats: ['QRCode'], tryHarder: false, tryRotate: false, tryInvert: false, maxNumberOfSymbols: 1 };

/** A code found: its text and its corners in the image (for a decode window, electron/shared/qr-window.ts). */
export interface QrCodeHit {
  text: string;
  position: { topLeft: { x: number; y: number }; topRight: { x: number; y: number }; bottomLeft: { x: number; y: number }; bottomRight: { x: number; y: number } };
}

/** One pass of the decoder: `fast` (one upright symbol, no try-hard passes) or `full` (every option). */
export async function readQrHits(image: Uint8Array | { data: Uint8ClampedArray; width: number; height: number }, mode: 'fast' | 'full'): Promise<QrCodeHit[]> {
  await ensureQrReader();
  const results = await readBarcodes(image as Parameters<typeof readBarcodes>[0], mode === 'fast' ? FAST_READER_OPTIONS : READER_OPTIONS);
  return results.filter((r) => r.isValid && r.text.length > 0).map((r) => ({ text: r.text, position: r.position }));
}

/** Text of the QR codes in an encoded image (PNG, JPEG, …) or in RGBA pixels. */
export async function readQrCodes(image: Uint8Array | { data: Uint8ClampedArray; width: number; height: number }): Promise<string[]> {
  const fast = await readQrHits(image, 'fast');
  return (fast.length > 0 ? fast : await readQrHits(image, 'full')).map((h) => h.text);
}

/** Read an image file and return the text of the QR codes in it; QR_IMAGE_UNREADABLE when there is none. */
export async function readQrImageFile(path: string): Promise<string[]> {
  const bytes = await readFileCapped(path, QR_IMAGE_MAX_BYTES);
  // The header first: its pixel count, not its file size, is what decoding costs (issue #12).
  checkImageSize(bytes, path);
  let texts: string[];
  try {
    texts = await readQrCodes(bytes);
  } catch (err) {
    throw new CeremonyError('QR_IMAGE_UNREADABLE', 'the image cannot be decoded', { path, cause: err });
  }
  if (texts.length === 0) throw new CeremonyError('QR_IMAGE_UNREADABLE', 'no QR code was found in the image', { path });
  return texts;
}
