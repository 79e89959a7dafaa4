/**
 * Which key inventory a command uses (src/io/inventory-file.ts findInventory: --inventory, else
 * TUF_CEREMONY_INVENTORY, else a ceremony output folder's state/key-inventory.json; nothing else is looked
 * for), and updates that never overwrite another writer's (INVENTORY_CHANGED).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyInventory, inventoryBytes, parseInventory } from '../../../src/ceremony/inventory.js';
import { findInventory, inventoryLockPath, readInventoryForUpdate, writeInventoryUpdate } from '../../../src/io/inventory-file.js';
import { isCeremonyError } from '../../../src/errors.js';
import { nodeLockFs } from '../../../src/io/lock-file.js';
import { deadPid, hereLockFields } from '../../support/lock-owner.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const T0 = new Date('2026-12-01T00:00:00Z');
const T1 = new Date('2026-12-02T00:00:00Z');

/**
 * A lock file's bytes as the lock writes them (src/trust-store/lock.ts), by default this host's, boot's and
 * PID namespace's (a start of 1 tick: no process of this boot has it); `undefined` leaves a field out.
 */
function lockOf(o: { pid: number; host?: string; started?: string | undefined; ns?: string | undefined; token?: string }): string {
  const here = hereLockFields();
  const v: Record<string, unknown> = { created: T0.toISOString(), host: o.host ?? here.host, ns: 'ns' in o ? o.ns : here.ns, pid: o.pid, started: 'started' in o ? o.started : here.started, token: o.token ?? 'theirs' };
  return `${JSON.stringify(v)}\n`;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isCeremonyError(err) ? err.code : String(err);
  }
  return 'no error';
}

/** A folder laid out as a multi-repository ceremony writes it: metadata/<name>/, state/ (with the inventory). */
function ceremonyOut(): string {
  const out = tmp('tufc-inv-find-');
  mkdirSync(join(out, 'metadata'));
  mkdirSync(join(out, 'state'));
  mkdirSync(join(out, 'metadata', 'app-1'), { recursive: true });
  writeFileSync(join(out, 'state', 'key-inventory.json'), inventoryBytes(emptyInventory(T0)));
  return out;
}

describe('findInventory', () => {
  it('takes --inventory first, then the environment variable, then the ceremony output folder', async () => {
    const out = ceremonyOut();
    const named = join(out, 'named.json');
    const fromEnv = join(out, 'env.json');
    writeFileSync(fromEnv, inventoryBytes(emptyInventory(T0)));
    const env = { TUF_CEREMONY_INVENTORY: fromEnv };
    const state = join(out, 'state', 'key-inventory.json');
    const cases: [string, Parameters<typeof findInventory>[0], { path: string; source: string } | undefined][] = [
      ['--inventory wins over everything', { option: named, env, ceremonyDir: out }, { path: named, source: 'option' }],
      ['the environment over the folder', { env, ceremonyDir: out }, { path: fromEnv, source: 'environment' }],
      ['the ceremony output folder', { env: {}, ceremonyDir: out }, { path: state, source: 'ceremony-output' }],
      ['its metadata/ folder stands for it', { env: {}, ceremonyDir: join(out, 'metadata') }, { path: state, source: 'ceremony-output' }],
      ['a repository folder of a multi-repository ceremony stands for it', { env: {}, ceremonyDir: join(out, 'metadata', 'app-1') }, { path: state, source: 'ceremony-output' }],
      ['an empty variable is unset', { env: { TUF_CEREMONY_INVENTORY: '' }, ceremonyDir: out }, { path: state, source: 'ceremony-output' }],
      ['nothing given: none', { env: {} }, undefined],
    ];
    for (const [what, args, expected] of cases) expect(await findInventory(args), what).toEqual(expected);
  });

  it('looks nowhere else: a folder that is not a ceremony output, or a parent of one, has none', async () => {
    const plain = tmp('tufc-inv-plain-');
    // key-inventory.json at the top of a folder no ceremony wrote (no state/, no transcript or state file).
    writeFileSync(join(plain, 'key-inventory.json'), inventoryBytes(emptyInventory(T0)));
    mkdirSync(join(plain, 'metadata'));
    expect(await findInventory({ env: {}, ceremonyDir: plain })).toBeUndefined();
    expect(await findInventory({ env: {}, ceremonyDir: join(plain, 'metadata') })).toBeUndefined();
    // An older ceremony folder (everything at its top, marked by its transcript): its top-level inventory.
    writeFileSync(join(plain, 'transcript.jsonl'), '');
    expect(await findInventory({ env: {}, ceremonyDir: plain })).toEqual({ path: join(plain, 'key-inventory.json'), source: 'ceremony-output' });
    const parent = join(ceremonyOut(), '..');
    expect(await findInventory({ env: {}, ceremonyDir: parent })).toBeUndefined();
  });

  it('a variable naming a missing file is refused, never replaced by another inventory', async () => {
    const out = ceremonyOut();
    expect(await codeOf(findInventory({ env: { TUF_CEREMONY_INVENTORY: join(out, 'gone.json') }, ceremonyDir: out }))).toBe('FILE_NOT_FOUND');
  });
});

describe('inventory updates', () => {
  it('writes when the file still holds what was read; creates a missing one only when allowed', async () => {
    const dir = tmp('tufc-inv-upd-');
    const path = join(dir, 'key-inventory.json');
    expect(await codeOf(readInventoryForUpdate(path, { now: T0 }))).toBe('FILE_NOT_FOUND');
    const created = await readInventoryForUpdate(path, { now: T0, create: true });
    expect(created.sha256).toBeNull();
    await writeInventoryUpdate(created, created.inventory);
    expect(parseInventory(readFileSync(path))).toEqual(emptyInventory(T0));
    const read = await readInventoryForUpdate(path, { now: T1 });
    read.inventory.updated = T1.toISOString();
    await writeInventoryUpdate(read, read.inventory);
    expect(parseInventory(readFileSync(path)).updated).toBe(T1.toISOString());
  });

  it('refuses (INVENTORY_CHANGED) when another writer changed, created or removed it meanwhile; its file is kept', async () => {
    const dir = tmp('tufc-inv-race-');
    const path = join(dir, 'key-inventory.json');
    const theirs = inventoryBytes(emptyInventory(T1));
    const cases: [string, () => void, (() => void) | undefined][] = [
      ['changed', () => writeFileSync(path, theirs), () => writeFileSync(path, inventoryBytes(emptyInventory(T0)))],
      ['removed', () => rmSync(path), () => writeFileSync(path, inventoryBytes(emptyInventory(T0)))],
      ['created', () => writeFileSync(path, theirs), () => rmSync(path, { force: true })],
    ];
    for (const [what, meanwhile, setup] of cases) {
      setup?.();
      const read = await readInventoryForUpdate(path, { now: T0, create: true });
      meanwhile();
      const before = (() => {
        try {
          return readFileSync(path);
        } catch {
          return undefined;
        }
      })();
      const mine = structuredClone(read.inventory);
      mine.updated = '2030-01-01T00:00:00.000Z';
      let message = '';
      try {
        await writeInventoryUpdate(read, mine, ' (root version 2 was written)');
      } catch (err) {
        expect(isCeremonyError(err, 'INVENTORY_CHANGED'), what).toBe(true);
        message = (err as Error).message;
      }
      expect(message, what).toContain(`was ${what} by another writer since it was read (root version 2 was written)`);
      const after = (() => {
        try {
          return readFileSync(path);
        } catch {
          return undefined;
        }
      })();
      expect(after === undefined ? undefined : Buffer.from(after).toString('hex'), what).toBe(before === undefined ? undefined : Buffer.from(before).toString('hex'));
    }
  });

  it('updates that read the same bytes and write at once: one is written, every other is INVENTORY_CHANGED (review a2 L3)', async () => {
    // Without the inventory's lock, every update passes the compare before any renames, and the last rename wins.
    const dir = tmp('tufc-inv-cas-');
    const path = join(dir, 'key-inventory.json');
    writeFileSync(path, inventoryBytes(emptyInventory(T0)));
    const reads = await Promise.all(Array.from({ length: 6 }, () => readInventoryForUpdate(path, { now: T0 })));
    const results = await Promise.allSettled(
      reads.map((read, i) => {
        const mine = structuredClone(read.inventory);
        mine.updated = new Date(Date.UTC(2030, 0, 1 + i)).toISOString();
        return writeInventoryUpdate(read, mine);
      }),
    );
    const written = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(written).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(isCeremonyError(r.reason, 'INVENTORY_CHANGED')).toBe(true);
    expect(parseInventory(readFileSync(path)).updated).toBe(new Date(Date.UTC(2030, 0, 1 + written[0]!)).toISOString());
    expect(existsSync(inventoryLockPath(path))).toBe(false);
  });

  it('a lock this host cannot prove stale is refused (INVENTORY_LOCKED / INVENTORY_LOCK_STALE): nothing written, the lock kept', async () => {
    const dir = tmp('tufc-inv-lock-');
    const path = join(dir, 'key-inventory.json');
    const lockPath = inventoryLockPath(path);
    const original = inventoryBytes(emptyInventory(T0));
    writeFileSync(path, original);
    const fs = nodeLockFs();
    const myStart = await fs.processStart!(process.pid);
    expect(myStart).toMatch(/^[0-9a-f-]{36}:\d+$/);
    const dead = deadPid();
    // Each case: the lock's bytes (and a guard beside it), the code, and what its message must name.
    const cases: [string, string, string | undefined, 'INVENTORY_LOCKED' | 'INVENTORY_LOCK_STALE', string[]][] = [
      ['a live writer (this process, its start recorded)', lockOf({ pid: process.pid, started: myStart }), undefined, 'INVENTORY_LOCKED', [lockPath, `process ${process.pid}`]],
      ['a live pid, no start or namespace recorded (an older lock): cannot be checked', lockOf({ pid: process.pid, started: undefined, ns: undefined }), undefined, 'INVENTORY_LOCK_STALE', [lockPath, `process ${process.pid} on ${hostname()}`, 'another container or PID namespace']],
      ['a dead pid, no start or namespace recorded (an older lock): cannot be checked', lockOf({ pid: dead, started: undefined, ns: undefined }), undefined, 'INVENTORY_LOCK_STALE', [lockPath, `process ${dead} on ${hostname()}`, 'another container or PID namespace']],
      ['a dead pid in another PID namespace of this host: never taken over', lockOf({ pid: dead, ns: 'pid:[1]' }), undefined, 'INVENTORY_LOCK_STALE', [lockPath, `process ${dead} on ${hostname()}`, 'another container or PID namespace']],
      ['a dead pid under another boot id: never taken over', lockOf({ pid: dead, started: '00000000-0000-0000-0000-000000000000:1' }), undefined, 'INVENTORY_LOCK_STALE', [lockPath, 'another container or PID namespace']],
      ['another host, its pid gone here: cannot be checked', lockOf({ pid: dead, host: 'site-b.example' }), undefined, 'INVENTORY_LOCK_STALE', [lockPath, `process ${dead} on site-b.example`, 'running on site-b.example, delete']],
      ['unreadable', '{"pid":', undefined, 'INVENTORY_LOCK_STALE', [lockPath, 'does not say which process', `delete ${lockPath}`]],
      ['stale, but a dead taker left its guard', lockOf({ pid: dead }), lockOf({ pid: dead, token: 'guard' }), 'INVENTORY_LOCK_STALE', [`${lockPath}.removing`, `process ${dead} on ${hostname()}`, `delete ${lockPath}.removing`]],
      ['stale, while a live taker holds the guard: the guard is named', lockOf({ pid: dead }), lockOf({ pid: process.pid, started: myStart, token: 'guard' }), 'INVENTORY_LOCKED', [lockPath, `${lockPath}.removing`, `process ${process.pid}`]],
      ['stale, and a dead taker left its guard whose pid now runs another process', lockOf({ pid: dead }), lockOf({ pid: process.pid, token: 'guard' }), 'INVENTORY_LOCK_STALE', [`${lockPath}.removing`, `process ${process.pid} on ${hostname()}`, `delete ${lockPath}.removing`]],
    ];
    for (const [what, lock, guard, code, named] of cases) {
      writeFileSync(lockPath, lock);
      if (guard) writeFileSync(`${lockPath}.removing`, guard);
      else rmSync(`${lockPath}.removing`, { force: true });
      const read = await readInventoryForUpdate(path, { now: T0 });
      const mine = structuredClone(read.inventory);
      mine.updated = T1.toISOString();
      let message = '';
      try {
        await writeInventoryUpdate(read, mine, ' (root version 2 was written)', { lockWaitMs: 0 });
      } catch (err) {
        expect(isCeremonyError(err, code), `${what}: ${String(err)}`).toBe(true);
        message = (err as Error).message;
      }
      for (const n of named) expect(message, what).toContain(n);
      expect(message, what).toContain('(root version 2 was written)');
      expect(Buffer.from(readFileSync(path)).equals(Buffer.from(original)), what).toBe(true);
      expect(readFileSync(lockPath, 'utf8'), what).toBe(lock);
      if (guard) expect(readFileSync(`${lockPath}.removing`, 'utf8'), what).toBe(guard);
    }
    // Once the lock is gone, the same update goes through and leaves no lock behind.
    rmSync(lockPath);
    rmSync(`${lockPath}.removing`);
    const read = await readInventoryForUpdate(path, { now: T0 });
    read.inventory.updated = T1.toISOString();
    expect(await writeInventoryUpdate(read, read.inventory, '', { lockWaitMs: 0 })).toEqual({});
    expect(parseInventory(readFileSync(path)).updated).toBe(T1.toISOString());
    expect(existsSync(lockPath)).toBe(false);
  });

  it('a lock a dead process of this host left (its pid gone, or reused by a later process) is taken over, and the update says so', async () => {
    const fs = nodeLockFs();
    const myStart = (await fs.processStart!(process.pid))!;
    const dead = deadPid();
    const cases: [string, string, number][] = [
      ['the pid is gone (a real child process that exited)', lockOf({ pid: dead }), dead],
      ['the pid now runs another process (this one, started at another time)', lockOf({ pid: process.pid, started: `${myStart.split(':')[0]}:1` }), process.pid],
    ];
    for (const [what, lock, pid] of cases) {
      const dir = tmp('tufc-inv-break-');
      const path = join(dir, 'key-inventory.json');
      writeFileSync(path, inventoryBytes(emptyInventory(T0)));
      writeFileSync(inventoryLockPath(path), lock);
      const read = await readInventoryForUpdate(path, { now: T0 });
      read.inventory.updated = T1.toISOString();
      const done = await writeInventoryUpdate(read, read.inventory, '', { lockWaitMs: 0 });
      expect(done.brokeStaleLock, what).toBe(`took over the key inventory's lock ${inventoryLockPath(path)}, left by process ${pid} on ${hostname()}, taken at ${T0.toISOString()}, which is no longer running`);
      expect(parseInventory(readFileSync(path)).updated, what).toBe(T1.toISOString());
      // Ours released, the guard gone: nothing left beside the inventory.
      expect(readdirSync(dir), what).toEqual(['key-inventory.json']);
    }
  });

  it('a take-over that moved a new live lock aside and could not put it back is INVENTORY_LOCKED naming that file; nothing written', async () => {
    const base = nodeLockFs();
    const myStart = (await base.processStart!(process.pid))!;
    const dir = tmp('tufc-inv-displaced-');
    const path = join(dir, 'key-inventory.json');
    const lockPath = inventoryLockPath(path);
    const original = inventoryBytes(emptyInventory(T0));
    writeFileSync(path, original);
    writeFileSync(lockPath, lockOf({ pid: deadPid() }));
    const second = lockOf({ pid: process.pid, started: myStart, token: 'second' });
    const third = lockOf({ pid: process.pid, started: myStart, token: 'third' });
    let aside = '';
    const fs = {
      ...base,
      // A person deletes the stale lock and another command takes it just before the rename; a third
      // takes it just before the put-back.
      moveAside: async (p: string, a: string) => {
        aside = a;
        rmSync(p);
        writeFileSync(p, second);
        return base.moveAside(p, a);
      },
      putBack: async (a: string, p: string) => {
        writeFileSync(p, third);
        return base.putBack(a, p);
      },
    };
    const read = await readInventoryForUpdate(path, { now: T0 });
    read.inventory.updated = T1.toISOString();
    const after = ' (import it again with --inventory to record it)';
    const err = await writeInventoryUpdate(read, read.inventory, after, { lockWaitMs: 0, lockFs: fs }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCeremonyError(err, 'INVENTORY_LOCKED'), String(err)).toBe(true);
    expect((err as Error).message).toContain(`moved aside to ${aside}`);
    // The caller's words come before the lock's, whose last words are the file to delete (review-gaps6 L3).
    expect((err as Error).message).toContain(`was not changed${after}: `);
    expect((err as Error).message.endsWith(`delete ${aside} (at ${aside})`), (err as Error).message).toBe(true);
    expect((err as { path?: string }).path).toBe(aside);
    expect(aside.startsWith(`${lockPath}.stale-`)).toBe(true);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(original))).toBe(true);
    expect(readFileSync(lockPath, 'utf8')).toBe(third);
    expect(readFileSync(aside, 'utf8')).toBe(second);
  });

  it('a release that moved another command\'s live lock aside and could not put it back says the inventory was written, naming that file (review-gaps6 M1)', async () => {
    const base = nodeLockFs();
    const myStart = (await base.processStart!(process.pid))!;
    const dir = tmp('tufc-inv-release-');
    const path = join(dir, 'key-inventory.json');
    const lockPath = inventoryLockPath(path);
    writeFileSync(path, inventoryBytes(emptyInventory(T0)));
    const second = lockOf({ pid: process.pid, started: myStart, token: 'second' });
    const third = lockOf({ pid: process.pid, started: myStart, token: 'third' });
    let aside = '';
    const fs = {
      ...base,
      // Our release read its own lock; then a person deletes it and another command takes the name just
      // before the rename, and a third takes it just before the put-back.
      moveAside: async (p: string, a: string) => {
        aside = a;
        rmSync(p);
        writeFileSync(p, second);
        return base.moveAside(p, a);
      },
      putBack: async (a: string, p: string) => {
        writeFileSync(p, third);
        return base.putBack(a, p);
      },
    };
    const read = await readInventoryForUpdate(path, { now: T0 });
    read.inventory.updated = T1.toISOString();
    const after = ' (import it again with --inventory to record it)';
    const err = await writeInventoryUpdate(read, read.inventory, after, { lockWaitMs: 0, lockFs: fs }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCeremonyError(err, 'INVENTORY_LOCKED'), String(err)).toBe(true);
    expect((err as Error).message).toContain(`was written${after}, but releasing its lock: `);
    expect((err as Error).message.endsWith(`delete ${aside} (at ${aside})`), (err as Error).message).toBe(true);
    expect(parseInventory(readFileSync(path)).updated).toBe(T1.toISOString());
    expect(readFileSync(lockPath, 'utf8')).toBe(third);
    expect(readFileSync(aside, 'utf8')).toBe(second);
  });

  it('many updates meeting one stale lock at once: one takes it over and writes, every other is INVENTORY_CHANGED', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = tmp('tufc-inv-break-race-');
      const path = join(dir, 'key-inventory.json');
      writeFileSync(path, inventoryBytes(emptyInventory(T0)));
      writeFileSync(inventoryLockPath(path), lockOf({ pid: deadPid() }));
      const reads = await Promise.all(Array.from({ length: 6 }, () => readInventoryForUpdate(path, { now: T0 })));
      const results = await Promise.allSettled(
        reads.map((read, i) => {
          const mine = structuredClone(read.inventory);
          mine.updated = new Date(Date.UTC(2030, 0, 1 + i)).toISOString();
          return writeInventoryUpdate(read, mine);
        }),
      );
      const written = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(written, `round ${round}`).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isCeremonyError(r.reason, 'INVENTORY_CHANGED'), String(r.reason)).toBe(true);
      expect(parseInventory(readFileSync(path)).updated).toBe(new Date(Date.UTC(2030, 0, 1 + written[0]!)).toISOString());
      expect(readdirSync(dir)).toEqual(['key-inventory.json']);
    }
  });
});
