/**
 * File-system faults for tests (issue #12 point 10): injected at a single call of the trust directory's
 * or the import lock's file system, and — where this machine allows it (root with CAP_SYS_ADMIN /
 * CAP_LINUX_IMMUTABLE) — real ones: a read-only bind mount (EROFS), an immutable folder (EPERM even for
 * root, who bypasses permission bits), a tiny tmpfs (ENOSPC). Every mount or flag is undone in `finally`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrustDirFs } from '../../src/io/trust-dir.js';
import type { LockFs } from '../../src/trust-store/lock.js';

/** An error as node's fs throws it. */
export function errno(code: string, path: string, syscall = 'open'): NodeJS.ErrnoException {
  const e = new Error(`${code}: simulated, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = path;
  e.syscall = syscall;
  return e;
}

export type TrustDirOp = keyof TrustDirFs;

/** `base` with `fault(op, path)` consulted before every call: an errno code there makes that call throw it. */
export function faultyTrustDirFs(base: TrustDirFs, fault: (op: TrustDirOp, path: string) => string | undefined): TrustDirFs {
  const wrapped = {} as Record<TrustDirOp, unknown>;
  for (const op of Object.keys(base) as TrustDirOp[]) {
    const fn = base[op] as (...args: unknown[]) => Promise<unknown>;
    wrapped[op] = async (...args: unknown[]) => {
      const code = fault(op, String(args[0]));
      if (code) throw errno(code, String(args[0]), op);
      return fn(...args);
    };
  }
  return wrapped as unknown as TrustDirFs;
}

/** The lock's file system with its exclusive create failing with `code` (the first write an import makes). */
export function faultyLockFs(base: LockFs, code: string): LockFs {
  return {
    ...base,
    createExclusive: async (path) => {
      throw errno(code, `${path}.0123456789abcdef.tmp`);
    },
  };
}

function run(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

let mountable: boolean | undefined;
/** Whether this process may bind-mount and mount tmpfs (tried once on a scratch folder). */
export function canMount(): boolean {
  if (mountable !== undefined) return mountable;
  const d = mkdtempSync(join(tmpdir(), 'tufc-mount-probe-'));
  mountable = process.getuid?.() === 0 && run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d]);
  if (mountable) run('umount', [d]);
  rmSync(d, { recursive: true, force: true });
  return mountable;
}

let chattrOk: boolean | undefined;
/** Whether `chattr +i` works here (CAP_LINUX_IMMUTABLE and a file system that supports it). */
export function canChattr(dir: string): boolean {
  if (chattrOk !== undefined) return chattrOk;
  const d = mkdtempSync(join(dir, 'chattr-probe-'));
  chattrOk = run('chattr', ['+i', d]);
  if (chattrOk) run('chattr', ['-i', d]);
  rmSync(d, { recursive: true, force: true });
  return chattrOk;
}

/** Run `fn` while `dir` is bind-mounted read-only over itself. */
export async function withReadOnly<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  if (!run('mount', ['--bind', dir, dir])) throw new Error('bind mount failed');
  try {
    if (!run('mount', ['-o', 'remount,bind,ro', dir])) throw new Error('read-only remount failed');
    return await fn();
  } finally {
    if (!run('umount', [dir])) run('umount', ['-l', dir]);
  }
}

/** Run `fn` while `dir` is immutable (chattr +i: no entry may be added, removed or renamed in it, even by root). */
export async function withImmutable<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  if (!run('chattr', ['+i', dir])) throw new Error('chattr +i failed');
  try {
    return await fn();
  } finally {
    run('chattr', ['-i', dir]);
  }
}

/**
 * Mount a 64 KiB tmpfs at `dir` (made if missing), let `prepare` fill it, then fill what is left but
 * `freeKiB` KiB and run `fn`; unmounted afterwards.
 */
export async function withSmallTmpfs<T>(dir: string, prepare: () => Promise<void>, freeKiB: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  if (!run('mount', ['-t', 'tmpfs', '-o', 'size=256k,nr_inodes=200', 'tmpfs', dir])) throw new Error('tmpfs mount failed');
  try {
    await prepare();
    // Fill page by page until the file system says no, then give back `freeKiB`.
    const filler: string[] = [];
    for (let i = 0; i < 256; i++) {
      const p = join(dir, `.filler-${i}`);
      try {
        writeFileSync(p, Buffer.alloc(4096));
        filler.push(p);
      } catch {
        rmSync(p, { force: true });
        break;
      }
    }
    for (let i = 0; i < Math.ceil(freeKiB / 4); i++) rmSync(filler.pop()!, { force: true });
    return await fn();
  } finally {
    if (!run('umount', [dir])) run('umount', ['-l', dir]);
  }
}
