/**
 * nodeTrustDirFs (src/io/trust-dir.ts) creates files and folders and fsyncs on libuv's pool, writes and
 * closes on the calling thread (issue #17). What must not change with that: every new file is created exclusively, written whole (a short
 * write continued), fsynced and only then closed; every folder fsynced likewise; the descriptor closed
 * whatever fails; a failure rejected with node's error (its code and path). The calls are recorded through
 * the injected RawFileCalls around the real ones.
 */
import { closeSync, constants, fsync, mkdir, open, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeTrustDirFs, type RawFileCalls } from '../../../src/io/trust-dir.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

type Call = [string, ...unknown[]];

function recording(opts: { maxWrite?: number; failFsync?: string } = {}): { raw: RawFileCalls; calls: Call[] } {
  const calls: Call[] = [];
  const raw: RawFileCalls = {
    open: (path, flags, mode, cb) => {
      open(path, flags, mode, (err, fd) => {
        if (!err) calls.push(['open', path, flags, mode, fd]);
        cb(err, fd);
      });
    },
    openSync: (path, flags) => {
      const fd = openSync(path, flags);
      calls.push(['openSync', path, flags, fd]);
      return fd;
    },
    writeSync: (fd, bytes, offset, length) => {
      const n = writeSync(fd, bytes, offset, Math.min(length, opts.maxWrite ?? length));
      calls.push(['write', fd, offset, n]);
      return n;
    },
    fsync: (fd, cb) => {
      calls.push(['fsync', fd]);
      if (opts.failFsync) {
        const err = Object.assign(new Error(`${opts.failFsync}: fsync`), { code: opts.failFsync, syscall: 'fsync' });
        setImmediate(() => cb(err));
      } else fsync(fd, cb);
    },
    closeSync: (fd) => {
      calls.push(['close', fd]);
      closeSync(fd);
    },
    mkdirRecursive: (path, cb) => {
      calls.push(['mkdirp', path]);
      mkdir(path, { recursive: true }, (err) => cb(err));
    },
  };
  return { raw, calls };
}

const dir = () => tmp('tufc-trust-dir-calls-');

describe('nodeTrustDirFs: the same calls in the same order, fewer of them on the pool', () => {
  it('writeNew: exclusive create (links not followed), every byte written across short writes, fsync, then close', async () => {
    const { raw, calls } = recording({ maxWrite: 1000 });
    const path = join(dir(), 'root.json');
    const bytes = new Uint8Array(2500).map((_, i) => i % 251);
    await nodeTrustDirFs(raw).writeNew(path, bytes);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    const fd = calls[0]![4];
    expect(calls).toEqual([
      ['open', path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644, fd],
      ['write', fd, 0, 1000],
      ['write', fd, 1000, 1000],
      ['write', fd, 2000, 500],
      ['fsync', fd],
      ['close', fd],
    ]);
    expect(statSync(path).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('writeNew never replaces a name: EEXIST from the open, nothing written or closed', async () => {
    const { raw, calls } = recording();
    const path = join(dir(), 'root.json');
    await nodeTrustDirFs().writeNew(path, new TextEncoder().encode('old'));
    await expect(nodeTrustDirFs(raw).writeNew(path, new TextEncoder().encode('new'))).rejects.toMatchObject({ code: 'EEXIST', syscall: 'open', path });
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(calls).toEqual([]);
  });

  it('writeNew: a failed fsync is the rejection, and the file is still closed', async () => {
    const { raw, calls } = recording({ failFsync: 'EIO' });
    const path = join(dir(), 'targets.json');
    await expect(nodeTrustDirFs(raw).writeNew(path, new TextEncoder().encode('{}'))).rejects.toMatchObject({ code: 'EIO', syscall: 'fsync' });
    expect(calls.map((c) => c[0])).toEqual(['open', 'write', 'fsync', 'close']);
  });

  it('fsyncDir: open read-only, fsync, close (closed after a failed fsync too)', async () => {
    const d = dir();
    const ok = recording();
    await nodeTrustDirFs(ok.raw).fsyncDir(d);
    const fd = ok.calls[0]![3];
    expect(ok.calls).toEqual([
      ['openSync', d, constants.O_RDONLY, fd],
      ['fsync', fd],
      ['close', fd],
    ]);
    const bad = recording({ failFsync: 'EIO' });
    await expect(nodeTrustDirFs(bad.raw).fsyncDir(d)).rejects.toMatchObject({ code: 'EIO' });
    expect(bad.calls.map((c) => c[0])).toEqual(['openSync', 'fsync', 'close']);
  });

  it('fsyncDir and mkdirp fail as promises with node’s error, not by throwing', async () => {
    const d = dir();
    const fs = nodeTrustDirFs();
    const missing = join(d, 'absent');
    const p = fs.fsyncDir(missing);
    await expect(p).rejects.toMatchObject({ code: 'ENOENT', path: missing });
    await fs.writeNew(join(d, 'file'), new Uint8Array(1));
    await expect(fs.mkdirp(join(d, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    const { raw, calls } = recording();
    await nodeTrustDirFs(raw).mkdirp(join(d, 'a', 'b'));
    await nodeTrustDirFs(raw).mkdirp(join(d, 'a', 'b'));
    expect(calls).toEqual([
      ['mkdirp', join(d, 'a', 'b')],
      ['mkdirp', join(d, 'a', 'b')],
    ]);
    expect(statSync(join(d, 'a', 'b')).isDirectory()).toBe(true);
  });
});
