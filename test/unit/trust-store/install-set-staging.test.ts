/**
 * A set import writes each repository's files into the staging folder as soon as that repository is
 * verified (src/io/trust-dir.ts beginTrustDirSwap), so the disk works while the next one is verified. The
 * guarantees stay those of one swap: a refusal after some files were staged, a failed write, or a kill
 * at any step leaves the trust directory exactly as it was (or, after the swap's rename, exactly the
 * new set) once recovered — never some repositories updated and others not.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet, type DecodedRepositorySet } from '../../../src/bundle/set.js';
import { isCeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { nodeTrustDirFs, recoverTrustDir } from '../../../src/io/trust-dir.js';
import { bundleImportSource } from '../../../src/trust-store/bundle-source.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { importRepositorySet } from '../../../src/trust-store/install-set.js';
import { faultyTrustDirFs } from '../../support/fs-faults.js';
import { buildRepo, parseBytes, type BuiltRepo } from '../../support/repo.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const NOW = new Date();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const gun = (i: number): string => `registry.example.com/org/app-${i}`;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isCeremonyError(err) ? err.code : `not a CeremonyError: ${String(err)}`;
  }
  return 'no error';
}

describe('set import (notary): files staged while the set is verified', () => {
  let repos: BuiltRepo[];
  let pins: Map<string, string>;
  let good: DecodedRepositorySet;
  let withBad: DecodedRepositorySet;

  beforeAll(async () => {
    repos = [];
    for (let i = 0; i < 5; i++) repos.push(await buildRepo('notary', { gun: gun(i) }));
    const singles = repos.map((r, i) => encodeBundle(bundleContent(r, gun(i))));
    pins = new Map(repos.map((r, i) => [gun(i), sha(r.roots[0]!)]));
    good = decodeRepositorySet(encodeRepositorySet(singles.slice(0, 4), { name: 'four', created: NOW }));
    // Repository 4 of 4 with a targets signature that does not verify: found only after three were staged.
    const bad = await buildRepo('notary', { gun: gun(3) });
    const targets = parseBytes(bad.targets);
    const sig = (targets.signatures as JsonObject[])[0]!;
    const raw = Buffer.from(sig.sig as string, 'base64');
    raw[10] = raw[10]! ^ 1;
    sig.sig = raw.toString('base64');
    await bad.relink({ targets: new TextEncoder().encode(JSON.stringify(targets)) });
    pins.set(`bad ${gun(3)}`, sha(bad.roots[0]!));
    withBad = decodeRepositorySet(encodeRepositorySet([...singles.slice(0, 3), encodeBundle(bundleContent(bad, gun(3)))], { name: 'four', created: NOW }));
  }, 120_000);

  /** A trust directory holding repository 4 (not in the sets) and repository 0 at an earlier import. */
  async function site(): Promise<{ trustDir: string; home: string }> {
    const home = tmp('tufc-set-stage-');
    const trustDir = join(home, 'trust');
    mkdirSync(trustDir);
    const first = decodeRepositorySet(encodeRepositorySet([encodeBundle(bundleContent(repos[4]!, gun(4))), encodeBundle(bundleContent(repos[0]!, gun(0)))], { name: 'two', created: NOW }));
    await importRepositorySet(first, { trustDir, pins, now: NOW });
    return { trustDir, home };
  }

  const badPins = (): Map<string, string> => new Map([...pins, [gun(3), pins.get(`bad ${gun(3)}`)!]]);

  it('a repository refused after others were staged: its code, nothing left (no journal, no staging folder)', async () => {
    const { trustDir, home } = await site();
    const before = treeHash(home);
    const staged: string[] = [];
    const base = nodeTrustDirFs();
    // Staging calls started (a folder's mkdir, a file's write): a write still waiting for its folder when the
    // refusal comes never starts (review-setimp L4), so the files written may be none on a fast machine.
    const fs = { ...base, mkdirp: (p: string) => (staged.push(p), base.mkdirp(p)), writeNew: (p: string, b: Uint8Array) => (staged.push(p), base.writeNew(p, b)) };
    const code = await codeOf(importRepositorySet(withBad, { trustDir, pins: badPins(), now: NOW, trustDirFs: fs }));
    expect(code).toBe('THRESHOLD_NOT_MET');
    // The first repositories' files were being staged before the refusal (else this test would not test staging).
    expect(staged.filter((p) => p.includes('.tuf-ceremony-staging-')).length).toBeGreaterThan(0);
    expect(treeHash(home)).toBe(before);
    expect(readdirSync(trustDir).filter((n) => n.includes('tuf-ceremony'))).toEqual([]);
  }, 120_000);

  it('a failed write: DISK_FULL, the tree put back; with a refused repository as well, the refusal is reported', async () => {
    const { trustDir, home } = await site();
    const before = treeHash(home);
    let writes = 0;
    // The fifth file written fails (a full disk): staging stops, verification goes on.
    const full = faultyTrustDirFs(nodeTrustDirFs(), (op) => (op === 'writeNew' && ++writes === 5 ? 'ENOSPC' : undefined));
    expect(await codeOf(importRepositorySet(good, { trustDir, pins, now: NOW, trustDirFs: full }))).toBe('DISK_FULL');
    expect(treeHash(home)).toBe(before);
    writes = 0;
    expect(await codeOf(importRepositorySet(withBad, { trustDir, pins: badPins(), now: NOW, trustDirFs: full }))).toBe('THRESHOLD_NOT_MET');
    expect(treeHash(home)).toBe(before);
    // The journal itself cannot be written (a read-only folder): the refusal still comes first.
    const readOnly = faultyTrustDirFs(nodeTrustDirFs(), (op) => (op === 'createExclusive' ? 'EROFS' : undefined));
    expect(await codeOf(importRepositorySet(withBad, { trustDir, pins: badPins(), now: NOW, trustDirFs: readOnly }))).toBe('THRESHOLD_NOT_MET');
    expect(await codeOf(importRepositorySet(good, { trustDir, pins, now: NOW, trustDirFs: readOnly }))).toBe('READ_ONLY');
    expect(treeHash(home)).toBe(before);
    // And the set then imports whole.
    await importRepositorySet(good, { trustDir, pins, now: NOW });
    for (let i = 0; i < 4; i++) expect(existsSync(join(trustDir, 'tuf', ...gun(i).split('/'), 'metadata', 'root.json'))).toBe(true);
  }, 120_000);

  it('every folder of the staged tree is fsynced before the rename, the folders mkdir made on the way included; a failed folder fsync changes nothing', async () => {
    const { trustDir, home } = await site();
    const target = join(trustDir, 'tuf');
    const base = nodeTrustDirFs();
    const synced: string[] = [];
    let renamedAt = -1;
    const recording = {
      ...base,
      fsyncDir: async (path: string) => {
        synced.push(path);
        await base.fsyncDir(path);
      },
      rename: async (from: string, to: string) => {
        if (to === target && from.includes('.tuf-ceremony-staging-')) renamedAt = synced.length;
        await base.rename(from, to);
      },
    };
    await importRepositorySet(good, { trustDir, pins, now: NOW, trustDirFs: recording });
    expect(renamedAt).toBeGreaterThan(0);
    // Every folder of the installed tree (as the staging folder held it) was fsynced before the rename:
    // `registry.example.com`, `org`, `app-N` (made by mkdir on the way to `metadata`) as well as the
    // folders files were written in.
    const folders = (dir: string, rel: string): string[] =>
      readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .flatMap((e) => [`${rel}${e.name}`, ...folders(join(dir, e.name), `${rel}${e.name}/`)]);
    const installed = folders(target, '');
    expect(installed).toContain('registry.example.com/org/app-1');
    const stagedSyncs = new Set(synced.slice(0, renamedAt).filter((p) => p.includes('.tuf-ceremony-staging-')).map((p) => p.replace(/^.*\.tuf-ceremony-staging-[0-9a-f]{32}\/?/, '')));
    for (const f of ['', ...installed]) expect([f, stagedSyncs.has(f)]).toEqual([f, true]);

    // The fsync of a folder made on the way (`org`) fails: nothing is installed, the tree is as it was.
    const before = treeHash(home);
    const failing = faultyTrustDirFs(nodeTrustDirFs(), (op, path) => (op === 'fsyncDir' && path.includes('.tuf-ceremony-staging-') && path.endsWith('/org') ? 'ENOSPC' : undefined));
    const again = decodeRepositorySet(encodeRepositorySet([encodeBundle(bundleContent(repos[1]!, gun(1))), encodeBundle(bundleContent(repos[4]!, gun(4)))], { name: 'two', created: NOW }));
    expect(await codeOf(importRepositorySet(again, { trustDir, pins, now: NOW, trustDirFs: failing }))).toBe('DISK_FULL');
    expect(treeHash(home)).toBe(before);
    expect(readdirSync(trustDir).filter((n) => n.includes('tuf-ceremony'))).toEqual([]);
  }, 120_000);

  it('a folder fsync fails while the others run: none starts after it, the rollback waits for those in flight, the tree is as it was (review-setimp L4)', async () => {
    const { trustDir, home } = await site();
    const before = treeHash(home);
    const base = nodeTrustDirFs();
    const wrong: string[] = [];
    let inFlight = 0;
    let failing = false;
    let failed = false;
    const staged = (p: string) => p.includes('.tuf-ceremony-staging-');
    const fs = {
      ...base,
      fsyncDir: async (p: string) => {
        if (failed && staged(p)) wrong.push(`fsyncDir ${p} started after the failure`);
        inFlight++;
        try {
          // The first staging folder's fsync fails a moment after the others started; they take 30 ms.
          if (staged(p) && !failing) {
            failing = true;
            await new Promise((r) => setTimeout(r, 1));
            failed = true;
            throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC', path: p, syscall: 'fsync' });
          }
          if (staged(p)) await new Promise((r) => setTimeout(r, 30));
          return await base.fsyncDir(p);
        } finally {
          inFlight--;
        }
      },
      removeTree: async (p: string) => {
        if (inFlight > 0) wrong.push(`removeTree ${p} with ${inFlight} fsync(s) in flight`);
        return base.removeTree(p);
      },
    };
    expect(await codeOf(importRepositorySet(good, { trustDir, pins, now: NOW, trustDirFs: fs }))).toBe('DISK_FULL');
    expect(failed).toBe(true);
    expect(wrong).toEqual([]);
    expect(treeHash(home)).toBe(before);
    expect(readdirSync(trustDir).filter((n) => n.includes('tuf-ceremony'))).toEqual([]);
  }, 120_000);

  it('a single import of a repository in the set, interrupted: the set import settles it first, then installs the set', async () => {
    const { trustDir } = await site();
    const folder = join(trustDir, 'tuf', ...gun(0).split('/'), 'metadata');
    // Killed after its journal was written and its old folder set aside (no folder at its name).
    await expect(
      importRepository(bundleImportSource(encodeBundle(bundleContent(repos[0]!, gun(0))), 'one'), {
        trustDir,
        now: NOW,
        rootFingerprint: pins.get(gun(0))!,
        onStep: (s) => {
          if (s === 'keep:rename-old') throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(existsSync(folder)).toBe(false);
    expect(readdirSync(join(folder, '..')).some((n) => n.endsWith('.tuf-ceremony-swap'))).toBe(true);
    await importRepositorySet(good, { trustDir, pins, now: NOW });
    expect(readdirSync(join(folder, '..')).filter((n) => n.includes('tuf-ceremony'))).toEqual([]);
    // Settled back to its earlier import (one line), then the set's import added its line.
    expect(readFileSync(join(folder, 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(2);
    for (let i = 0; i < 4; i++) expect(existsSync(join(trustDir, 'tuf', ...gun(i).split('/'), 'metadata', 'root.json'))).toBe(true);
  }, 120_000);

  it('killed at any step: recovery gives the old set before the rename and the new set after it, never a mix', async () => {
    // Every step a set import takes, in order (one run without a kill).
    const ref = await site();
    const steps: string[] = [];
    await importRepositorySet(good, { trustDir: ref.trustDir, pins, now: NOW, onStep: (s) => void steps.push(s) });
    const newTree = treeHash(join(ref.trustDir, 'tuf'));
    expect(steps.filter((s) => !s.startsWith('stage:write '))).toEqual(['journal:create', 'stage:mkdir', 'stage:fsync', 'keep:rename-old', 'swap:rename-new', 'swap:fsync-parent', 'drop:remove-previous', 'drop:fsync-parent', 'journal:remove']);
    const writes = steps.filter((s) => s.startsWith('stage:write '));
    // Repository 4 comes through byte for byte, so it is written too: 5 repositories × 6 files (the four
    // top-level roles, one delegated role, imports.log).
    expect(writes).toHaveLength(30);
    const kills = [...steps.filter((s) => !s.startsWith('stage:write ')), writes[0]!, writes[15]!, writes[29]!];
    for (const kill of kills) {
      const { trustDir } = await site();
      const oldTree = treeHash(join(trustDir, 'tuf'));
      await expect(
        importRepositorySet(good, {
          trustDir,
          pins,
          now: NOW,
          onStep: (s) => {
            if (s === kill) throw new Error(`killed at ${kill}`);
          },
        }),
      ).rejects.toThrow(`killed at ${kill}`);
      await recoverTrustDir(join(trustDir, 'tuf'));
      const after = treeHash(join(trustDir, 'tuf'));
      const renamed = steps.indexOf(kill) >= steps.indexOf('swap:rename-new');
      expect([kill, after]).toEqual([kill, renamed ? newTree : oldTree]);
      expect(readdirSync(trustDir).filter((n) => n.includes('tuf-ceremony'))).toEqual([]);
    }
  }, 300_000);
});
