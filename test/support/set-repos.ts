/**
 * Repositories built once for a test file (beforeAll), by name, with their pins and trust-bundle-sets of
 * them in any order: what the set-import tests of nested repository names share.
 */
import { createHash } from 'node:crypto';
import { beforeAll } from 'vitest';
import { encodeBundle } from '../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet, type DecodedRepositorySet } from '../../src/bundle/set.js';
import type { ProfileName } from '../../src/profiles/profile.js';
import { buildRepo, type BuiltRepo } from './repo.js';
import { bundleContent } from './trust-tree.js';

export interface SetRepos {
  repos: Map<string, BuiltRepo>;
  /** Repository → SHA-256 of its first root.json (a pins file's content). */
  pins(): Map<string, string>;
  setBytes(names: readonly string[], label?: string): Uint8Array;
  setOf(names: readonly string[], label?: string): DecodedRepositorySet;
}

export function setRepos(profile: ProfileName, names: readonly string[], created: Date): SetRepos {
  const repos = new Map<string, BuiltRepo>();
  beforeAll(async () => {
    for (const name of names) repos.set(name, await buildRepo(profile, { gun: name }));
  }, 120_000);
  const setBytes = (list: readonly string[], label = 'set'): Uint8Array =>
    encodeRepositorySet(list.map((n) => encodeBundle(bundleContent(repos.get(n)!, n))), { name: label, created });
  return {
    repos,
    pins: () => new Map([...repos].map(([name, r]) => [name, createHash('sha256').update(r.roots[0]!).digest('hex')])),
    setBytes,
    setOf: (list, label) => decodeRepositorySet(setBytes(list, label)),
  };
}
