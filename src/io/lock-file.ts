/**
 * The node side of src/trust-store/lock.ts: exclusive create, capped read, remove, and "is that process
 * still there" by signal 0.
 *
 * Exclusive create is link(2) of a complete temporary file (written and fsynced first): the link fails with
 * EEXIST when the lock exists — the file system's own atomic test-and-set — and a lock, once visible, always
 * holds its owner. (O_CREAT | O_EXCL then write would show an empty lock to a concurrent reader, which it
 * must then call stale, and would leave an empty lock behind if the write failed.)
 *
 * A process's start identity (LockFs.processStart) is Linux's boot id with the process's start time in clock
 * ticks since boot (proc(5), /proc/<pid>/stat field 22): a pid reused by a later process, or after a reboot,
 * gives another value. Elsewhere there is none, and the lock falls back on signal 0 alone.
 *
 * Linux's pids are per PID namespace (a container, `unshare -p`, Flatpak's sandbox): the same pid names
 * another process, or none, in another namespace on the same host, same host name and boot id. So the lock
 * records the namespace (readlink /proc/self/ns/pid, "pid:[inode]") and the reader only looks a pid up
 * when boot id and namespace are its own (LockFs.identity; src/trust-store/lock.ts ownerState).
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, readFileSync, readlinkSync } from 'node:fs';
import { link, lstat, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { CeremonyError, isCeremonyError } from '../errors.js';
import type { LockFs } from '../trust-store/lock.js';
import { readFileCapped } from './files.js';

/** The first line of a /proc file or link target, or undefined when it cannot be read. */
function procRead(read: () => string, shape: RegExp): string | undefined {
  try {
    const v = read().trim();
    return shape.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** This process's boot id and PID namespace (Linux only; see the file comment). */
export function lockIdentity(): LockFs['identity'] {
  if (process.platform !== 'linux') return undefined;
  return {
    bootId: procRead(() => readFileSync('/proc/sys/kernel/random/boot_id', 'latin1'), /^[0-9a-f-]{36}$/),
    pidNamespace: procRead(() => readlinkSync('/proc/self/ns/pid'), /^pid:\[\d+\]$/),
  };
}

export function nodeLockFs(): LockFs {
  const identity = lockIdentity();
  return {
    ...(identity ? { identity } : {}),
    async createExclusive(path, data) {
      const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
      const handle = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0), 0o644);
      try {
        try {
          await handle.writeFile(data);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await link(tmp, path);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
    },
    async read(path, maxBytes) {
      try {
        return await readFileCapped(path, maxBytes);
      } catch (err) {
        // readFileCapped reports a missing file as FILE_NOT_FOUND with the errno as its cause.
        const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
        if (cause?.code === 'ENOENT') return undefined;
        // A FIFO, device or socket planted at the lock's name: refused without opening it (opening a FIFO
        // for reading would wait forever for a writer), and never removed: it is not a lock this tool wrote.
        if (isCeremonyError(err, 'NOT_A_REGULAR_FILE')) {
          throw new CeremonyError('NOT_A_REGULAR_FILE', `the import lock ${path} is not a regular file (a FIFO, device or socket put there by something else): no import can run while it is there; remove it by hand once you know what made it`, { path, cause: err });
        }
        throw err;
      }
    },
    async remove(path) {
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async moveAside(path, aside) {
      try {
        await rename(path, aside);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
    },
    async putBack(aside, path) {
      try {
        await link(aside, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
      // Back in place: the aside name is only a second link to it now (absent already: a person cleaning up).
      await unlink(aside).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      return true;
    },
    processAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        // EPERM: it exists but belongs to another user.
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
    async processStart(pid) {
      if (process.platform !== 'linux' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const start = fields[22 - 3];
        const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'latin1')).trim();
        if (!start || !/^\d+$/.test(start) || !/^[0-9a-f-]{36}$/.test(boot)) return undefined;
        return `${boot}:${start}`;
      } catch {
        return undefined;
      }
    },
    async listAside(path) {
      const prefix = `${basename(path)}.stale-`;
      const dir = dirname(path);
      return (await readdir(dir)).filter((n) => n.startsWith(prefix)).map((n) => join(dir, n));
    },
    async modifiedAt(path) {
      try {
        return (await lstat(path)).mtime;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    pid: process.pid,
    hostname: hostname(),
    now: () => new Date(),
    sleep: (ms) => new Promise((ok) => setTimeout(ok, ms)),
    randomToken: () => randomBytes(16).toString('hex'),
  };
}
