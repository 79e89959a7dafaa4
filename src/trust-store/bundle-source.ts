/**
 * A trust bundle's bytes → what `importRepository` takes. One function for every way a bundle arrives
 * (the CLI reads a file, the app receives a file's bytes or the bytes reassembled from QR frames), so
 * each goes through the same decoder (src/bundle/format.ts: caps, manifest, hashes, kind) before the
 * same verification.
 */
import { bundleRepositoryFiles, decodeBundle, type DecodedBundle } from '../bundle/format.js';
import type { ImportSource } from './install.js';

export function bundleImportSource(bytes: Uint8Array, source: string): ImportSource & { bundleFile: DecodedBundle } {
  const bundle = decodeBundle(bytes, { expectKind: 'trust-bundle', source });
  return {
    files: bundleRepositoryFiles(bundle),
    source,
    bundle: { profile: bundle.profile, repository: bundle.repository, hash: bundle.hash },
    bundleFile: bundle,
  };
}
