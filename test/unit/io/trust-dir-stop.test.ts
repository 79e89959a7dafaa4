/**
 * A staged swap (src/io/trust-dir.ts beginTrustDirSwap) stops at its first failure (review-setimp L4): no
 * write or folder fsync starts after it, and the rollback (the staging folder and journal removed) runs
 * only once every call in flight is done — never under them — leaving the trust folder byte for byte as
 * it was. Before, the folder fsyncs ran in `Promise.all` batches: one failing let the rollback start while
 * the rest of its batch was still running, and a write waiting for its folder's mkdir started after another
 * write had failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { beginTrustDirSwap, nodeTrustDirFs, type TrustDirFs } from '../../../src/io/trust-dir.js';
import { forEachBounded } from '../../../src/io/bounded.js';
import { errno } from '../../support/fs-faults.js';
import { treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A trust folder with an installed tree, and the file system recording what runs when. */
function site() {
  const home = tmp('tufc-swap-stop-');
  const target = join(home, 'tuf');
  mkdirSync(join(target, 'old'), { recursive: true });
  writeFileSync(join(target, 'old', 'root.json'), 'old');
  return { home, target, before: treeHash(home) };
}

/**
 * `base` with every call counted in flight; `fail(op, path)` (once true) makes that call throw EIO at once,
 * every other staging call waits `delayMs` first. Wrong orders are recorded, not thrown.
 */
function watched(base: TrustDirFs, fail: (op: string, path: string) => boolean, delayMs: (op: string, path: string) => number) {
  const wrong: string[] = [];
  let inFlight = 0;
  let failing = false;
  let failedAt: string | undefined;
  const wrap =
    <A extends unknown[], R>(op: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const path = String(a[0]);
      if (failedAt !== undefined && (op === 'writeNew' || op === 'fsyncDir' || op === 'mkdirp') && path.includes('tuf-ceremony-staging-')) wrong.push(`${op} ${path} started after ${failedAt} failed`);
      if ((op === 'removeTree' || op === 'rename' || op === 'removeFile') && inFlight > 0) wrong.push(`${op} ${path} with ${inFlight} call(s) in flight`);
      inFlight++;
      try {
        if (!failing && fail(op, path)) {
          failing = true;
          // Failed a moment after it started: the calls started beside it are legitimately in flight.
          await later(1);
          failedAt = `${op} ${path}`;
          throw errno('EIO', path, op);
        }
        await later(delayMs(op, path));
        return await fn(...a);
      } finally {
        inFlight--;
      }
    };
  const fs: TrustDirFs = {
    ...base,
    mkdirp: wrap('mkdirp', base.mkdirp),
    writeNew: wrap('writeNew', base.writeNew),
    fsyncDir: wrap('fsyncDir', base.fsyncDir),
    removeTree: wrap('removeTree', base.removeTree),
    rename: wrap('rename', base.rename),
    removeFile: wrap('removeFile', base.removeFile),
  };
  return { fs, wrong, failed: () => failedAt };
}

const files = (n: number) => Array.from({ length: n }, (_, i) => [`g${i}/metadata/root.json`, new TextEncoder().encode(`${i}`)] as const);

describe('staged swap: the first failure stops it, and the rollback waits for the calls in flight', () => {
  it('a folder fsync fails while others run: none starts after it, the rollback waits for the rest, the tree is as it was', async () => {
    const s = site();
    // The first folder fsync fails at once; the others take 30 ms.
    const w = watched(nodeTrustDirFs(), (op, p) => op === 'fsyncDir' && p.includes('tuf-ceremony-staging-'), (op, p) => (op === 'fsyncDir' && p.includes('tuf-ceremony-staging-') ? 30 : 0));
    const swap = await beginTrustDirSwap(s.target, { fs: w.fs, concurrency: 4 });
    for (const [name, bytes] of files(12)) swap.write(name, bytes);
    await expect(swap.commit()).rejects.toMatchObject({ code: 'EIO' });
    expect(w.failed()).toMatch(/^fsyncDir /);
    expect(w.wrong).toEqual([]);
    expect(treeHash(s.home)).toBe(s.before);
  });

  it('a write fails while another waits for its folder: that write never starts; abort and commit roll back after the calls in flight', async () => {
    for (const end of ['commit', 'abort'] as const) {
      const s = site();
      // g0's file fails at once; every other folder's mkdir takes 30 ms, so its write comes after the failure.
      const w = watched(nodeTrustDirFs(), (op, p) => op === 'writeNew' && p.includes('/g0/'), (op, p) => (op === 'mkdirp' && !p.includes('/g0/') ? 30 : 0));
      const swap = await beginTrustDirSwap(s.target, { fs: w.fs, concurrency: 4 });
      for (const [name, bytes] of files(8)) swap.write(name, bytes);
      for (let t = 0; t < 200 && w.failed() === undefined; t++) await later(5);
      expect(w.failed(), end).toMatch(/^writeNew .*\/g0\//);
      if (end === 'commit') await expect(swap.commit()).rejects.toMatchObject({ code: 'EIO' });
      else await swap.abort();
      expect(w.wrong.filter((x) => x.startsWith('writeNew') || !x.includes('started after')), end).toEqual([]);
      expect(treeHash(s.home), end).toBe(s.before);
    }
  });
});

describe('forEachBounded', () => {
  it('at most `limit` at once, in order; after the first failure nothing starts, and it settles after those in flight', async () => {
    const started: number[] = [];
    const ended: number[] = [];
    let running = 0;
    let most = 0;
    const outcome = forEachBounded([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, async (i) => {
      started.push(i);
      most = Math.max(most, ++running);
      await later(i === 4 ? 1 : 20);
      running--;
      ended.push(i);
      if (i === 4) throw new Error('four');
    });
    await expect(outcome).rejects.toThrow('four');
    expect(most).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    // Settled only after every started call: 3 and 5 were in flight when 4 failed.
    expect([...ended].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(running).toBe(0);
    await forEachBounded([], 4, () => Promise.reject(new Error('never called')));
  });
});
