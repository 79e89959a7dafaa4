/**
 * What the CLI import tests read: three Notary repositories written as a trust-bundle-set of the first two
 * (with its pins) and a single bundle of the third (with its pinned root), in `dir`.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBundle } from '../../src/bundle/format.js';
import { encodeRepositorySet } from '../../src/bundle/set.js';
import { buildRepo, type BuiltRepo } from './repo.js';
import { bundleContent } from './trust-tree.js';

export interface ImportFixtures {
  repos: BuiltRepo[];
  setPath: string;
  singlePath: string;
  pinsPath: string;
  rootPath: string;
}

export async function writeImportFixtures(dir: string, gun: (i: number) => string): Promise<ImportFixtures> {
  const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
  const repos: BuiltRepo[] = [];
  for (let i = 0; i < 3; i++) repos.push(await buildRepo('notary', { gun: gun(i) }));
  const setPath = join(dir, 'set.tufbundle');
  writeFileSync(setPath, encodeRepositorySet(repos.slice(0, 2).map((r, i) => encodeBundle(bundleContent(r, gun(i)))), { name: 'two', created: new Date() }));
  const singlePath = join(dir, 'one.tufbundle');
  writeFileSync(singlePath, encodeBundle(bundleContent(repos[2]!, gun(2))));
  const pinsPath = join(dir, 'pins.json');
  writeFileSync(pinsPath, JSON.stringify(Object.fromEntries(repos.map((r, i) => [gun(i), sha(r.roots[0]!)]))));
  const rootPath = join(dir, '1.root.json');
  writeFileSync(rootPath, repos[2]!.roots[0]!);
  return { repos, setPath, singlePath, pinsPath, rootPath };
}
