/**
 * Hostile images for the cost suite and the tests: valid PNG files whose header announces a huge canvas
 * (a "pixel bomb": 30000 × 30000 one-bit pixels deflate to under a megabyte), and a JPEG header that does
 * the same.
 */
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid one-bit greyscale PNG of `width` × `height` white pixels (every row filter 0, all zero bytes). */
export function pngBomb(width: number, height: number, opts: { animated?: boolean } = {}): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  // Every row: filter byte 0 and zero bits. 30000 × 30000 is 112 MB raw, under 150 KB deflated.
  const idat = deflateSync(Buffer.alloc(height * (1 + Math.ceil(width / 8))), { level: 9 });
  const chunks = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (opts.animated) {
    const actl = Buffer.alloc(8);
    actl.writeUInt32BE(1000, 0);
    chunks.push(chunk('acTL', actl));
  }
  chunks.push(chunk('IDAT', idat), chunk('IEND', new Uint8Array()));
  return new Uint8Array(Buffer.concat(chunks));
}

/** The smallest JPEG header announcing `width` × `height` (SOI, a baseline SOF0, EOI): no decoder needs more to allocate. */
export function jpegHeaderOnly(width: number, height: number): Uint8Array {
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00]);
  return new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]));
}
