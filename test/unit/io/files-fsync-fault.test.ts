/**
 * Review-12b L5: an fsync that fails during a group write (src/io/files.ts writeNewFilesInFolders) is
 * reported for the folder (or file) whose fsync failed — an fsync's error carries no path, and before, the
 * pass's first folder was named whichever failed. The fault is injected by wrapping the node:fs calls
 * files.ts uses: openSync records which path each descriptor is, fsync fails (ENOSPC) for the chosen one.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDirs } from '../../support/temp-dirs.js';

const tempDir = tempDirs();

/** The path whose fsync fails (once), and what each open descriptor is. */
const fault: { failing: ((path: string) => boolean) | undefined; paths: Map<number, string> } = vi.hoisted(() => ({ failing: undefined, paths: new Map() }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const openSync = ((path: string, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...a: unknown[]) => number)(path, ...rest);
    fault.paths.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync;
  const fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    const path = fault.paths.get(fd);
    if (path !== undefined && fault.failing?.(path)) {
      fault.failing = undefined;
      const err = Object.assign(new Error('ENOSPC: no space left on device, fsync'), { code: 'ENOSPC', errno: -28, syscall: 'fsync' });
      setImmediate(() => cb(err));
      return;
    }
    fs.fsync(fd, cb);
  }) as typeof fs.fsync;
  return { ...fs, default: { ...fs, openSync, fsync }, openSync, fsync };
});

const { writeNewFilesInFolders } = await import('../../../src/io/files.js');

afterEach(() => {
  fault.failing = undefined;
  fault.paths.clear();
});

const enc = (s: string) => new TextEncoder().encode(s);
const rank = (name: string) => ({ 'root.json': 0, 'targets.json': 1 })[name] ?? 0;

function group(base: string, n: number) {
  mkdirSync(join(base, 'metadata'));
  return Array.from({ length: n }, (_, i) => ({ dir: join(base, 'metadata', `r${i}`), files: ['root.json', 'targets.json'].map((name) => ({ name, bytes: enc(`${i}:${name}`) })) }));
}

describe('an fsync failure in a group write names what failed (review-12b L5)', () => {
  it.each([0, 2, 4])('the folder fsync of folder %i of 5 fails: DISK_FULL naming that folder, no temporary file left', async (k) => {
    const folders = group(tempDir('tufc-io-fsync-'), 5);
    const failing = folders[k]!.dir;
    fault.failing = (p) => p === failing;
    const err = (await writeNewFilesInFolders(folders, { rank }).catch((e: unknown) => e)) as { code?: string; path?: string; message?: string };
    expect(err).toMatchObject({ code: 'DISK_FULL', path: failing });
    expect(err.message).toContain(failing);
    for (const f of folders) expect(readdirSync(f.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('the fsync of one file\'s bytes fails: that file named, in its folder, no temporary file left', async () => {
    const folders = group(tempDir('tufc-io-fsync-'), 3);
    fault.failing = (p) => p.startsWith(join(folders[1]!.dir, '.targets.json.'));
    const err = (await writeNewFilesInFolders(folders, { rank }).catch((e: unknown) => e)) as { code?: string; path?: string; message?: string };
    expect(err).toMatchObject({ code: 'DISK_FULL' });
    expect(err.path).toMatch(/\/metadata\/r1\/\.targets\.json\.[0-9a-f]{12}\.tmp$/);
    expect(err.message).toContain(`in ${folders[1]!.dir}`);
    for (const f of folders) expect(readdirSync(f.dir)).toEqual([]);
  });
});
