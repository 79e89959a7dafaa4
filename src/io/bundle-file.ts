/**
 * Bundle files on disk (USB export / import): written atomically, never over an existing file, and read
 * back after writing to prove the medium holds the very bytes that were meant (PRODUCT §2.5).
 */
import { CeremonyError } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import { shortDigestOf, type ShortDigest } from '../crypto/digest-words.js';
import { DEFAULT_BUNDLE_CAPS } from '../bundle/format.js';
import { readFileCapped, writeFileAtomic } from './files.js';

/**
 * Write `bytes` to `path` (temp file + fsync + link, refusing to overwrite), read the file back and
 * compare it with what was written. Returns the bundle's short hash (hex and words) to read aloud.
 */
export async function writeBundle(path: string, bytes: Uint8Array): Promise<ShortDigest> {
  await writeFileAtomic(path, bytes);
  const back = await readFileCapped(path, Math.max(bytes.length, 1));
  if (!bytesEqual(back, bytes)) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', 'the bundle read back from the medium differs from what was written; do not use this copy', { path });
  }
  const written = shortDigestOf(bytes);
  if (shortDigestOf(back).sha256 !== written.sha256) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', 'the bundle read back from the medium has another hash; do not use this copy', { path });
  }
  return written;
}

/** Read a bundle file under the bundle size cap (BUNDLE_TOO_LARGE before a byte is read). */
export async function readBundleFile(path: string, maxBytes = DEFAULT_BUNDLE_CAPS.total): Promise<Uint8Array> {
  try {
    return await readFileCapped(path, maxBytes);
  } catch (err) {
    if (err instanceof CeremonyError && err.code === 'INPUT_TOO_LARGE') {
      throw new CeremonyError('BUNDLE_TOO_LARGE', err.message.replace(/ \(at [^)]*\)$/, ''), { path, cause: err });
    }
    throw err;
  }
}
