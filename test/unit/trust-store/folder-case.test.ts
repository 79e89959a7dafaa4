/**
 * A repository's folder against the folders an earlier import installed (folder-case.ts): two repositories
 * whose names differ only in case are two repositories to notary-server, but one folder on Windows and
 * macOS, so the second import is refused (REPOSITORY_FOLDER_COLLISION) and nothing is changed.
 */
import { cpSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet, innerName } from '../../../src/bundle/set.js';
import { isCeremonyError } from '../../../src/errors.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { folderCollisionOf, foldedNames, foldedRepositories, repositoryMarker, type FolderListing } from '../../../src/trust-store/folder-case.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { importRepositorySet, previewRepositorySet } from '../../../src/trust-store/install-set.js';
import { sha256Hex } from '../../../src/crypto/digest.js';
import { quoteShown } from '../../../src/json/fields.js';
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

/** A FolderListing of a tree given as file paths (as a folder's listing would give it). */
function listingOf(paths: string[]): FolderListing {
  const below = new Map<string, Set<string>>();
  for (const path of paths) {
    const segments = path.split('/');
    for (let i = 0; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (!below.has(parent)) below.set(parent, new Set());
      below.get(parent)!.add(segments[i]!);
    }
  }
  return async (parent) => {
    const names = below.get(parent.join('/'));
    return names ? foldedNames(names) : undefined;
  };
}

describe('folderCollisionOf', () => {
  const tree = [
    'docker.io/myorg/app/metadata/root.json',
    'docker.io/myorg/web/metadata/root.json',
    'docker.io/myorg/empty/readme.txt',
    'caf\u00e9/metadata/root.json',
    'two/Case/metadata/root.json',
    'two/case/metadata/root.json',
    // Installed before GUNs ending in "." were refused (review-12 L2): Windows drops the dot.
    'old.example.com/org/app./metadata/root.json',
    'old.example.com/org/web. /metadata/root.json',
    // HFS+ ignores U+200D, U+FEFF (review-12 L3).
    'old.example.com/org/zw\u200dj/metadata/root.json',
  ];
  const list = listingOf(tree);
  const table: [string, string | undefined][] = [
    // Installed as spelled (a renewal): never refused.
    ['docker.io/myorg/app', undefined],
    ['docker.io/myorg/web', undefined],
    // Not installed, and no repository folder that folds to it.
    ['docker.io/myorg/api', undefined],
    ['docker.io/other/App', undefined],
    ['quay.io/x/y', undefined],
    // A parent spelled otherwise, but no repository's own folder: nothing of either is the other's.
    ['Docker.IO/anything', undefined],
    ['GHCR.io/a/b', undefined],
    // A folder that holds no repository (no metadata/).
    ['docker.io/myorg/Empty', undefined],
    // Another repository's folder on a case-insensitive file system, whatever level differs.
    ['docker.io/myorg/App', 'docker.io/myorg/app'],
    ['docker.io/MyOrg/app', 'docker.io/myorg/app'],
    ['DOCKER.IO/MYORG/APP', 'docker.io/myorg/app'],
    // Normalisation-insensitive (APFS, HFS+): precomposed é against e + combining acute, and case on top.
    ['cafe\u0301', 'caf\u00e9'],
    ['CAF\u00c9', 'caf\u00e9'],
    // A Linux trust directory holding both spellings from before the check: each renews; a third spelling is refused.
    ['two/case', undefined],
    ['two/Case', undefined],
    ['two/CASE', 'two/Case'],
    // Trailing dots and spaces are dropped by Windows: the same folder there.
    ['old.example.com/org/app', 'old.example.com/org/app.'],
    ['old.example.com/org/APP', 'old.example.com/org/app.'],
    ['old.example.com/org/web', 'old.example.com/org/web. '],
    ['old.example.com/org/app.', undefined],
    ['old.example.com/org/zwj', 'old.example.com/org/zw\u200dj'],
    ['old.example.com/org/\ufeffzwj', 'old.example.com/org/zw\u200dj'],
    ['old.example.com/org/ap', undefined],
  ];
  it.each(table)('%s → %s', async (wanted, twin) => {
    const got = await folderCollisionOf(wanted, list, repositoryMarker('notary'), 'tuf', '$.repository');
    if (twin === undefined) expect(got).toBeUndefined();
    else {
      expect(got?.code).toBe('REPOSITORY_FOLDER_COLLISION');
      expect(got?.path).toBe('$.repository');
      expect(got?.message).toContain(quoteShown(`tuf/${twin}`));
    }
  });

  it('reads only the folders on the way down, each once, and stops where the name leaves the tree', async () => {
    const asked: string[] = [];
    const counting: FolderListing = (parent) => {
      asked.push(parent.join('/'));
      return list(parent);
    };
    expect(await foldedRepositories(['docker.io', 'nope', 'deeper'], counting, 'metadata')).toEqual([]);
    expect(asked).toEqual(['', 'docker.io']);
    expect(await foldedRepositories(['TWO', 'CASE'], list, 'metadata')).toEqual([
      ['two', 'Case'],
      ['two', 'case'],
    ]);
    expect(foldedNames(['A', 'a', 'b']).get('a')).toEqual(['A', 'a']);
  });
});

describe('GUN folders Windows cannot tell apart or hold (review-12 L2)', () => {
  it('a GUN ending in ".": refused before anything is read (IMPORT_REPOSITORY_MISMATCH); one whose trailing-dot twin is installed: REPOSITORY_FOLDER_COLLISION; the trust directory unchanged', async () => {
    const gun = 'registry.example.com/org/app';
    const repo = await buildRepo('notary', { gun });
    const base = tmp('tufc-fold-dot-');
    const trustDir = join(base, 'trust');
    mkdirSync(trustDir);
    await importRepository({ files: repo.files(), source: 'app' }, { trustDir, now: NOW, rootFingerprint: sha256Hex(repo.roots[0]!), gun });
    const before = treeHash(base, () => false);
    for (const [twin, why] of [
      [`${gun}.`, 'ends with "."'],
      ['registry.example.com./org/app', 'ends with "."'],
    ]) {
      const got = await refusal(importRepository({ files: repo.files(), source: 'twin' }, { trustDir, now: NOW, rootFingerprint: sha256Hex(repo.roots[0]!), gun: twin! }));
      expect([got.code, got.path]).toEqual(['IMPORT_REPOSITORY_MISMATCH', twin]);
      expect(got.message).toContain(why);
      expect(treeHash(base, () => false)).toBe(before);
    }
    // `org/app.` installed before the rule (moved there by hand here): `org/app` is its folder on Windows.
    renameSync(join(trustDir, 'tuf', 'registry.example.com', 'org', 'app'), join(trustDir, 'tuf', 'registry.example.com', 'org', 'app.'));
    const moved = treeHash(base, () => false);
    const got = await refusal(importRepository({ files: repo.files(), source: 'app' }, { trustDir, now: NOW, rootFingerprint: sha256Hex(repo.roots[0]!), gun }));
    expect(got.code).toBe('REPOSITORY_FOLDER_COLLISION');
    expect(got.message).toContain(`"tuf/${gun}."`);
    expect(treeHash(base, () => false)).toBe(moved);
  }, 60_000);
});

describe.each(['notary', 'tuf'] as const)('import refuses a repository whose folder an installed one takes on Windows or macOS (%s)', (profile: ProfileName) => {
  const lower = profile === 'notary' ? 'registry.example.com/org/app' : 'org/app';
  const upper = profile === 'notary' ? 'registry.example.com/org/App' : 'org/App';
  const other = profile === 'notary' ? 'registry.example.com/org/web' : 'org/web';
  // Its parent folder is the installed repository's parent on Windows or macOS, but its own folder is no other's.
  const parentOnly = profile === 'notary' ? 'REGISTRY.example.com/org/api' : 'ORG/api';
  let repos: Map<string, BuiltRepo>;

  beforeAll(async () => {
    repos = new Map();
    for (const name of [lower, upper, other, parentOnly]) repos.set(name, await buildRepo(profile, { gun: name }));
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
    expect(got.path).toBe(`${innerName(1)} $.repository`);
    expect(treeHash(top)).toBe(before);
    // The Import screen's preview refuses that row, as the install does, and passes the other.
    const preview = await previewRepositorySet(setOf([other, upper]), { trustDir, pins, now: NOW });
    expect(preview.rows.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'REPOSITORY_FOLDER_COLLISION']);
    // A dry run says the same.
    expect((await refusal(importRepositorySet(setOf([upper]), { trustDir, pins, now: NOW, dryRun: true }))).code).toBe('REPOSITORY_FOLDER_COLLISION');
    // The same name again (an update) and a new one are not twins.
    await importRepositorySet(setOf([lower, other]), { trustDir, pins: new Map([[other, pin(other)]]), now: NOW });
    expect(treeHash(top)).not.toBe(before);
    // Only a parent folder spelled otherwise: installed.
    await importRepositorySet(setOf([parentOnly]), { trustDir, pins: new Map([[parentOnly, pin(parentOnly)]]), now: NOW });
  });

  it('a trust directory that holds both spellings from before the check (Linux): each renews', async () => {
    const { trustDir, top } = fresh();
    await importRepositorySet(setOf([lower]), { trustDir, pins: new Map([[lower, pin(lower)]]), now: NOW });
    // As an earlier version could leave it: the other spelling's folder beside it.
    cpSync(join(top, ...lower.split('/')), join(top, ...upper.split('/')), { recursive: true });
    await importRepositorySet(setOf([lower]), { trustDir, now: NOW });
    if (profile === 'notary') await importRepository({ files: repos.get(lower)!.files(), source: 'app' }, { trustDir, now: NOW, gun: lower });
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
