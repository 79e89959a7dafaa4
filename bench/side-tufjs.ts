/**
 * The @tufjs/models side of the verification benchmark (bench/sides.ts explains what it checks), in a
 * module of its own so that the one-shot script (bench/oneshot-tufjs.ts) loads nothing of ours.
 */
import { Metadata, MetadataKind, Signature, TargetFile, Targets, type Key, type Root } from '@tufjs/models';
import type { JsonObject } from '../src/json/types.js';
import type { BenchFiles } from './files.js';
import type { Scenario } from './sides.js';

// A type only: erased from the compiled script.
type Json = JsonObject;

const decoder = new TextDecoder();
const parse = (bytes: Uint8Array) => JSON.parse(decoder.decode(bytes)) as Json;
/** The bytes as the Buffer MetaFile.verify takes, without a copy (Buffer.from(bytes) copies: ≈ 0.1 s for 30 MB). */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function fail(message: string): never {
  throw new Error(`@tufjs/models side: ${message}`);
}

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
  timestamp.signed.snapshotMeta.verify(asBuffer(f.snapshot));
  const snapshot = Metadata.fromJSON(MetadataKind.Snapshot, parse(f.snapshot));
  trusted.verifyDelegate(MetadataKind.Snapshot, snapshot);
  if (snapshot.signed.version !== timestamp.signed.snapshotMeta.version) fail('snapshot version');
  if (snapshot.signed.isExpired(now)) fail('snapshot expired');
  // 5.6: targets — length and hashes from snapshot, signatures, version, expiry.
  const meta = snapshot.signed.meta['targets.json'] ?? fail('snapshot does not list targets.json');
  meta.verify(asBuffer(f.targets));
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
