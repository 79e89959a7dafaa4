/**
 * The "rotated-out keys take the site back" scenario (issue #12 point 1), in either profile:
 *
 *   root v1   keys k1 k2 k3 k4, threshold 2;
 *   root v2   k3 and k4 removed (compromised), k5 added: keys k1 k2 k5, threshold 2, signed by k1 k2;
 *   root v2′  a fork by the holder of k3 and k4: keys k3 k4 (threshold 2) and the attacker's own targets,
 *             snapshot and timestamp keys, signed by k3 k4 — enough for v1's threshold AND its own, so a
 *             client that walks from v1 accepts it.
 *
 * `legit(n)` is a complete repository state under root v2 (targets version n), `fork` one under v2′; each as
 * a trust bundle's content with every root version from 1.
 */
import type { BundleContent } from '../../src/bundle/format.js';
import type { JsonObject } from '../../src/json/types.js';
import type { ProfileName } from '../../src/profiles/profile.js';
import { makeKey, type TestKey } from './keys.js';
import { GUN, metaEntry, metaKey, rootSigned, sign, targetsSigned, type RootKeys } from './repo.js';

export interface ForkScenario {
  profile: ProfileName;
  repository: string;
  v1: Uint8Array;
  v2: Uint8Array;
  v2fork: Uint8Array;
  /** The legitimate repository under root v2 with targets version `targetsVersion` (roots 1 and 2 included). */
  legit(targetsVersion: number): Promise<BundleContent>;
  /** The legitimate repository after one more rotation (root v3: keys k1 k2 k5, renewed), roots 1 to 3 included. */
  legitV3(targetsVersion: number): Promise<BundleContent>;
  /** The fork: roots 1 and 2′, and a whole repository signed by the attacker's keys. */
  fork: BundleContent;
}

const enc = new TextEncoder();

function common(profile: ProfileName, type: string, version: number): JsonObject {
  const out: JsonObject = { _type: profile === 'tuf' ? type : type[0]!.toUpperCase() + type.slice(1), version, expires: '2099-01-01T00:00:00Z' };
  if (profile === 'tuf') out.spec_version = '1.0.31';
  return out;
}

/** A complete repository (targets version `version`, snapshot, timestamp) under the last of `roots`, signed by `keys`, as a trust bundle's content. */
export async function repositoryState(profile: ProfileName, repository: string, roots: Uint8Array[], keys: RootKeys, version: number, payload: string): Promise<BundleContent> {
  const targets = await sign(profile, targetsSigned(profile, version, { 'app.tar.gz': enc.encode(payload) }), keys.targets);
  const meta: JsonObject = { [metaKey(profile, 'targets')]: metaEntry(profile, targets, version) };
  if (profile === 'notary') meta.root = metaEntry(profile, roots[roots.length - 1]!, roots.length);
  const snapshot = await sign(profile, { ...common(profile, 'snapshot', version), meta }, keys.snapshot);
  const timestamp = await sign(profile, { ...common(profile, 'timestamp', version), meta: { [metaKey(profile, 'snapshot')]: metaEntry(profile, snapshot, version) } }, keys.timestamp);
  const files = [
    ...roots.map((bytes, i) => ({ name: `${i + 1}.root.json`, bytes })),
    { name: 'root.json', bytes: roots[roots.length - 1]! },
    { name: 'snapshot.json', bytes: snapshot },
    { name: 'targets.json', bytes: targets },
    { name: 'timestamp.json', bytes: timestamp },
  ];
  return { kind: 'trust-bundle', profile, repository, created: '2026-11-25T10:00:00Z', files };
}

export async function buildForkScenario(profile: ProfileName): Promise<ForkScenario> {
  const rootKind = profile === 'notary' ? 'ecdsa-x509' : 'ed25519';
  const otherKind = profile === 'notary' ? 'ecdsa-p256' : 'ed25519';
  const tsKind = profile === 'notary' ? 'ed25519' : 'ed25519';
  const repository = profile === 'notary' ? GUN : 'example-repo';
  const k: TestKey[] = [];
  for (let i = 0; i < 5; i++) k.push(await makeKey(profile, rootKind, GUN));
  const roles = { targets: [await makeKey(profile, otherKind)], snapshot: [await makeKey(profile, otherKind)], timestamp: [await makeKey(profile, tsKind)] };
  const attacker = { targets: [await makeKey(profile, otherKind)], snapshot: [await makeKey(profile, otherKind)], timestamp: [await makeKey(profile, tsKind)] };
  const [k1, k2, k3, k4, k5] = k as [TestKey, TestKey, TestKey, TestKey, TestKey];

  const keys1: RootKeys = { root: [k1, k2, k3, k4], ...roles };
  const keys2: RootKeys = { root: [k1, k2, k5], ...roles };
  const keysFork: RootKeys = { root: [k3, k4], ...attacker };
  const v1 = await sign(profile, rootSigned(profile, 1, keys1, { root: 2 }), [k1, k2]);
  const v2 = await sign(profile, rootSigned(profile, 2, keys2, { root: 2 }), [k1, k2]);
  const v3 = await sign(profile, rootSigned(profile, 3, keys2, { root: 2 }), [k1, k2]);
  const v2fork = await sign(profile, rootSigned(profile, 2, keysFork, { root: 2 }), [k3, k4]);
  return {
    profile,
    repository,
    v1,
    v2,
    v2fork,
    legit: (n) => repositoryState(profile, repository, [v1, v2], keys2, n, `app v${n}`),
    legitV3: (n) => repositoryState(profile, repository, [v1, v2, v3], keys2, n, `app v${n}`),
    fork: await repositoryState(profile, repository, [v1, v2fork], keysFork, 5, 'malware'),
  };
}
