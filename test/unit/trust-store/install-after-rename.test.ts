/**
 * A failure after the swap's rename (src/io/trust-dir.ts closeSwap: the parent folder's fsync, removing the
 * folder the new one replaced) leaves the NEW tree installed: recovery finishes the swap rather than undoing
 * it. It must not be reported as "nothing was installed": it is IMPORT_INSTALLED_CLEANUP_FAILED, naming what
 * is left beside the folder. A failure before the rename is still the plain fault, the old tree in place.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet } from '../../../src/bundle/set.js';
import { isCeremonyError } from '../../../src/errors.js';
import { nodeTrustDirFs, swapTrustDir, type TrustDirFs } from '../../../src/io/trust-dir.js';
import { bundleImportSource } from '../../../src/trust-store/bundle-source.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { importRepositorySet } from '../../../src/trust-store/install-set.js';
import { faultyTrustDirFs } from '../../support/fs-faults.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';
import { bundleContent } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const NOW = new Date();
const enc = new TextEncoder();
const gun = (i: number): string => `registry.example.com/org/after-${i}`;

/**
 * Faults after the rename only: `eacces-previous` makes every removal of the set-aside folder fail (as a
 * read-only folder inside it would), `eio-fsync` the first fsync of the parent folder after the rename.
 */
type Fault = 'eacces-previous' | 'eio-fsync';
function faulted(fault: Fault): { fs: TrustDirFs; onStep: (s: string) => void } {
  let renamed = false;
  let fired = false;
  const fs = faultyTrustDirFs(nodeTrustDirFs(), (op, path) => {
    if (fault === 'eacces-previous' && op === 'removeTree' && path.includes('tuf-ceremony-previous')) return 'EACCES';
    if (fault === 'eio-fsync' && renamed && !fired && op === 'fsyncDir') {
      fired = true;
      return 'EIO';
    }
    return undefined;
  });
  return { fs, onStep: (s) => void (s === 'swap:rename-new' && (renamed = true)) };
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: isCeremonyError(err) ? err.code : `not a CeremonyError: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, message: (err as Error).message };
  }
  return { code: 'no error', message: '' };
}

const ours = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('tuf-ceremony'));

describe('a failure after the swap’s rename: the new tree IS installed, and said so', () => {
  for (const concurrency of [1, 4]) {
    for (const fault of ['eacces-previous', 'eio-fsync'] as const) {
      it(`swapTrustDir (concurrency ${concurrency}), ${fault}`, async () => {
        const home = tmp('tufc-after-rename-');
        const target = join(home, 'tuf');
        mkdirSync(join(target, 'a'), { recursive: true });
        writeFileSync(join(target, 'a', 'old.json'), 'old');
        const { fs, onStep } = faulted(fault);
        const err = await errorOf(swapTrustDir(target, new Map([['a/new.json', enc.encode('new')]]), { fs, onStep, concurrency }));
        expect(err.code).toBe('IMPORT_INSTALLED_CLEANUP_FAILED');
        expect(err.message).toContain(`${target} IS installed`);
        // The tree the message describes: the new one.
        expect(readdirSync(join(target, 'a'))).toEqual(['new.json']);
        if (fault === 'eacces-previous') {
          // Still unremovable: the set-aside folder (with the old tree) and the journal are left, and named.
          const left = ours(home).sort();
          expect(left).toHaveLength(2);
          for (const name of left) expect(err.message).toContain(join(home, name));
          expect(err.message).toContain('EACCES');
          const previous = left.find((n) => n.includes('previous'))!;
          expect(readFileSync(join(home, previous, 'a', 'old.json'), 'utf8')).toBe('old');
        } else {
          // The retry (recovery) finished the swap: nothing left, the error still reported.
          expect(ours(home)).toEqual([]);
          expect(err.message).toMatch(/EIO.*nothing is left beside it/);
        }
      });
    }
  }

  it('a failure before the rename is the plain fault, the old tree in place', async () => {
    const home = tmp('tufc-after-rename-');
    const target = join(home, 'tuf');
    mkdirSync(join(target, 'a'), { recursive: true });
    writeFileSync(join(target, 'a', 'old.json'), 'old');
    const fs = faultyTrustDirFs(nodeTrustDirFs(), (op, path) => (op === 'rename' && path.includes('staging') ? 'EACCES' : undefined));
    const err = await errorOf(swapTrustDir(target, new Map([['a/new.json', enc.encode('new')]]), { fs, concurrency: 4 }));
    expect(err.code).toBe('not a CeremonyError: EACCES');
    expect(readdirSync(join(target, 'a'))).toEqual(['old.json']);
    expect(ours(home)).toEqual([]);
  });

  describe('through the imports: not "Nothing was installed"', () => {
    let repos: BuiltRepo[];
    let pins: Map<string, string>;
    beforeAll(async () => {
      repos = [await buildRepo('notary', { gun: gun(0) }), await buildRepo('notary', { gun: gun(1) })];
      pins = new Map(repos.map((r, i) => [gun(i), createHash('sha256').update(r.roots[0]!).digest('hex')]));
    }, 120_000);

    it('a single import over an installed repository, EACCES removing the folder it replaced', async () => {
      const trustDir = tmp('tufc-after-rename-one-');
      const source = () => bundleImportSource(encodeBundle(bundleContent(repos[0]!, gun(0))), 'one');
      await importRepository(source(), { trustDir, now: NOW, rootFingerprint: pins.get(gun(0))! });
      const { fs, onStep } = faulted('eacces-previous');
      const err = await errorOf(importRepository(source(), { trustDir, now: NOW, rootFingerprint: pins.get(gun(0))!, trustDirFs: fs, onStep }));
      expect(err.code).toBe('IMPORT_INSTALLED_CLEANUP_FAILED');
      expect(err.message).not.toMatch(/Nothing was installed/);
      const folder = join(trustDir, 'tuf', ...gun(0).split('/'), 'metadata');
      // Installed: the new tree's imports.log has both imports' lines.
      expect(readFileSync(join(folder, 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(2);
      expect(ours(dirname(folder))).toHaveLength(2);
    }, 120_000);

    it('a set import, EIO on the parent folder’s fsync after the rename', async () => {
      const trustDir = tmp('tufc-after-rename-set-');
      const set = decodeRepositorySet(encodeRepositorySet([encodeBundle(bundleContent(repos[0]!, gun(0))), encodeBundle(bundleContent(repos[1]!, gun(1)))], { name: 'two', created: NOW }));
      await importRepositorySet(set, { trustDir, pins, now: NOW });
      const { fs, onStep } = faulted('eio-fsync');
      const err = await errorOf(importRepositorySet(set, { trustDir, pins, now: NOW, trustDirFs: fs, onStep }));
      expect(err.code).toBe('IMPORT_INSTALLED_CLEANUP_FAILED');
      expect(err.message).not.toMatch(/Nothing was installed/);
      for (let i = 0; i < 2; i++) expect(readFileSync(join(trustDir, 'tuf', ...gun(i).split('/'), 'metadata', 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(2);
      expect(ours(trustDir)).toEqual([]);
    }, 120_000);
  });
});
