import { FountainEncoderPart } from '@ngraveio/bc-ur/dist/fountainEncoder.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { QrAssembler } from '../../../src/transport/qr/assembler.js';
import { encodeQrFrames } from '../../../src/transport/qr/encoder.js';
import { bytewords, cborEncode, crc32, QR_UR_TYPE, toBuffer } from '../../../src/transport/qr/ur.js';
import { seededRandom } from '../../../src/transport/qr/simulate.js';

export function randomBytes(n: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

/** Fisher–Yates with a seeded generator. */
export function shuffle<T>(xs: T[], rnd: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** The body (bytewords with CRC32) of arbitrary CBOR bytes. */
export function bodyOf(cbor: Uint8Array): string {
  return bytewords.encode(Buffer.from(cbor).toString('hex'), bytewords.STYLES.MINIMAL);
}

/** A hand-made multipart frame with any field values (hostile-frame tests). */
export function craftPart(f: { seqNum: number; seqLen: number; messageLen: number; checksum: number; fragment: Uint8Array; type?: string; pathSeq?: string }): string {
  const cbor = new FountainEncoderPart(f.seqNum, f.seqLen, f.messageLen, f.checksum, Buffer.from(f.fragment)).cbor();
  return `ur:${f.type ?? QR_UR_TYPE}/${f.pathSeq ?? `${f.seqNum}-${f.seqLen}`}/${bodyOf(cbor)}`;
}

/**
 * A real bundle of exactly `n` bytes (an opaque signing-request kind whose one file is seeded random bytes):
 * what `qr decode` and the app accept, where the frames' tests once used plain random bytes.
 */
export function bundleOf(n: number, seed: number): Uint8Array {
  const make = (payload: number) =>
    encodeBundle({ kind: 'signing-request', profile: 'tuf', repository: 'example.org/qr', created: '2026-11-25T10:00:00Z', files: [{ name: 'payload.bin', bytes: randomBytes(payload, seed) }] });
  const overhead = make(n - 300).length - (n - 300);
  const bundle = make(n - overhead);
  if (bundle.length !== n) throw new Error(`bundleOf: ${bundle.length} bytes, not ${n}`);
  return bundle;
}

/** The UR message's CRC32 (what every frame of `bytes` carries as its checksum). */
function messageCrc(bytes: Uint8Array): number {
  return crc32(cborEncode(toBuffer(bytes)));
}

/**
 * review-15d M1: `bytes` with the byte at `at` changed and the 4 bytes after it set so that the UR message
 * has the same length and CRC32 (CRC32 is affine: solve for the 32 bits over GF(2)). The two encode to
 * frames with identical headers, and any mix of their frames passes the message checksum.
 */
export function sameCrcTwin(bytes: Uint8Array, at: number): Uint8Array {
  const twin = bytes.slice();
  twin[at] = twin[at]! ^ 0x01;
  const target = messageCrc(bytes);
  const base = messageCrc(twin);
  // Column b: how flipping bit b of the 4-byte window changes the CRC.
  const rows = Array.from({ length: 32 }, (_, b) => {
    const t = twin.slice();
    t[at + 1 + (b >> 3)] = t[at + 1 + (b >> 3)]! ^ (1 << (b & 7));
    return { v: (messageCrc(t) ^ base) >>> 0, m: (1 << b) >>> 0 };
  });
  let want = (target ^ base) >>> 0;
  let mask = 0;
  for (let bit = 31; bit >= 0; bit--) {
    const i = rows.findIndex((r) => (r.v >>> bit) & 1);
    if (i < 0) continue;
    const pivot = rows.splice(i, 1)[0]!;
    for (const r of rows) {
      if ((r.v >>> bit) & 1) {
        r.v = (r.v ^ pivot.v) >>> 0;
        r.m = (r.m ^ pivot.m) >>> 0;
      }
    }
    if ((want >>> bit) & 1) {
      want = (want ^ pivot.v) >>> 0;
      mask = (mask ^ pivot.m) >>> 0;
    }
  }
  if (want !== 0) throw new Error('sameCrcTwin: no solution');
  for (let b = 0; b < 32; b++) if ((mask >>> b) & 1) twin[at + 1 + (b >> 3)] = twin[at + 1 + (b >> 3)]! ^ (1 << (b & 7));
  if (messageCrc(twin) !== target) throw new Error('sameCrcTwin: CRC differs');
  return twin;
}

/**
 * Frames mixing `a` and `b` (seeded coin per frame index, both encoded with the same count) that a plain
 * QrAssembler reassembles into bytes equal to neither — a splice neither sender showed — and that splice.
 */
export function splicedFrames(a: Uint8Array, b: Uint8Array, count: number): { frames: string[]; spliced: Uint8Array } {
  const fa = encodeQrFrames(a, { loss: 0, count }).parts;
  const fb = encodeQrFrames(b, { loss: 0, count }).parts;
  for (let seed = 1; seed < 200; seed++) {
    const rnd = seededRandom(seed);
    const asm = new QrAssembler();
    const frames: string[] = [];
    for (let i = 0; i < count && !asm.complete; i++) {
      const t = rnd() < 0.5 ? fa[i]! : fb[i]!;
      asm.receive(t);
      frames.push(t);
    }
    if (!asm.complete) continue;
    let spliced: Uint8Array;
    try {
      spliced = asm.result();
    } catch {
      continue; // QR_MESSAGE_CHECKSUM: the difference was not confined to one fragment
    }
    if (!Buffer.from(spliced).equals(Buffer.from(a)) && !Buffer.from(spliced).equals(Buffer.from(b))) return { frames, spliced };
  }
  throw new Error('splicedFrames: no splice found');
}

/** One single-part frame whose UR message is `cbor` (e.g. 0x40, an empty CBOR byte string: review-15d L1). */
export function singlePartFrame(cbor: Uint8Array): string {
  return `ur:${QR_UR_TYPE}/${bodyOf(cbor)}`;
}

/** A byte of `bytes` whose sameCrcTwin differs from it within one fragment (so every mix passes the CRC). */
export function twinOffset(bytes: Uint8Array): number {
  const enc = encodeQrFrames(bytes, { loss: 0, count: 1 });
  const header = cborEncode(toBuffer(bytes)).length - bytes.length;
  // Fragment seqLen − 2 (near the end: the file's bytes, not the manifest), 10 bytes in.
  return (enc.seqLen - 2) * enc.fragmentLength - header + 10;
}
