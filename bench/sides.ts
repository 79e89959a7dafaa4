/**
 * The two sides of the verification benchmark, from the same bytes in memory:
 *
 * - ours: `verifyRepository` (src/tuf/repository.ts), as `tuf-ceremony verify` runs it;
 * - @tufjs/models: the checks tuf-js's TrustedMetadataSet makes, written out with the models API
 *   (`Metadata.fromJSON`, `verifyDelegate`, `MetaFile.verify` for lengths and hashes, version and expiry
 *   checks), without tuf-js's network and file-system layers.
 *
 *   As shipped, @tufjs/models 4.1.1 is quadratic in the number of targets: `Targets.fromJSON` and
 *   `Targets.toJSON` (which `verifyDelegate` → `Key.verifySignature` calls to get the signed bytes) build
 *   their maps with `reduce((acc, …) => ({ ...acc, [path]: … }))`. Measured here: 20,000 entries take
 *   ~65 s each way, so 100,000 would take most of an hour. To compare verification rather than that
 *   accident, the `tufjs` side (default) builds the Targets model with a linear loop over
 *   `TargetFile.fromJSON` and checks the targets signatures with `Key.verifySignature` over the parsed
 *   `signed` object (what `toJSON` rebuilds), counting the threshold exactly as `verifyDelegate` does;
 *   every other step uses the models API unchanged. `tufjs-literal` is the API as shipped.
 *
 * Scenarios: `full` (pinned root v1 → chain to v1000 → timestamp → snapshot → targets), `chain` (the root
 * chain only) and `top-level` (pinned at the newest root: timestamp → snapshot → targets only).
 */
import type { BenchFiles } from './files.js';
import { clearDecodedKeyCache } from '../src/crypto/public-key.js';
import { verifyRepository, type RepositoryFiles } from '../src/tuf/repository.js';

export type Side = 'ours' | 'tufjs' | 'tufjs-literal';
export type Scenario = 'full' | 'chain' | 'top-level';

export { loadFiles, type BenchFiles } from './files.js';

/**
 * Process-wide caches of what verification derives from the bytes (today: decoded public keys,
 * src/crypto/public-key.ts) are emptied before every call, so a warm run is warm in its code (JIT), not
 * served by what an earlier run on the same bytes decoded (issue #18). @tufjs/models keeps no such cache.
 */
export function clearContentCaches(): void {
  clearDecodedKeyCache();
}

/** Returns a small summary so the work cannot be skipped, and so both sides can be checked to agree. */
export function verifyOurs(f: BenchFiles, scenario: Scenario, now: Date): string {
  clearContentCaches();
  const topLevel = scenario !== 'chain';
  const files: RepositoryFiles = {
    versionedRoots: scenario === 'top-level' ? new Map() : f.roots,
    root: f.rootJson,
    delegated: new Map(),
  };
  if (topLevel) {
    files.timestamp = f.timestamp;
    files.snapshot = f.snapshot;
    files.targets = f.targets;
  }
  const trustedRoot = scenario === 'top-level' ? f.roots.get(f.newest)! : f.roots.get(1)!;
  const repo = verifyRepository(files, { trustedRoot, now, requireComplete: topLevel });
  return `root v${repo.root.signed.version}, ${repo.rootChain.length} steps, ${repo.targets?.md.signed.targets.size ?? 0} targets`;
}

export { verifyTufjs } from './side-tufjs.js';
