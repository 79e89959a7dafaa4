/**
 * Bundle files on disk (USB export / import): written atomically, never over an existing file, and read
 * back after writing to prove the medium holds the very bytes that were meant (PRODUCT §2.5).
 */
import { lstat } from 'node:fs/promises';
import { CeremonyError, messageWithoutPath } from '../errors.js';
import type { ShortDigest } from '../crypto/digest-words.js';
import { DEFAULT_BUNDLE_CAPS } from '../bundle/format.js';
// export.ts (and the QR encoder it holds) is loaded when a bundle is written, not by every reader (issue #18).
import type { BundleFs, WrittenBundle } from '../bundle/export.js';
import { readFileCapped, writeFileAtomic } from './files.js';

/** The real file system for src/bundle/export.ts: atomic writes that never overwrite, capped reads. */
export const nodeBundleFs: BundleFs = {
  writeFileAtomic: (path, bytes) => writeFileAtomic(path, bytes),
  readFileCapped: (path, maxBytes) => readFileCapped(path, maxBytes),
};

/**
 * Write `bytes` to `path` (temp file + fsync + link, refusing to overwrite), read the file back, compare
 * it with what was written and decode it again (src/bundle/export.ts writeBundleVerified). Returns the
 * bundle's short hash (hex and words) to read aloud.
 */
export async function writeBundle(path: string, bytes: Uint8Array): Promise<ShortDigest> {
  return (await writeBundleFile(path, bytes)).hash;
}

/** As writeBundle, with the whole result (path, size, decoded copy). */
export async function writeBundleFile(path: string, bytes: Uint8Array): Promise<WrittenBundle> {
  const { writeBundleVerified } = await import('../bundle/export.js');
  return writeBundleVerified(path, bytes, nodeBundleFs);
}

/** Read a bundle file under the bundle size cap (BUNDLE_TOO_LARGE before a byte is read). */
export async function readBundleFile(path: string, maxBytes = DEFAULT_BUNDLE_CAPS.total): Promise<Uint8Array> {
  try {
    return await readFileCapped(path, maxBytes);
  } catch (err) {
    if (err instanceof CeremonyError && err.code === 'INPUT_TOO_LARGE') {
      throw new CeremonyError('BUNDLE_TOO_LARGE', messageWithoutPath(err), { path, cause: err });
    }
    throw err;
  }
}

/** Does anything exist at `path` (links not followed)? For proposing a free name before writing. */
export async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
