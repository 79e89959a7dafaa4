import { FountainEncoderPart } from '@ngraveio/bc-ur/dist/fountainEncoder.js';
import { bytewords, QR_UR_TYPE } from '../../../src/transport/qr/ur.js';
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
