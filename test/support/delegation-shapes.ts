/**
 * Delegation graphs of hostile shapes, built as real signed TUF repositories (review-12 H2 and its variant,
 * review-13b H1): the meetsPolicy tests, the signature-work tests and the inspect tests verify the same inputs.
 */
import { sign as nodeSign } from 'node:crypto';
import type { JsonObject } from '../../src/json/types.js';
import type { RepositoryFiles } from '../../src/tuf/repository.js';
import { makeKey, type TestKey } from './keys.js';
import { buildRepo, FAR, keysTable, metaEntry, parseBytes, sign, targetsSigned } from './repo.js';

/** The H2 shape, small: targets → r; r delegates X (S keys) and p1…pP; each p_i delegates X again. */
export async function reverifyShape(P: number, S: number, otherKeyPerParent: boolean): Promise<{ trustedRoot: Uint8Array; files: RepositoryFiles }> {
  const r = await buildRepo('tuf');
  const [kr, kp] = await Promise.all([makeKey('tuf', 'ed25519'), makeKey('tuf', 'ed25519')]);
  const kx = await Promise.all(Array.from({ length: S }, () => makeKey('tuf', 'ed25519')));
  const extra = await Promise.all(Array.from({ length: otherKeyPerParent ? P : 0 }, () => makeKey('tuf', 'ed25519')));
  const xRole = (keyids: string[]): JsonObject => ({ name: 'X', keyids, threshold: 1, terminating: false, paths: ['*'] });
  const pNames = Array.from({ length: P }, (_, i) => `p${i}`);
  const withDelegations = (keys: TestKey[] | JsonObject, roles: JsonObject[]): JsonObject => ({
    ...targetsSigned('tuf', 1, {}),
    delegations: { keys: Array.isArray(keys) ? keysTable(keys) : keys, roles },
  });
  const role = (name: string, keys: TestKey[]): JsonObject => ({ name, keyids: keys.map((k) => k.keyId), threshold: 1, terminating: false, paths: ['*'] });
  const targets = await sign('tuf', withDelegations([kr], [role('r', [kr])]), r.keys.targets);
  const delegated = new Map<string, Uint8Array>();
  delegated.set('r', await sign('tuf', withDelegations([...kx, kp], [xRole(kx.map((k) => k.keyId)), ...pNames.map((n) => role(n, [kp]))]), [kr]));
  // X: signed by every kx, and (otherKeyPerParent) a signature under key ID E that each p_i lists with a key of its own.
  const x = parseBytes(await sign('tuf', targetsSigned('tuf', 1, {}), kx));
  const e = extra[0];
  if (e) (x.signatures as JsonObject[]).push({ keyid: e.keyId, sig: 'ab'.repeat(64) });
  delegated.set('X', new TextEncoder().encode(JSON.stringify(x)));
  for (const [i, n] of pNames.entries()) {
    const table: JsonObject = keysTable(kx);
    if (e) table[e.keyId] = extra[i]!.json;
    delegated.set(n, await sign('tuf', withDelegations(table, [xRole([...kx.map((k) => k.keyId), ...(e ? [e.keyId] : [])])]), [kp]));
  }
  return { trustedRoot: r.roots[0]!, files: await completed(r, targets, delegated) };
}

/** Snapshot and timestamp over `targets` and the delegated files, signed by `r`'s keys: a complete repository. */
export async function completed(r: Awaited<ReturnType<typeof buildRepo>>, targets: Uint8Array, delegated: Map<string, Uint8Array>): Promise<RepositoryFiles> {
  const meta: JsonObject = { 'targets.json': metaEntry('tuf', targets, 1) };
  for (const [name, bytes] of delegated) meta[`${name}.json`] = metaEntry('tuf', bytes, 1);
  const common = { version: 1, expires: FAR, spec_version: '1.0.31' };
  const snapshot = await sign('tuf', { _type: 'snapshot', ...common, meta }, r.keys.snapshot);
  const timestamp = await sign('tuf', { _type: 'timestamp', ...common, meta: { 'snapshot.json': metaEntry('tuf', snapshot, 1) } }, r.keys.timestamp);
  return { versionedRoots: new Map(), root: r.roots[0]!, targets, snapshot, timestamp, delegated };
}

/**
 * Review-13b H1, small: targets delegates `a` to K keys (threshold 1), and a.json carries K signatures, one
 * under each key ID, each a real Ed25519 signature over another message: every one is a check that hashes
 * the whole file and fails. `pad` bytes of target custom data make the file larger.
 */
export async function manyKeysShape(K: number, pad = 0): Promise<{ trustedRoot: Uint8Array; files: RepositoryFiles }> {
  const r = await buildRepo('tuf');
  const kx = await Promise.all(Array.from({ length: K }, () => makeKey('tuf', 'ed25519')));
  const role = { name: 'a', keyids: kx.map((k) => k.keyId), threshold: 1, terminating: false, paths: ['*'] };
  const targets = await sign('tuf', { ...targetsSigned('tuf', 1, {}), delegations: { keys: keysTable(kx), roles: [role] } }, r.keys.targets);
  const junk = Buffer.from(nodeSign(null, Buffer.from('another message'), kx[0]!.privateKey)).toString('hex');
  const signed: JsonObject = { ...targetsSigned('tuf', 1, {}), targets: { f: { length: 1, hashes: { sha256: '00'.repeat(32) }, custom: { pad: 'A'.repeat(pad) } } } };
  const a = new TextEncoder().encode(JSON.stringify({ signatures: kx.map((k) => ({ keyid: k.keyId, sig: junk })), signed }));
  return { trustedRoot: r.roots[0]!, files: await completed(r, targets, new Map([['a', a]])) };
}

/**
 * A name delegated at two levels, each with its own key: targets delegates `a` (key A) and `c` (key C1),
 * and `a` delegates `c` again (key C2); c.json is signed by C1 and C2. The verification walks breadth
 * first and verifies c under targets (then checks it meets a's delegation too); inspect's view walks depth
 * first and shows c under a.
 */
export async function twoLevelShape(): Promise<{ trustedRoot: Uint8Array; files: RepositoryFiles; keys: { a: TestKey; c1: TestKey; c2: TestKey } }> {
  const r = await buildRepo('tuf');
  const [a, c1, c2] = await Promise.all([makeKey('tuf', 'ed25519'), makeKey('tuf', 'ed25519'), makeKey('tuf', 'ed25519')]);
  const role = (name: string, key: TestKey): JsonObject => ({ name, keyids: [key.keyId], threshold: 1, terminating: false, paths: ['*'] });
  const delegating = (keys: TestKey[], roles: JsonObject[]): JsonObject => ({ ...targetsSigned('tuf', 1, {}), delegations: { keys: keysTable(keys), roles } });
  const targets = await sign('tuf', delegating([a, c1], [role('a', a), role('c', c1)]), r.keys.targets);
  const delegated = new Map<string, Uint8Array>([
    ['a', await sign('tuf', delegating([c2], [role('c', c2)]), [a])],
    ['c', await sign('tuf', targetsSigned('tuf', 1, {}), [c1, c2])],
  ]);
  return { trustedRoot: r.roots[0]!, files: await completed(r, targets, delegated), keys: { a, c1, c2 } };
}
