/**
 * Repository folders that nest (review a2 M4): TUF repositories `org` and `org/app` are folders
 * `<trust dir>/org/` and `<trust dir>/org/app/`; Notary GUNs `a` and `a/metadata/targets/x` are
 * `tuf/a/metadata/` and `tuf/a/metadata/targets/x/metadata/`. A set import must count as a repository's
 * installed files only what its layout gives it (install-set.ts filesByFolder), never the inner
 * repository's files: those would fail its checks ("metadata but no root.json") or be deleted with it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet } from '../../../src/bundle/set.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { SESSIONS_FOLDER_NAME } from '../../../src/trust-store/import-session.js';
import { filesByFolder, importRepositorySet, setFolders } from '../../../src/trust-store/install-set.js';
import { buildRepo } from '../../support/repo.js';
import { setRepos } from '../../support/set-repos.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const NOW = new Date();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const NESTS: { profile: ProfileName; outer: string; inner: string }[] = [
  { profile: 'tuf', outer: 'org', inner: 'org/app' },
  { profile: 'notary', outer: 'a', inner: 'a/metadata/targets/x' },
];

describe.each(NESTS)('$profile: repositories $outer and $inner', ({ profile, outer, inner }) => {
  const { pins, setOf } = setRepos(profile, [outer, inner], NOW);
  const trustDir = () => {
    const dir = join(tmp('set-nested-'), 'repos');
    mkdirSync(dir);
    return dir;
  };
  const folderPath = (dir: string, name: string) => {
    const { target, folderOf } = setFolders(dir, profile);
    return join(target, folderOf(name));
  };

  // [installed first, then the set]: each order, and both in one set.
  const CASES: { first: string[]; then: string[]; untouched?: 'outer' | 'inner' }[] = [
    { first: [inner], then: [outer], untouched: 'inner' },
    { first: [outer], then: [inner], untouched: 'outer' },
    { first: [outer, inner], then: [outer], untouched: 'inner' },
    { first: [outer, inner], then: [inner], untouched: 'outer' },
    { first: [outer, inner], then: [inner, outer] },
  ];
  it.each(CASES)('installed $first, then a set of $then', async ({ first, then, untouched }) => {
    const dir = trustDir();
    await importRepositorySet(setOf(first, 'first'), { trustDir: dir, pins: pins(), now: NOW });
    const kept = untouched === undefined ? undefined : untouched === 'outer' ? outer : inner;
    // The outer folder holds the inner one: its own files are hashed without the inner repository's folder.
    const innerTop = inner.slice(outer.length + 1).split('/').pop()!;
    const keptHash = () => treeHash(folderPath(dir, kept!), (name) => name === innerTop || name.endsWith(SESSIONS_FOLDER_NAME));
    const before = kept === undefined ? '' : keptHash();
    const result = await importRepositorySet(setOf(then, 'then'), { trustDir: dir, pins: pins(), now: NOW });
    expect(result.entries.map((e) => e.repository)).toEqual(then);
    // Every set repository's entry saw exactly its own installed root (same version again, not a first import).
    for (const e of result.entries) expect(e.previousRoot, e.repository).toBe(first.includes(e.repository) ? 1 : null);
    // The repository outside the set kept its folder byte for byte (including its imports.log).
    if (kept !== undefined) expect(keptHash()).toBe(before);
    // And both still import again as single repositories of a set.
    await importRepositorySet(setOf([outer, inner], 'again'), { trustDir: dir, pins: pins(), now: NOW });
  }, 120_000);
});

it('a set folder that holds metadata but no root.json: refused, the path names that folder once', async () => {
  const r = await buildRepo('tuf', { gun: 'org' });
  const dir = join(tmp('set-nested-'), 'repos');
  mkdirSync(join(dir, 'org'), { recursive: true });
  writeFileSync(join(dir, 'org', 'timestamp.json'), '{}');
  const set = decodeRepositorySet(encodeRepositorySet([encodeBundle(bundleContent(r, 'org'))], { name: 'one', created: NOW }));
  const err = await importRepositorySet(set, { trustDir: dir, pins: new Map([['org', sha(r.roots[0]!)]]), now: NOW }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'TRUST_DIR_INVALID', path: 'org' });
  expect((err as Error).message).toContain('repository "org" (1 of 1): the trust folder holds metadata but no root.json');
}, 120_000);

describe('filesByFolder: what a set folder counts as its installed files', () => {
  const b = new Uint8Array([1]);
  const tree = (names: string[]) => new Map(names.map((n) => [n, b]));
  const keys = (m: Map<string, Map<string, Uint8Array>>) => Object.fromEntries([...m].map(([f, files]) => [f, [...files.keys()].sort()]));

  it('tuf: only direct children, whatever is nested', () => {
    const t = tree(['org/root.json', 'org/imports.log', 'org/app/root.json', 'org/app/deep/x.json', 'other/root.json']);
    expect(keys(filesByFolder(t, ['org'], 'tuf'))).toEqual({ org: ['imports.log', 'root.json'] });
    expect(keys(filesByFolder(t, ['org/app'], 'tuf'))).toEqual({ 'org/app': ['root.json'] });
  });

  it('notary: direct children and targets/**, never an installed inner GUN\'s files', () => {
    const t = tree([
      'a/metadata/root.json',
      'a/metadata/targets.json',
      'a/metadata/targets/releases.json',
      'a/metadata/targets/team/qa.json',
      'a/metadata/targets/x/metadata/root.json',
      'a/metadata/targets/x/metadata/targets/releases.json',
      'a/changelist/abc.change',
    ]);
    expect(keys(filesByFolder(t, ['a/metadata'], 'notary'))).toEqual({
      'a/metadata': ['root.json', 'targets.json', 'targets/releases.json', 'targets/team/qa.json'],
    });
    expect(keys(filesByFolder(t, ['a/metadata/targets/x/metadata'], 'notary'))).toEqual({
      'a/metadata/targets/x/metadata': ['root.json', 'targets/releases.json'],
    });
  });
});
