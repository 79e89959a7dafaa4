/**
 * The size of an image from its header, before any decoder sees it (issue #12): a 948 KB PNG can
 * announce 30000 × 30000 pixels, and decoding it costs 14 s and 1.8 GB. Only PNG (what `qr encode` writes)
 * and JPEG (what a camera or phone writes) are read; their headers are parsed here by the book:
 *
 *  - PNG (ISO/IEC 15948 §5.2–5.3, §11.2.2): the 8-byte signature, then the IHDR chunk first — length 13,
 *    width and height as big-endian 32-bit integers. An APNG's `acTL` chunk (before IDAT) announces more
 *    frames: only the first is a QR frame a decoder reads, so an animated PNG is refused, not half-read.
 *  - JPEG (ITU T.81 §B.1–B.2): SOI, then marker segments until a start-of-frame (SOF0–SOF15 except DHT
 *    C4, JPG C8, DAC CC) whose fields are precision, height, width.
 *
 * Pure: bytes in, numbers out (the caller reads the file under its byte cap).
 */
import { CeremonyError } from '../errors.js';

export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const unreadable = (what: string, path?: string) => new CeremonyError('QR_IMAGE_UNREADABLE', what, path ? { path } : {});

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function chunkType(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

function pngHeader(b: Uint8Array, path?: string): ImageHeader {
  if (b.length < 33 || u32(b, 8) !== 13 || chunkType(b, 12) !== 'IHDR') throw unreadable('the PNG does not start with its IHDR header', path);
  const header: ImageHeader = { format: 'png', width: u32(b, 16), height: u32(b, 20) };
  // Chunks before the first IDAT: an acTL there makes it an animated PNG (APNG §4).
  let at = 8;
  for (let chunks = 0; at + 8 <= b.length && chunks < 1000; chunks++) {
    const length = u32(b, at);
    const type = chunkType(b, at + 4);
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'acTL') throw unreadable('the PNG is animated (APNG): give each QR frame as its own image', path);
    at += 12 + length;
  }
  return header;
}

function jpegHeader(b: Uint8Array, path?: string): ImageHeader {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) throw unreadable('the JPEG has a malformed marker segment', path);
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // Standalone markers (TEM, RSTn, SOI) carry no length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // EOI, or SOS before any frame header
    const length = u16(b, at + 2);
    if (length < 2) throw unreadable('the JPEG has a malformed marker segment', path);
    const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (sof) {
      if (at + 9 > b.length) break;
      return { format: 'jpeg', height: u16(b, at + 5), width: u16(b, at + 7) };
    }
    at += 2 + length;
  }
  throw unreadable('the JPEG has no frame header before its image data', path);
}

/** Format and size from the header; QR_IMAGE_UNREADABLE for anything but a PNG or JPEG with a readable header. */
export function imageHeader(bytes: Uint8Array, path?: string): ImageHeader {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((v, i) => bytes[i] === v)) return pngHeader(bytes, path);
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegHeader(bytes, path);
  throw unreadable('the image is neither a PNG nor a JPEG', path);
}

/**
 * Most pixels an image may have: 40 million (an 8K frame is 33 million; a 4K screenshot 8.3 million).
 * Decoding costs about 2 bytes and 15 ns per pixel, so this bounds one image to ~80 MB and well under a
 * second (measured by `npm run bench`, hostile-input section).
 */
export const QR_IMAGE_MAX_PIXELS = 40_000_000;

/** The header, refused (QR_IMAGE_TOO_LARGE) above the pixel budget or with a zero side. */
export function checkImageSize(bytes: Uint8Array, path?: string, maxPixels = QR_IMAGE_MAX_PIXELS): ImageHeader {
  const h = imageHeader(bytes, path);
  if (h.width === 0 || h.height === 0) throw unreadable(`the ${h.format.toUpperCase()} header says ${h.width} × ${h.height} pixels`, path);
  if (h.width * h.height > maxPixels) {
    throw new CeremonyError('QR_IMAGE_TOO_LARGE', `the image is ${h.width} × ${h.height} pixels, over the budget of ${maxPixels.toLocaleString('en-US')} pixels for a QR frame`, path ? { path } : {});
  }
  return h;
}
