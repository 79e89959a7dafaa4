/**
 * A repository's folder against the folders an earlier import installed (folder-case.ts): two repositories
 * whose names differ only in case are two repositories to notary-server, but one folder on Windows and
 * macOS, so the second import is refused (REPOSITORY_FOLDER_COLLISION) and nothing is changed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet } from '../../../src/bundle/set.js';
import { isCeremonyError } from '../../../src/errors.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { childrenInTree, foldedNames, foldedTwin } from '../../../src/trust-store/folder-case.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { importRepositorySet } from '../../../src/trust-store/install-set.js';
import { sha256Hex } from '../../../src/crypto/digest.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();
const NOW = new Date();

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; path: string | undefined }> {
  try {
    await p;
  } catch (err) {
    if (isCeremonyError(err)) return { code: err.code, message: err.message, path: err.path };
    throw err;
  }
  return { code: 'no error', message: '', path: undefined };
}

describe('foldedTwin', () => {
  const tree = ['docker.io/myorg/app/metadata/root.json', 'docker.io/myorg/app/metadata/targets.json', 'docker.io/myorg/web/metadata/root.json', 'ghcr.io/a/b/metadata/root.json', 'caf\u00e9/metadata/root.json', 'two/Case/metadata/root.json', 'two/case/metadata/root.json'];
  const children = childrenInTree(tree);
  const table: [string, string[] | undefined][] = [
    // The same folder here: no twin.
    ['docker.io/myorg/app', undefined],
    ['docker.io/myorg/web', undefined],
    // Not installed, and nothing that folds to it.
    ['docker.io/myorg/api', undefined],
    ['docker.io/other/App', undefined],
    ['quay.io/x/y', undefined],
    // One folder on a case-insensitive file system, at each level of the name.
    ['docker.io/myorg/App', ['docker.io', 'myorg', 'app']],
    ['docker.io/MyOrg/app', ['docker.io', 'myorg']],
    ['Docker.IO/anything', ['docker.io']],
    ['GHCR.io/a/b', ['ghcr.io']],
    // Normalisation-insensitive (APFS, HFS+): precomposed é against e + combining acute, and case on top.
    ['cafe\u0301', ['caf\u00e9']],
    ['CAF\u00c9', ['caf\u00e9']],
    // Both spellings installed already (on Linux): either one names the other as its twin.
    ['two/case', ['two', 'Case']],
    ['two/Case', ['two', 'case']],
  ];
  it.each(table)('%s → %j', async (wanted, twin) => {
    expect(await foldedTwin(wanted.split('/'), children)).toEqual(twin);
  });

  it('asks only for the folders on the way down, and stops where the name leaves the tree', async () => {
    const asked: string[] = [];
    const listing = (parent: readonly string[]) => {
      asked.push(parent.join('/'));
      return children(parent);
    };
    await foldedTwin(['docker.io', 'nope', 'deeper', 'still'], listing);
    expect(asked).toEqual(['', 'docker.io']);
    expect(foldedNames(['A', 'a', 'b']).get('a')).toEqual(['A', 'a']);
  });
});

describe.each(['notary', 'tuf'] as const)('import refuses a repository whose folder an installed one takes on Windows or macOS (%s)', (profile: ProfileName) => {
  const lower = profile === 'notary' ? 'registry.example.com/org/app' : 'org/app';
  const upper = profile === 'notary' ? 'registry.example.com/org/App' : 'org/App';
  const other = profile === 'notary' ? 'registry.example.com/org/web' : 'org/web';
  let repos: Map<string, BuiltRepo>;

  beforeAll(async () => {
    repos = new Map();
    for (const name of [lower, upper, other]) repos.set(name, await buildRepo(profile, { gun: name }));
  }, 120_000);

  const bundle = (name: string) => encodeBundle(bundleContent(repos.get(name)!, name));
  const pin = (name: string) => sha256Hex(repos.get(name)!.roots[0]!);
  const setOf = (names: string[]) => decodeRepositorySet(encodeRepositorySet(names.map(bundle), { name: 'set', created: NOW }));

  function fresh(): { trustDir: string; top: string } {
    const base = tmp('tufc-fold-');
    const trustDir = join(base, profile === 'notary' ? 'trust' : 'repos');
    mkdirSync(trustDir);
    return { trustDir, top: profile === 'notary' ? join(trustDir, 'tuf') : trustDir };
  }

  it('a set naming "App" after "app" was installed: refused, nothing changed; the same set without it installs', async () => {
    const { trustDir, top } = fresh();
    await importRepositorySet(setOf([lower]), { trustDir, pins: new Map([[lower, pin(lower)]]), now: NOW });
    const before = treeHash(top);
    const pins = new Map([upper, other].map((n) => [n, pin(n)]));
    const got = await refusal(importRepositorySet(setOf([other, upper]), { trustDir, pins, now: NOW }));
    expect(got.code).toBe('REPOSITORY_FOLDER_COLLISION');
    expect(got.message).toContain(`${profile === 'notary' ? 'tuf' : 'repos'}/${lower}`);
    expect(got.message).toContain('nothing was installed');
    expect(got.path).toBe(profile === 'notary' ? `${upper}/metadata` : upper);
    expect(treeHash(top)).toBe(before);
    // A dry run says the same.
    expect((await refusal(importRepositorySet(setOf([upper]), { trustDir, pins, now: NOW, dryRun: true }))).code).toBe('REPOSITORY_FOLDER_COLLISION');
    // The same name again (an update) and a new one are not twins.
    await importRepositorySet(setOf([lower, other]), { trustDir, pins: new Map([[other, pin(other)]]), now: NOW });
    expect(treeHash(top)).not.toBe(before);
  });

  it.runIf(profile === 'notary')('a single import of "App" after "app": refused before anything is read or written, dry run too', async () => {
    const { trustDir, top } = fresh();
    await importRepository({ files: repos.get(lower)!.files(), source: 'app' }, { trustDir, now: NOW, rootFingerprint: pin(lower), gun: lower });
    const before = treeHash(top);
    for (const dryRun of [false, true]) {
      const got = await refusal(importRepository({ files: repos.get(upper)!.files(), source: 'App' }, { trustDir, now: NOW, rootFingerprint: pin(upper), gun: upper, dryRun }));
      expect(got.code).toBe('REPOSITORY_FOLDER_COLLISION');
      expect(got.message).toContain(`"tuf/${lower}"`);
      expect(treeHash(top)).toBe(before);
    }
    // The installed one updates as before.
    await importRepository({ files: repos.get(lower)!.files(), source: 'app' }, { trustDir, now: NOW, gun: lower });
  });
});
