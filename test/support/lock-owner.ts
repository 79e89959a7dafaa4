/**
 * Lock contents for tests that plant a lock by hand (src/trust-store/lock.ts): a lock judged "gone" must be
 * written under this boot id and in this PID namespace (ownerState), as a real lock of this host records.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { lockIdentity, nodeLockFs } from '../../src/io/lock-file.js';

/** `{host, ns, started}` of a lock taken by `pid` in this process's boot and PID namespace (`ticks`: its start). */
export function hereLockFields(ticks = '1'): { host: string; ns?: string; started?: string } {
  const id = lockIdentity();
  return {
    host: hostname(),
    ...(id?.pidNamespace !== undefined ? { ns: id.pidNamespace } : {}),
    ...(id?.bootId !== undefined ? { started: `${id.bootId}:${ticks}` } : {}),
  };
}

/** `{host, ns, started}` of a lock this (running) process holds, as the lock itself records them. */
export async function liveLockFields(): Promise<{ host: string; ns?: string; started?: string }> {
  const started = await nodeLockFs().processStart!(process.pid);
  return { ...hereLockFields(), ...(started !== undefined ? { started } : {}) };
}

/** A pid that certainly ran on this host and is gone now (a child that exited): a lock of it is provably stale. */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  if (r.status !== 0 || r.pid === undefined) throw new Error(`could not run a short-lived process: ${String(r.error ?? r.status)}`);
  return r.pid;
}
