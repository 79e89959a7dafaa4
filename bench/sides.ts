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
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetadataKind, Signature, TargetFile, Targets, type Key, type Root } from '@tufjs/models';
import type { JsonObject } from '../src/json/types.js';
import { verifyRepository, type RepositoryFiles } from '../src/tuf/repository.js';

export type Side = 'ours' | 'tufjs' | 'tufjs-literal';
export type Scenario = 'full' | 'chain' | 'top-level';

export interface BenchFiles {
  roots: Map<number, Uint8Array>;
  rootJson: Uint8Array;
  timestamp: Uint8Array;
  snapshot: Uint8Array;
  targets: Uint8Array;
  newest: number;
}

export function loadFiles(dir: string, rootVersions: number): BenchFiles {
  const roots = new Map<number, Uint8Array>();
  for (let v = 1; v <= rootVersions; v++) roots.set(v, new Uint8Array(readFileSync(join(dir, `${v}.root.json`))));
  const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
  return { roots, rootJson: read('root.json'), timestamp: read('timestamp.json'), snapshot: read('snapshot.json'), targets: read('targets.json'), newest: rootVersions };
}

/** Returns a small summary so the work cannot be skipped, and so both sides can be checked to agree. */
export function verifyOurs(f: BenchFiles, scenario: Scenario, now: Date): string {
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

const decoder = new TextDecoder();
const parse = (bytes: Uint8Array) => JSON.parse(decoder.decode(bytes)) as Json;

function fail(message: string): never {
  throw new Error(`@tufjs/models side: ${message}`);
}

type Json = JsonObject;

/** `Metadata.fromJSON(MetadataKind.Targets, …)` without the quadratic map building (see the file header). */
function targetsFromJsonLinear(data: Json): { md: Metadata<Targets>; signed: Json } {
  const signed = data.signed as Json;
  const entries = signed.targets as Record<string, Json>;
  const map: Record<string, TargetFile> = {};
  for (const path of Object.keys(entries)) map[path] = TargetFile.fromJSON(path, entries[path]!);
  const { targets: _t, ...rest } = signed;
  const shell = Targets.fromJSON({ ...rest, targets: {} });
  const model = new Targets({ version: shell.version, specVersion: shell.specVersion, expires: shell.expires, targets: map, unrecognizedFields: shell.unrecognizedFields });
  const signatures: Record<string, Signature> = {};
  for (const sig of data.signatures as Json[]) {
    const s = Signature.fromJSON(sig);
    signatures[s.keyID] = s;
  }
  return { md: new Metadata(model, signatures), signed };
}

/** `root.verifyDelegate('targets', md)` with the signed bytes taken from the parsed object. */
function verifyTargetsDelegateLinear(root: Metadata<Root>, md: Metadata<Targets>, signedJson: Json): void {
  const role = root.signed.roles[MetadataKind.Targets] ?? fail('root has no targets role');
  const signable = { signatures: md.signatures, signed: { toJSON: () => signedJson } };
  const signing = new Set<string>();
  for (const keyID of role.keyIDs) {
    const key: Key | undefined = root.signed.keys[keyID];
    if (!key) continue;
    try {
      key.verifySignature(signable as unknown as Parameters<Key['verifySignature']>[0]);
      signing.add(key.keyID);
    } catch {
      // as verifyDelegate: a failing key just does not count
    }
  }
  if (signing.size < role.threshold) fail(`targets was signed by ${signing.size}/${role.threshold} keys`);
}

export function verifyTufjs(f: BenchFiles, scenario: Scenario, now: Date, literal = false): string {
  // Client workflow 5.2: the trusted root, checked against itself.
  let trusted: Metadata<Root> = Metadata.fromJSON(MetadataKind.Root, parse(scenario === 'top-level' ? f.roots.get(f.newest)! : f.roots.get(1)!));
  trusted.verifyDelegate(MetadataKind.Root, trusted);
  let steps = 0;
  if (scenario !== 'top-level') {
    // 5.3.3–5.3.5: each next version, signed by the previous root's threshold and its own.
    for (let v = trusted.signed.version + 1; v <= f.newest; v++) {
      const next = Metadata.fromJSON(MetadataKind.Root, parse(f.roots.get(v)!));
      trusted.verifyDelegate(MetadataKind.Root, next);
      if (next.signed.version !== trusted.signed.version + 1) fail(`root version ${next.signed.version} after ${trusted.signed.version}`);
      next.verifyDelegate(MetadataKind.Root, next);
      trusted = next;
      steps++;
    }
  }
  // 5.3.10: the final root is not expired.
  if (trusted.signed.isExpired(now)) fail('root expired');
  if (scenario === 'chain') return `root v${trusted.signed.version}, ${steps} steps, 0 targets`;

  // 5.4: timestamp.
  const timestamp = Metadata.fromJSON(MetadataKind.Timestamp, parse(f.timestamp));
  trusted.verifyDelegate(MetadataKind.Timestamp, timestamp);
  if (timestamp.signed.isExpired(now)) fail('timestamp expired');
  // 5.5: snapshot — length and hashes from timestamp, signatures, version, expiry.
  timestamp.signed.snapshotMeta.verify(Buffer.from(f.snapshot));
  const snapshot = Metadata.fromJSON(MetadataKind.Snapshot, parse(f.snapshot));
  trusted.verifyDelegate(MetadataKind.Snapshot, snapshot);
  if (snapshot.signed.version !== timestamp.signed.snapshotMeta.version) fail('snapshot version');
  if (snapshot.signed.isExpired(now)) fail('snapshot expired');
  // 5.6: targets — length and hashes from snapshot, signatures, version, expiry.
  const meta = snapshot.signed.meta['targets.json'] ?? fail('snapshot does not list targets.json');
  meta.verify(Buffer.from(f.targets));
  let targets: Metadata<Targets>;
  if (literal) {
    targets = Metadata.fromJSON(MetadataKind.Targets, parse(f.targets));
    trusted.verifyDelegate(MetadataKind.Targets, targets);
  } else {
    const linear = targetsFromJsonLinear(parse(f.targets));
    targets = linear.md;
    verifyTargetsDelegateLinear(trusted, targets, linear.signed);
  }
  if (targets.signed.version !== meta.version) fail('targets version');
  if (targets.signed.isExpired(now)) fail('targets expired');
  return `root v${trusted.signed.version}, ${steps} steps, ${Object.keys(targets.signed.targets).length} targets`;
}
