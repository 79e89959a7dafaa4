/**
 * A trust-bundle-set import into the Notary layout over repositories that have delegated roles installed
 * (`<trust dir>/tuf/<GUN>/metadata/targets/releases.json`): the set must see those files exactly as a
 * single import of the repository sees them (install.ts) — remembered against rollback, with the single
 * import's refusal, and gone from the folder when the new repository no longer carries them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleRepositoryFiles, decodeBundle, encodeBundle, type BundleContent } from '../../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet } from '../../../src/bundle/set.js';
import { isCeremonyError } from '../../../src/errors.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { importRepositorySet, previewRepositorySet } from '../../../src/trust-store/install-set.js';
import { buildRepo, FAR, metaEntry, parseBytes, sign, targetsSigned, type BuiltRepo } from '../../support/repo.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import type { JsonObject } from '../../../src/json/types.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const NOW = new Date();
const enc = new TextEncoder();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const GUN_A = 'registry.example.com/org/app';
const GUN_B = 'registry.example.com/org/other';

interface State {
  content: BundleContent;
  bundle: Uint8Array;
}

function state(r: BuiltRepo, gun: string, opts: { withoutDelegated?: boolean } = {}): State {
  const content = bundleContent(r, gun);
  if (opts.withoutDelegated) content.files = content.files.filter((f) => f.name !== `${r.delegationName}.json`);
  return { content, bundle: encodeBundle(content) };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; path?: string }> {
  try {
    await p;
  } catch (err) {
    return isCeremonyError(err) ? { code: err.code, message: err.message, ...(err.path ? { path: err.path } : {}) } : { code: String(err), message: '' };
  }
  return { code: 'no error', message: '' };
}

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const name of readdirSync(sub)) {
      const full = join(sub, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

describe('trust-bundle-set import over installed Notary delegated roles', () => {
  let a: BuiltRepo;
  let b: BuiltRepo;
  /** Repository A as built: targets v1 delegating to targets/releases v1. */
  let a1: State;
  /** Repository A with targets/releases v2 (everything else the same versions). */
  let a2: State;
  /** Repository A with targets v2 that delegates to no role any more: its bundle carries no targets/releases.json. */
  let a3: State;
  let b1: State;
  let pins: Map<string, string>;

  beforeAll(async () => {
    a = await buildRepo('notary', { gun: GUN_A });
    b = await buildRepo('notary', { gun: GUN_B });
    a1 = state(a, GUN_A);
    b1 = state(b, GUN_B);
    await a.relink({ delegated: await sign('notary', targetsSigned('notary', 2, { 'releases/v2.tar.gz': enc.encode('release 2') }), a.keys.delegate) });
    a2 = state(a, GUN_A);
    const t2 = await sign('notary', targetsSigned('notary', 2, { 'app.tar.gz': enc.encode('app v2') }), a.keys.targets);
    const snapshot: JsonObject = {
      _type: 'Snapshot',
      version: 2,
      expires: FAR,
      meta: { targets: metaEntry('notary', t2, 2), root: metaEntry('notary', a.roots[0]!, 1) },
    };
    await a.relink({ targets: t2, snapshotSigned: snapshot });
    a3 = state(a, GUN_A, { withoutDelegated: true });
    expect((parseBytes(a3.content.files.find((f) => f.name === 'targets.json')!.bytes).signed as JsonObject).delegations).toEqual({ keys: {}, roles: [] });
    pins = new Map([
      [GUN_A, sha(a.roots[0]!)],
      [GUN_B, sha(b.roots[0]!)],
    ]);
  }, 120_000);

  function fresh(): { base: string; trustDir: string; folderA: string; folderB: string } {
    const base = tmp('tufc-set-deleg-');
    const trustDir = join(base, 'trust');
    mkdirSync(trustDir);
    return { base, trustDir, folderA: join(trustDir, 'tuf', ...GUN_A.split('/'), 'metadata'), folderB: join(trustDir, 'tuf', ...GUN_B.split('/'), 'metadata') };
  }

  /** The repository's own bundle, as `import FILE.tufbundle` reads it (cli/import.ts). */
  const singleSource = (s: State) => {
    const decoded = decodeBundle(s.bundle);
    return { files: bundleRepositoryFiles(decoded), source: 'single', bundle: { profile: decoded.profile, repository: decoded.repository, hash: decoded.hash } };
  };
  const setOf = (...states: State[]) => decodeRepositorySet(encodeRepositorySet(states.map((s) => s.bundle), { name: 'myorg', created: NOW }));

  it('an older delegated role file than the installed one is refused as the single import refuses it; the trust dir stays byte for byte', async () => {
    const { base, trustDir, folderA } = fresh();
    await importRepositorySet(setOf(a2, b1), { trustDir, pins, now: NOW });
    const releases = join(folderA, 'targets', 'releases.json');
    expect((parseBytes(readFileSync(releases)).signed as JsonObject).version).toBe(2);
    const before = treeHash(base);

    // The single import's verdict on the same bundle over the same trust dir (a dry run writes nothing).
    const single = await refusal(importRepository(singleSource(a1), { trustDir, now: NOW, dryRun: true }));
    expect(single.code).toBe('ROLLBACK');
    expect(single.message).toContain('targets/releases.json is version 1, older than the installed version 2');

    const set = await refusal(importRepositorySet(setOf(a1, b1), { trustDir, pins, now: NOW }));
    expect(set.code).toBe(single.code);
    // The single import's words, and its path once: inside the set's, which ends the message.
    expect(set.message).toContain(`repository "${GUN_A}" (1 of 2): ${single.message.slice(0, -` (at ${single.path})`.length)}`);
    expect(set.message).toContain('nothing of the set was installed');
    expect(set.path).toBe(`${GUN_A}/metadata/${single.path}`);
    expect(set.message.endsWith(`; nothing of the set was installed (at ${set.path})`)).toBe(true);
    expect(set.message).not.toContain(`(at ${single.path})`);
    expect(treeHash(base)).toBe(before);
    // Installed pins alone (no pins file): the same refusal.
    expect((await refusal(importRepositorySet(setOf(a1, b1), { trustDir, now: NOW }))).code).toBe('ROLLBACK');
    expect(treeHash(base)).toBe(before);

    // The Import screen's preview shows the same verdict for that row, the other row verified.
    const preview = await previewRepositorySet(setOf(a1, b1), { trustDir, pins, now: NOW });
    expect(preview.rows.map((r) => [r.repository, r.ok ? 'ok' : r.error.code])).toEqual([
      [GUN_A, 'ROLLBACK'],
      [GUN_B, 'ok'],
    ]);
    expect(treeHash(base)).toBe(before);
  }, 120_000);

  it('a delegated role the new repository no longer has is removed from its folder, as a single import removes it', async () => {
    const { trustDir, folderA, folderB } = fresh();
    await importRepositorySet(setOf(a1, b1), { trustDir, pins, now: NOW });
    const bFiles = filesUnder(folderB);
    const bBytes = bFiles.map((f) => sha(readFileSync(join(folderB, f))));
    expect(filesUnder(folderA)).toContain(join('targets', 'releases.json'));

    const result = await importRepositorySet(setOf(a3, b1), { trustDir, now: NOW });
    const entryA = result.entries.find((e) => e.repository === GUN_A)!;
    expect(Object.keys(entryA.fileHashes).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    // Exactly what a single import installs: no stale targets/releases.json a client would still read.
    expect(filesUnder(folderA)).toEqual(['imports.log', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    expect(existsSync(join(folderA, 'targets', 'releases.json'))).toBe(false);
    // B's metadata is installed again as it was (its delegated role file too); imports.log has one more line.
    expect(filesUnder(folderB)).toEqual(bFiles);
    expect(bFiles.map((f) => (f === 'imports.log' ? '' : sha(readFileSync(join(folderB, f)))))).toEqual(bBytes.map((h, i) => (bFiles[i] === 'imports.log' ? '' : h)));

    // The single import over the same starting point ends with the same files.
    const other = fresh();
    await importRepositorySet(setOf(a1, b1), { trustDir: other.trustDir, pins, now: NOW });
    const single = await importRepository(singleSource(a3), { trustDir: other.trustDir, now: NOW });
    expect(single.files).toEqual(Object.keys(entryA.fileHashes).sort());
    expect(single.fileHashes).toEqual(entryA.fileHashes);
  }, 120_000);
});
