/**
 * Builds real, signed repositories for tests in either profile: a root chain, targets (with a
 * delegation), snapshot and timestamp, each linked by the lengths/hashes/versions the profile records.
 * Every part can be replaced before signing, or after, to make hostile inputs.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../../src/json/types.js';
import type { ProfileName } from '../../src/profiles/profile.js';
import { formatExpires } from '../../src/tuf/dates.js';
import type { RepositoryFiles } from '../../src/tuf/repository.js';
import { serializeMetadata, signMetadata, type MetadataSigner } from '../../src/tuf/sign.js';
import { makeKey, type TestKey, type TestKeyKind } from './keys.js';

export const GUN = 'registry.example.com/org/app';
const YEAR = 365 * 24 * 3600 * 1000;
export const FAR = formatExpires(new Date(Date.now() + 5 * YEAR));
export const PAST = '2020-01-01T00:00:00Z';

export function typeName(profile: ProfileName, t: string): string {
  return profile === 'tuf' ? t : t[0]!.toUpperCase() + t.slice(1);
}

function common(profile: ProfileName, type: string, version: number, expires = FAR): JsonObject {
  const out: JsonObject = { _type: typeName(profile, type), version, expires };
  if (profile === 'tuf') out.spec_version = '1.0.31';
  return out;
}

export function keysTable(keys: TestKey[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) out[k.keyId] = k.json;
  return out;
}

export function hashesOf(profile: ProfileName, bytes: Uint8Array): JsonObject {
  const enc = profile === 'tuf' ? 'hex' : 'base64';
  return { sha256: createHash('sha256').update(bytes).digest(enc), sha512: createHash('sha512').update(bytes).digest(enc) };
}

export interface RootKeys {
  root: TestKey[];
  targets: TestKey[];
  snapshot: TestKey[];
  timestamp: TestKey[];
}

export function rootSigned(profile: ProfileName, version: number, keys: RootKeys, thresholds: Partial<Record<keyof RootKeys, number>> = {}, expires = FAR): JsonObject {
  const all = [...keys.root, ...keys.targets, ...keys.snapshot, ...keys.timestamp];
  const roles: JsonObject = {};
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    roles[role] = { keyids: keys[role].map((k) => k.keyId), threshold: thresholds[role] ?? 1 };
  }
  return { ...common(profile, 'root', version, expires), consistent_snapshot: false, keys: keysTable(all), roles };
}

export function targetsSigned(profile: ProfileName, version: number, targets: Record<string, Uint8Array>, delegation?: { name: string; keys: TestKey[]; threshold?: number }, expires = FAR): JsonObject {
  const t: JsonObject = {};
  for (const [name, bytes] of Object.entries(targets)) t[name] = { length: bytes.length, hashes: hashesOf(profile, bytes) };
  const out: JsonObject = { ...common(profile, 'targets', version, expires), targets: t };
  if (delegation) {
    const role: JsonObject = { name: delegation.name, keyids: delegation.keys.map((k) => k.keyId), threshold: delegation.threshold ?? 1, paths: profile === 'tuf' ? ['releases/*'] : [''] };
    if (profile === 'tuf') role.terminating = false;
    out.delegations = { keys: keysTable(delegation.keys), roles: [role] };
  } else if (profile === 'notary') {
    out.delegations = { keys: {}, roles: [] };
  }
  return out;
}

export function metaEntry(profile: ProfileName, bytes: Uint8Array, version: number): JsonObject {
  return profile === 'tuf' ? { version, length: bytes.length, hashes: hashesOf(profile, bytes) } : { length: bytes.length, hashes: hashesOf(profile, bytes) };
}

export function metaKey(profile: ProfileName, role: string): string {
  return profile === 'tuf' ? `${role}.json` : role;
}

export async function sign(profile: ProfileName, signed: JsonObject, signers: MetadataSigner[]): Promise<Uint8Array> {
  return serializeMetadata(profile, await signMetadata(profile, signed, signers));
}

export function parseBytes(bytes: Uint8Array): JsonObject {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as JsonObject;
}

export interface BuiltRepo {
  profile: ProfileName;
  keys: RootKeys & { delegate: TestKey[] };
  /** Root bytes by version (1-based), each signed by its own root keys and the previous root's. */
  roots: Uint8Array[];
  targets: Uint8Array;
  delegated: Uint8Array;
  snapshot: Uint8Array;
  timestamp: Uint8Array;
  delegationName: string;
  files(opts?: { withVersioned?: boolean }): RepositoryFiles;
  /** Re-link snapshot and timestamp after replacing targets/delegated bytes (a consistent forgery by a key holder). */
  relink(parts: { targets?: Uint8Array; delegated?: Uint8Array; snapshotSigned?: JsonObject; timestampSigned?: JsonObject }): Promise<void>;
}

export interface BuildOptions {
  rootKind?: TestKeyKind;
  otherKind?: TestKeyKind;
  rootKeyCount?: number;
  rootThreshold?: number;
  /** Make root versions up to this one (a rotation of one root key per version). */
  rootVersions?: number;
  /** The delegated role's name (default `releases`, Notary `targets/releases`). */
  delegationName?: string;
  /** Notary: the GUN the root certificates name (default GUN). */
  gun?: string;
}

export async function buildRepo(profile: ProfileName, opts: BuildOptions = {}): Promise<BuiltRepo> {
  const rootKind = opts.rootKind ?? (profile === 'notary' ? 'ecdsa-x509' : 'ed25519');
  const otherKind = opts.otherKind ?? (profile === 'notary' ? 'ecdsa-p256' : 'ed25519');
  const n = opts.rootKeyCount ?? 3;
  const rootKeys = await Promise.all(Array.from({ length: n }, () => makeKey(profile, rootKind, opts.gun ?? GUN)));
  const keys = {
    root: rootKeys,
    targets: [await makeKey(profile, otherKind)],
    snapshot: [await makeKey(profile, otherKind)],
    timestamp: [await makeKey(profile, profile === 'notary' ? 'ed25519' : otherKind)],
    delegate: [await makeKey(profile, otherKind)],
  };
  const threshold = opts.rootThreshold ?? 2;
  const roots: Uint8Array[] = [];
  let current: RootKeys = keys;
  let previousSigners: TestKey[] = [];
  for (let v = 1; v <= (opts.rootVersions ?? 1); v++) {
    if (v > 1) {
      // Rotate: replace the first root key.
      const fresh = await makeKey(profile, rootKind, opts.gun ?? GUN);
      current = { ...current, root: [fresh, ...current.root.slice(1)] };
    }
    const signers = [...new Set([...current.root.slice(0, threshold), ...previousSigners])];
    roots.push(await sign(profile, rootSigned(profile, v, current, { root: threshold }), signers));
    previousSigners = current.root.slice(0, threshold);
  }
  keys.root = current.root;
  const delegationName = opts.delegationName ?? (profile === 'tuf' ? 'releases' : 'targets/releases');
  const repo: BuiltRepo = {
    profile,
    keys,
    roots,
    targets: new Uint8Array(),
    delegated: new Uint8Array(),
    snapshot: new Uint8Array(),
    timestamp: new Uint8Array(),
    delegationName,
    files({ withVersioned = true } = {}) {
      const versionedRoots = new Map<number, Uint8Array>();
      if (withVersioned) roots.forEach((bytes, i) => versionedRoots.set(i + 1, bytes));
      return {
        versionedRoots,
        root: roots[roots.length - 1]!,
        targets: repo.targets,
        snapshot: repo.snapshot,
        timestamp: repo.timestamp,
        delegated: new Map([[delegationName, repo.delegated]]),
      };
    },
    async relink(parts) {
      if (parts.targets) repo.targets = parts.targets;
      if (parts.delegated) repo.delegated = parts.delegated;
      const targetsVersion = (parseBytes(repo.targets).signed as JsonObject).version as number;
      const delegatedVersion = (parseBytes(repo.delegated).signed as JsonObject).version as number;
      const meta: JsonObject = {
        [metaKey(profile, 'targets')]: metaEntry(profile, repo.targets, targetsVersion),
        [metaKey(profile, delegationName)]: metaEntry(profile, repo.delegated, delegatedVersion),
      };
      if (profile === 'notary') meta.root = metaEntry(profile, roots[roots.length - 1]!, roots.length);
      const snap = parts.snapshotSigned ?? { ...common(profile, 'snapshot', 1), meta };
      repo.snapshot = await sign(profile, snap, keys.snapshot);
      const ts = parts.timestampSigned ?? { ...common(profile, 'timestamp', 1), meta: { [metaKey(profile, 'snapshot')]: metaEntry(profile, repo.snapshot, (snap.version as number) ?? 1) } };
      repo.timestamp = await sign(profile, ts, keys.timestamp);
    },
  };
  const enc = new TextEncoder();
  repo.targets = await sign(profile, targetsSigned(profile, 1, { 'app.tar.gz': enc.encode('app v1'), 'docs/readme.txt': enc.encode('hello') }, { name: delegationName, keys: keys.delegate }), keys.targets);
  repo.delegated = await sign(profile, targetsSigned(profile, 1, { 'releases/v1.tar.gz': enc.encode('release 1') }), keys.delegate);
  await repo.relink({});
  return repo;
}

/**
 * What a notary-server holding the snapshot and timestamp keys would serve over `targets` (bytes, signed or
 * not): a snapshot naming those bytes (and the role's file unless `delegated` is false, and the newest
 * root), and a timestamp over it — signed by the repository's snapshot key and `timestampKey` (default its
 * timestamp key), the timestamp expiring at `timestampExpires` (default far ahead).
 */
export async function makeServedSet(
  repo: BuiltRepo,
  opts: { targets: Uint8Array; delegated?: boolean; timestampExpires?: string; timestampKey?: TestKey },
): Promise<{ targets: Uint8Array; snapshot: Uint8Array; timestamp: Uint8Array }> {
  const p = repo.profile;
  const meta: JsonObject = { [metaKey(p, 'targets')]: metaEntry(p, opts.targets, 1) };
  if (opts.delegated !== false) meta[metaKey(p, repo.delegationName)] = metaEntry(p, repo.delegated, 1);
  if (p === 'notary') meta.root = metaEntry(p, repo.roots[repo.roots.length - 1]!, repo.roots.length);
  const snapshot = await sign(p, { ...common(p, 'snapshot', 1), meta }, repo.keys.snapshot);
  const timestamp = await sign(p, { ...common(p, 'timestamp', 1, opts.timestampExpires), meta: { [metaKey(p, 'snapshot')]: metaEntry(p, snapshot, 1) } }, [opts.timestampKey ?? repo.keys.timestamp[0]!]);
  return { targets: opts.targets, snapshot, timestamp };
}

export function withField(obj: JsonObject, path: (string | number)[], value: JsonValue | undefined): JsonObject {
  const copy = structuredClone(obj) as JsonObject;
  let cur: JsonValue = copy;
  for (const seg of path.slice(0, -1)) cur = (cur as Record<string | number, JsonValue>)[seg] as JsonValue;
  const last = path[path.length - 1]!;
  if (value === undefined) delete (cur as Record<string | number, JsonValue>)[last];
  else (cur as Record<string | number, JsonValue>)[last] = value;
  return copy;
}
