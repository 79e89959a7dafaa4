/**
 * --- import (#6): helpers the import tests share (unit, e2e): a repository from test/support/repo.ts as
 * the content of a trust bundle, and the hash of a whole folder tree (a refused import must leave it
 * byte for byte as it was).
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleContent } from '../../src/bundle/format.js';
import { SESSIONS_FOLDER_NAME } from '../../src/trust-store/import-session.js';
import type { BuiltRepo } from './repo.js';

/**
 * Every entry under `dir` (names, kinds, bytes), hashed: equal hashes = byte for byte the same tree. The
 * site's sessions folder (src/trust-store/import-session.ts) is left out by default: a refused import
 * records its refusal there, by design; the tests that care check it apart.
 */
export function treeHash(dir: string, skip: (name: string) => boolean = (name) => name.endsWith(SESSIONS_FOLDER_NAME)): string {
  const h = createHash('sha256');
  const walk = (sub: string, rel: string) => {
    for (const name of readdirSync(sub).sort()) {
      if (skip(name)) continue;
      const full = join(sub, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(full);
      if (st.isDirectory()) {
        h.update(`d ${r}\n`);
        walk(full, r);
      } else if (st.isFile()) h.update(`f ${r}\n`).update(readFileSync(full));
      // A FIFO (or socket, device, link) is named with its kind and identity, never opened: reading a FIFO blocks.
      else h.update(`o ${r} ${st.mode} ${st.ino}\n`);
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return h.digest('hex');
}

/** All of `repo` (every root version, the top-level roles, the delegation) as a trust bundle's content. */
export function bundleContent(repo: BuiltRepo, repository: string): BundleContent {
  const files = [
    ...repo.roots.map((bytes, i) => ({ name: `${i + 1}.root.json`, bytes })),
    { name: 'root.json', bytes: repo.roots[repo.roots.length - 1]! },
    { name: 'targets.json', bytes: repo.targets },
    { name: 'snapshot.json', bytes: repo.snapshot },
    { name: 'timestamp.json', bytes: repo.timestamp },
    { name: `${repo.delegationName}.json`, bytes: repo.delegated },
  ];
  return { kind: 'trust-bundle', profile: repo.profile, repository, created: '2026-11-25T10:00:00Z', files };
}
