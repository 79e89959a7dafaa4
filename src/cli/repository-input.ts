/**
 * The input of `verify`, `import`, `status`, … : a metadata directory, a trust bundle or a single root
 * file, read into RepositoryFiles. Its own module so that `verify` loads neither the bundle writer nor
 * the QR stack (issue #18); the bundle reader and decoder are loaded only for an input that is a file,
 * and the ceremony-folder readers not at all (src/io/metadata-dir.ts), so that a metadata folder costs
 * no module it does not use.
 */
import { basename } from 'node:path';
import { CeremonyError } from '../errors.js';
import type { DecodedBundle } from '../bundle/format.js';
import { isDirectory, readRepositoryDir } from '../io/files.js';
import { metadataDirOf } from '../io/metadata-dir.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseMetadata } from '../tuf/metadata.js';
import type { ImportSource } from '../trust-store/install.js';

/** BUNDLE_OR_DIR: a trust bundle, a metadata directory, or (verify only) a single root file. */
export async function readRepositoryInput(path: string, opts: { bundleOnly?: boolean } = {}): Promise<ImportSource & { bundleFile?: DecodedBundle; single?: boolean }> {
  if (await isDirectory(path)) {
    // A ceremony output folder is read as its metadata/ folder (src/io/ceremony-output.ts).
    const m = await metadataDirOf(path);
    return { files: await readRepositoryDir(m.dir), source: m.source };
  }
  const [{ readBundleFile }, { looksLikeBundle }, { bundleImportSource }] = await Promise.all([
    import('../io/bundle-file.js'),
    import('../bundle/format.js'),
    import('../trust-store/bundle-source.js'),
  ]);
  const bytes = await readBundleFile(path);
  if (looksLikeBundle(bytes)) return bundleImportSource(bytes, basename(path));
  if (opts.bundleOnly) throw new CeremonyError('BUNDLE_NOT_A_BUNDLE', `${basename(path)} is not a tuf-ceremony bundle (it does not start with the bundle header)`, { path: basename(path) });
  // A single metadata file: a root to check against the pin.
  parseMetadata(bytes, 'root', { maxBytes: DEFAULT_CAPS.root, source: basename(path) });
  return { files: { versionedRoots: new Map(), delegated: new Map(), root: bytes }, source: basename(path), single: true };
}

