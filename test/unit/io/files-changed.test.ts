/**
 * Review B F4: readFileCapped refuses a file that does not give, when read, the number of bytes its size
 * said (FILE_CHANGED) — before, it returned the bytes read (a prefix, or size + 1 bytes) as the whole
 * file. The change between fstat and the first read is made deterministic by wrapping the fs calls
 * src/io/files.ts uses (readSync, and FileHandle.read from node:fs/promises open) so that the test's
 * change happens right before the first read; /proc/self/status is a real file whose size reads 0.
 */
import { appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDirs } from '../../support/temp-dirs.js';

const tempDir = tempDirs();

/** Run once, right before the next read of the file under test (then cleared). */
const beforeRead: { fn: ((fd?: number) => void) | undefined } = vi.hoisted(() => ({ fn: undefined }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readSync = ((fd: number, ...rest: unknown[]) => {
    const fn = beforeRead.fn;
    beforeRead.fn = undefined;
    fn?.(fd);
    return (fs.readSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.readSync;
  return { ...fs, default: { ...fs, readSync }, readSync };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>();
  const open = (async (...args: Parameters<typeof fsp.open>) => {
    const handle = await fsp.open(...args);
    const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
    return Object.assign(Object.create(handle) as typeof handle, {
      stat: handle.stat.bind(handle),
      close: handle.close.bind(handle),
      read: (...a: unknown[]) => {
        const fn = beforeRead.fn;
        beforeRead.fn = undefined;
        fn?.(handle.fd);
        return read(...a);
      },
    });
  }) as typeof fsp.open;
  return { ...fsp, default: { ...fsp, open }, open };
});

const { readFileCapped } = await import('../../../src/io/files.js');

const MIB = 1 << 20;
const tmp = () => tempDir('tufc-io-changed-');

afterEach(() => {
  beforeRead.fn = undefined;
});

describe('readFileCapped refuses a file whose size changed between fstat and read (FILE_CHANGED)', () => {
  it.each<[string, number, (path: string) => (fd?: number) => void]>([
    ['a small file (sync path) cut short', 1000, (path) => () => truncateSync(path, 10)],
    ['a small file (sync path) that grew, still under the cap', 1000, (path) => () => appendFileSync(path, 'more')],
    ['a large file (async path) cut short', 2 * MIB, (path) => () => truncateSync(path, MIB + 10)],
    ['a large file (async path) that grew, still under the cap', 2 * MIB, (path) => () => appendFileSync(path, 'more')],
  ])('%s → FILE_CHANGED', async (_name, size, change) => {
    const path = join(tmp(), 'f.bin');
    writeFileSync(path, new Uint8Array(size).fill(0x61));
    // Unchanged, the same file reads whole: the refusal below is the change, not the file.
    expect((await readFileCapped(path, 4 * MIB)).length).toBe(size);
    beforeRead.fn = change(path);
    await expect(readFileCapped(path, 4 * MIB)).rejects.toMatchObject({ code: 'FILE_CHANGED' });
    expect(beforeRead.fn).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('a file whose size reads 0 but has bytes (/proc/self/status) → FILE_CHANGED, not its first byte', async () => {
    await expect(readFileCapped('/proc/self/status', 100_000)).rejects.toMatchObject({ code: 'FILE_CHANGED' });
  });
});
