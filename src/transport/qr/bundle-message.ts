/**
 * The whole-message check of a QR read, after the UR's CRC32 (assembler.ts result()).
 *
 * CRC32 detects misreads, not substitution: it is affine, so 4 chosen bytes give any bundle the length and
 * CRC32 of another, and then the two bundles' frames carry identical headers (no QR_FOREIGN_FRAME) and
 * every mix of them reassembles into bytes that pass the checksum — a splice neither sender showed
 * (review-15d M1). An empty CBOR byte string is likewise a "complete" 0-byte message (review-15d L1).
 * What the frames carry is a tuf-ceremony bundle, whose framing holds a SHA-256 of each file
 * (src/bundle/format.ts): a read is complete only once its bytes decode as one, and otherwise refused
 * as QR_MESSAGE_NOT_BUNDLE (PRODUCT.md §6: "QR frames from two different bundles", their own code,
 * nothing written). A forger can still show a whole other well-formed bundle: the bundle's hash words,
 * compared with the sender's, remain the transport's integrity check, and the import verifies the
 * metadata's signatures whatever the transport.
 */
import { decodeBundle } from '../../bundle/format.js';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../../errors.js';

/**
 * `bytes` (a QR read's reassembled message) when they are a bundle as decodeBundle frames it — magic,
 * canonical manifest, each file's length and SHA-256, nothing after — the same reader the import uses,
 * not a second parser. Throws QR_MESSAGE_NOT_BUNDLE, with the bundle reader's refusal as cause, otherwise.
 */
export function checkQrBundle(bytes: Uint8Array): Uint8Array {
  try {
    decodeBundle(bytes, { source: 'the reassembled message' });
  } catch (err) {
    if (!isCeremonyError(err)) throw err;
    throw new CeremonyError(
      'QR_MESSAGE_NOT_BUNDLE',
      `the frames reassemble into ${bytes.length} bytes that are not a tuf-ceremony bundle (${err.code}: ${messageWithoutPath(err)}): frames of two bundles were mixed, or the frames were forged`,
      // No path: the bundle reader's path points into bytes that are not the sender's bundle.
      { cause: err },
    );
  }
  return bytes;
}
