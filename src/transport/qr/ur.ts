/**
 * The thin layer over @ngraveio/bc-ur (Blockchain Commons UR, BCR-2020-005 multipart with the fountain
 * code of BCR-2024-001): our UR type, and the package functions the encoder and the receiver share. The
 * package is CommonJS; its internals (fountain index choice, bytewords, CRC32, CBOR) are reached by deep
 * import so our receiver reproduces exactly what the package's encoder did for each part.
 */
import { UR, UREncoder } from '@ngraveio/bc-ur';
import bytewordsModule from '@ngraveio/bc-ur/dist/bytewords.js';
import { cborEncode } from '@ngraveio/bc-ur/dist/cbor.js';
import { FountainEncoderPart } from '@ngraveio/bc-ur/dist/fountainEncoder.js';
import { chooseFragments } from '@ngraveio/bc-ur/dist/fountainUtils.js';
import { getCRC } from '@ngraveio/bc-ur/dist/utils.js';

// CommonJS modules compiled from `export default`: Node's ESM loader hands over `module.exports` as the
// default import, bundlers (vite, vitest) hand over `module.exports.default`. Accept both.
type BytewordsApi = typeof bytewordsModule.default;
const bytewords: BytewordsApi = (bytewordsModule as { default?: BytewordsApi }).default ?? (bytewordsModule as unknown as BytewordsApi);

/**
 * Our UR type. BCR-2020-006 reserves the `x-` prefix for user-defined types (letters, digits and `-`
 * only, so the whole UR stays in QR alphanumeric mode when upper-cased). The CBOR of the type is a single
 * byte string holding the bundle file's bytes exactly.
 */
export const QR_UR_TYPE = 'x-tuf-ceremony-bundle';

export { UR, UREncoder, FountainEncoderPart, bytewords, cborEncode };

/** Which fragments the package's fountain encoder XORed into part `seqNum` (1-based; the first seqLen parts are the fragments themselves). */
export type IndexChooser = (seqNum: number, seqLen: number, checksum: number) => number[];

export const packageIndexChooser: IndexChooser = (seqNum, seqLen, checksum) => chooseFragments(seqNum, seqLen, checksum);

/** CRC32 (the UR checksum) of bytes. */
export function crc32(bytes: Uint8Array): number {
  return getCRC(toBuffer(bytes));
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
