/**
 * QR images on this side of the file-system boundary (STYLE.md): QR codes drawn as PNG (qrcode), and
 * QR codes read from image files or pixels (zxing-wasm).
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

/** Largest image file `qr decode` reads (a 4K PNG screenshot is ~10 MB at most). */
export const QR_IMAGE_MAX_BYTES = 32 * 1024 * 1024;

/** One segment, in alphanumeric mode when the text allows it (upper-case UR text does). */
function segmentsFor(text: string): QRCodeSegment[] {
  return /^[0-9A-Z $%*+\-./:]*$/.test(text) ? [{ data: text, mode: 'alphanumeric' }] : [{ data: new TextEncoder().encode(text), mode: 'byte' }];
}

/**
 * Draw one frame's text as a PNG: alphanumeric mode (upper-case UR text fits it), error correction
 * level L (the UR frame has its own CRC32, and a webcam sees a screen, not a damaged print), `scale`
 * pixels per module, the 4-module quiet zone the standard asks for.
 */
export async function qrPng(text: string, opts: { scale?: number } = {}): Promise<Uint8Array> {
  // pngjs tries all five row filters by default; a QR frame is flat black and white, where filter 2 (Up)
  // compresses as well and encodes 2.2× faster (issue #18, measured on the rehearsal's frames).
  const rendererOpts = { filterType: 2 } as NonNullable<QRCode.QRCodeToBufferOptions['rendererOpts']>;
  const png = await QRCode.toBuffer(segmentsFor(text), { type: 'png', errorCorrectionLevel: 'L', margin: 4, scale: opts.scale ?? 6, rendererOpts });
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
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
