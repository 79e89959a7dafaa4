/** Forged UR frames for the cost suite: any field values, with a valid per-frame CRC (what an attacker can make). */
import { FountainEncoderPart } from '@ngraveio/bc-ur/dist/fountainEncoder.js';
import { bytewords, QR_UR_TYPE } from '../../src/transport/qr/ur.js';

export function bodyOf(f: { seqNum: number; seqLen: number; messageLen: number; checksum: number; fragment: Uint8Array }): string {
  const cbor = new FountainEncoderPart(f.seqNum, f.seqLen, f.messageLen, f.checksum, Buffer.from(f.fragment)).cbor();
  return `ur:${QR_UR_TYPE}/${f.seqNum}-${f.seqLen}/${bytewords.encode(cbor.toString('hex'), bytewords.STYLES.MINIMAL)}`;
}
