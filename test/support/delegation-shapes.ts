/**
 * Delegation graphs of hostile shapes, built as real signed TUF repositories (review-12 H2 and its variant):
 * the meetsPolicy tests and the signature-work tests verify the same inputs.
 */
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
  const meta: JsonObject = { 'targets.json': metaEntry('tuf', targets, 1) };
  for (const [name, bytes] of delegated) meta[`${name}.json`] = metaEntry('tuf', bytes, 1);
  const common = { version: 1, expires: FAR, spec_version: '1.0.31' };
  const snapshot = await sign('tuf', { _type: 'snapshot', ...common, meta }, r.keys.snapshot);
  const timestamp = await sign('tuf', { _type: 'timestamp', ...common, meta: { 'snapshot.json': metaEntry('tuf', snapshot, 1) } }, r.keys.timestamp);
  return { trustedRoot: r.roots[0]!, files: { versionedRoots: new Map(), root: r.roots[0]!, targets, snapshot, timestamp, delegated } };
}
