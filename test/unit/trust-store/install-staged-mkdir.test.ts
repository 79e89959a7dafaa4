/**
 * A staged swap (src/io/trust-dir.ts beginTrustDirSwap) makes a file's folder in the file's write slot:
 * at most `concurrency` mkdirs and writes at once (review-setimp L3; before, every write() started its
 * folder's mkdir at once, outside the slots). abort() and a failed commit() remove the staging folder; a
 * mkdir still running after that would make the staging folder again, under a name no journal records, so
 * nothing would ever remove it. Both therefore wait for every mkdir started. Here every mkdir but the first
 * is held until abort()/commit() has had every chance to finish without them, then released.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { beginTrustDirSwap, nodeTrustDirFs, type TrustDirFs } from '../../../src/io/trust-dir.js';
import { errno } from '../../support/fs-faults.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

/** Every name under `dir`, relative, folders ending in `/`. */
function walk(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? [`${r}/`, ...walk(dir, r)] : [r];
  });
}

describe('staged swap: mkdirs run in the write slots', () => {
  it('20 files in 20 new folders, 4 slots: never more than 4 mkdirs and writes at once, every file and folder made', async () => {
    const home = tmp('tufc-staged-mkdir-');
    const target = join(home, 'tuf');
    const base = nodeTrustDirFs();
    let inFlight = 0;
    let most = 0;
    let mkdirs = 0;
    const slow =
      <A extends unknown[]>(fn: (...a: A) => Promise<void>, count = false) =>
      async (...a: A): Promise<void> => {
        if (!String(a[0]).includes('tuf-ceremony-staging')) return fn(...a);
        if (count) mkdirs++;
        most = Math.max(most, ++inFlight);
        try {
          await new Promise((r) => setTimeout(r, 2));
          await fn(...a);
        } finally {
          inFlight--;
        }
      };
    const fs: TrustDirFs = { ...base, mkdirp: slow(base.mkdirp, true), writeNew: slow(base.writeNew) };
    const swap = await beginTrustDirSwap(target, { fs, concurrency: 4 });
    for (let i = 0; i < 20; i++) swap.write(`g${i}/x/metadata/root.json`, new TextEncoder().encode(`${i}`));
    // Started at once: only the first four slots' mkdirs (before: all twenty).
    expect(mkdirs).toBe(4);
    await swap.commit();
    expect(most).toBeLessThanOrEqual(4);
    expect(mkdirs).toBe(20);
    expect(walk(home).filter((n) => n.endsWith('root.json'))).toHaveLength(20);
  });
});

describe('staged swap: no mkdir outlives abort() or a failed commit()', () => {
  for (const end of ['abort', 'commit after a failed write'] as const) {
    it(`${end}: the held mkdirs, released afterwards, leave no staging folder`, async () => {
      const home = tmp('tufc-staged-mkdir-');
      const target = join(home, 'tuf');
      mkdirSync(join(target, 'old'), { recursive: true });
      writeFileSync(join(target, 'old', 'root.json'), 'old');
      const before = walk(home);

      const base = nodeTrustDirFs();
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let journalRemoved!: () => void;
      const recovered = new Promise<void>((r) => (journalRemoved = r));
      let mkdirs = 0;
      let held = 0;
      const fs: TrustDirFs = {
        ...base,
        // The staging folder itself is made by mkdir; the first mkdirp (the folders of the first write) runs at once.
        mkdirp: async (p) => {
          if (p.includes('tuf-ceremony-staging') && mkdirs++ > 0) {
            held++;
            await released;
          }
          return base.mkdirp(p);
        },
        writeNew: async (p, b) => {
          if (end !== 'abort') throw errno('ENOSPC', p, 'write');
          return base.writeNew(p, b);
        },
        removeFile: async (p) => {
          await base.removeFile(p);
          if (p.endsWith('tuf-ceremony-swap')) journalRemoved();
        },
      };
      const swap = await beginTrustDirSwap(target, { fs, concurrency: 4 });
      for (let i = 0; i < 20; i++) swap.write(`g${i}/x/metadata/root.json`, new TextEncoder().encode(`${i}`));
      // The first four slots: the first mkdir runs, the next three are held; the rest wait for a slot.
      expect(held).toBe(3);

      const ended = end === 'abort' ? swap.abort() : swap.commit().then(
          () => 'no error',
          (err: unknown) => (err as NodeJS.ErrnoException).code,
        );
      // Let abort()/commit() run as far as it can without the held mkdirs: it removes the journal last.
      // (Waiting correctly, it cannot get there before the release; the bounded wait only ends that case.)
      await Promise.race([recovered, new Promise((r) => setTimeout(r, 1_000))]);
      release();
      const result = await ended;
      if (end !== 'abort') expect(result).toBe('ENOSPC');
      // Every held mkdir has run by now (ended waits for them); one more turn for any stragglers' callbacks.
      await new Promise((r) => setTimeout(r, 50));
      expect(walk(home).filter((n) => n.includes('tuf-ceremony'))).toEqual([]);
      expect(walk(home)).toEqual(before);
    });
  }
});
