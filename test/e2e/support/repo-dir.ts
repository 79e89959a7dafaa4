/** Write a test repository (test/support/repo.ts) to disk as a person would have it: a metadata folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BuiltRepo } from '../../support/repo.js';

/** Relative name → bytes, in the layout the profile's client reads (Notary nests `targets/<name>.json`). */
export function repoFiles(repo: BuiltRepo, opts: { versionedRoots?: boolean } = {}): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  files.set('root.json', repo.roots[repo.roots.length - 1]!);
  if (opts.versionedRoots ?? repo.roots.length > 1) repo.roots.forEach((bytes, i) => files.set(`${i + 1}.root.json`, bytes));
  files.set('targets.json', repo.targets);
  files.set('snapshot.json', repo.snapshot);
  files.set('timestamp.json', repo.timestamp);
  files.set(`${repo.delegationName}.json`, repo.delegated);
  return files;
}

export function writeFiles(dir: string, files: Map<string, Uint8Array>): string {
  for (const [name, bytes] of files) {
    const full = join(dir, name);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, bytes);
  }
  return dir;
}

/**
 * Change one character inside `signed` after signing: the first digit of the year in `expires` that is
 * not its first digit, bumped by one. The file stays valid JSON of the right shape; only the signatures
 * stop matching the bytes.
 */
export function tamperExpires(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('utf8');
  const changed = text.replace(/("expires"\s*:\s*"\d{3})(\d)/, (_m, head: string, digit: string) => head + String((Number(digit) + 1) % 10));
  if (changed === text) throw new Error('no expires field to tamper with');
  return new Uint8Array(Buffer.from(changed, 'utf8'));
}
