/**
 * The hostile inputs of the cost suite (bench/hostile.ts), one generator per case, each written as files
 * into a folder so the measured child process only reads them. Shapes are the ones that cost a parser
 * most per input byte: `[{},{},…]` (one object per 3 bytes), one object with millions of keys, one long
 * string, nesting, and — for the metadata families — a small, validly signed repository whose signed
 * referrers record the real lengths, with one file replaced by a bomb at the family's size cap.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBundle, bundleTime } from '../../src/bundle/format.js';
import type { JsonObject } from '../../src/json/types.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { common, makeKey, metaEntry, signed } from '../generate.js';
import { pngBomb } from './images.js';

const MB = 1024 * 1024;
const enc = new TextEncoder();

/** `[{},{},…]` of exactly `bytes` bytes (object-per-3-bytes: the most heap per input byte). */
export function objectsBomb(bytes: number): string {
  const n = Math.floor((bytes - 2) / 3);
  return `[${'{},'.repeat(n - 1)}{}]`.padEnd(bytes, ' ');
}

/** One object with as many short distinct keys as fit in `bytes`. */
export function keysBomb(bytes: number): string {
  const parts: string[] = [];
  let size = 2;
  for (let i = 0; size < bytes - 16; i++) {
    const k = `"${i.toString(36)}":0`;
    parts.push(k);
    size += k.length + 1;
  }
  return `{${parts.join(',')}}`.padEnd(bytes, ' ');
}

export function longStringBomb(bytes: number): string {
  return `"${'a'.repeat(bytes - 2)}"`;
}

export function nestingBomb(bytes: number): string {
  const half = Math.floor(bytes / 2);
  return `${'['.repeat(half)}${']'.repeat(half)}`;
}

/**
 * Valid, unsigned targets metadata that also holds `values` zeros in an unknown field (one value per two
 * bytes): each file passes its own caps, so only a budget shared across files bounds many of them.
 */
export function valuesTargets(values: number): string {
  const expires = formatExpires(new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000));
  return `{"signatures":[],"signed":{"_type":"targets","expires":"${expires}","spec_version":"1.0.31","targets":{},"version":1,"x":[${'0,'.repeat(values - 1)}0]}}`;
}

export function envelopeOf(signedText: string): string {
  return `{"signatures":[],"signed":${signedText}}`;
}

export interface SmallRepo {
  root: Uint8Array;
  timestamp: Uint8Array;
  snapshot: Uint8Array;
  targets: Uint8Array;
  delegated: Map<string, Uint8Array>;
}

/** A valid TUF repository (ed25519): root v1, targets delegating to `count` roles, snapshot, timestamp. */
export async function smallRepo(delegations = 0): Promise<SmallRepo> {
  const expires = formatExpires(new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000));
  const [r1, r2, t, s, ts, d] = [makeKey(), makeKey(), makeKey(), makeKey(), makeKey(), makeKey()];
  const keys: JsonObject = {};
  for (const k of [r1!, r2!, t!, s!, ts!]) keys[k.keyId] = k.json;
  const root = await signed(
    {
      ...common('root', 1, expires),
      consistent_snapshot: false,
      keys,
      roles: { root: { keyids: [r1!.keyId, r2!.keyId], threshold: 2 }, targets: { keyids: [t!.keyId], threshold: 1 }, snapshot: { keyids: [s!.keyId], threshold: 1 }, timestamp: { keyids: [ts!.keyId], threshold: 1 } },
    },
    [r1!, r2!],
  );
  const roles = Array.from({ length: delegations }, (_, i) => ({ name: `role${i}`, keyids: [d!.keyId], threshold: 1, terminating: false, paths: [`r${i}/*`] }));
  const targetsBody: JsonObject = { ...common('targets', 1, expires), targets: { 'app.tar.gz': { length: 6, hashes: { sha256: '00'.repeat(32) } } } };
  if (delegations) targetsBody.delegations = { keys: { [d!.keyId]: d!.json }, roles };
  const targets = await signed(targetsBody, [t!]);
  const delegated = new Map<string, Uint8Array>();
  const meta: JsonObject = { 'targets.json': metaEntry(targets, 1) };
  for (const role of roles) {
    const bytes = await signed({ ...common('targets', 1, expires), targets: {} }, [d!]);
    delegated.set(role.name, bytes);
    meta[`${role.name}.json`] = metaEntry(bytes, 1);
  }
  const snapshot = await signed({ ...common('snapshot', 1, expires), meta }, [s!]);
  const timestamp = await signed({ ...common('timestamp', 1, expires), meta: { 'snapshot.json': metaEntry(snapshot, 1) } }, [ts!]);
  return { root, timestamp, snapshot, targets, delegated };
}

/** Root, targets (delegating as `delegations` says), snapshot and timestamp around delegated files already signed. */
async function repoAround(delegations: JsonObject, delegated: Map<string, Uint8Array>): Promise<SmallRepo> {
  const expires = formatExpires(new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000));
  const [r, t, s, ts] = [makeKey(), makeKey(), makeKey(), makeKey()];
  const keys: JsonObject = {};
  for (const k of [r!, t!, s!, ts!]) keys[k.keyId] = k.json;
  const root = await signed(
    {
      ...common('root', 1, expires),
      consistent_snapshot: false,
      keys,
      roles: { root: { keyids: [r!.keyId], threshold: 1 }, targets: { keyids: [t!.keyId], threshold: 1 }, snapshot: { keyids: [s!.keyId], threshold: 1 }, timestamp: { keyids: [ts!.keyId], threshold: 1 } },
    },
    [r!],
  );
  const targets = await signed({ ...common('targets', 1, expires), targets: {}, delegations }, [t!]);
  const meta: JsonObject = { 'targets.json': metaEntry(targets, 1) };
  for (const [name, bytes] of delegated) meta[`${name}.json`] = metaEntry(bytes, 1);
  const snapshot = await signed({ ...common('snapshot', 1, expires), meta }, [s!]);
  const timestamp = await signed({ ...common('timestamp', 1, expires), meta: { 'snapshot.json': metaEntry(snapshot, 1) } }, [ts!]);
  return { root, timestamp, snapshot, targets, delegated };
}

const delegatedRole = (name: string, keyids: string[]): JsonObject => ({ name, keyids, threshold: 1, terminating: false, paths: ['*'] });

/**
 * Review-12 H1: targets → r; r.json delegates a0…a(n−1) (no files) and then r2; r2.json delegates
 * a0…a(n−1) again — n later delegations of names, each reached (through r2) without passing the name.
 * Before: one search of the whole graph per later entry (17 s at n = 8,000, 678 s at 16,000).
 */
export async function laterDelegationsRepo(n: number): Promise<SmallRepo> {
  const expires = formatExpires(new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000));
  const [kr, kr2, ka] = [makeKey(), makeKey(), makeKey()];
  const names = Array.from({ length: n }, (_, i) => `a${i}`);
  const r = await signed(
    { ...common('targets', 1, expires), targets: {}, delegations: { keys: { [ka!.keyId]: ka!.json, [kr2!.keyId]: kr2!.json }, roles: [...names.map((a) => delegatedRole(a, [ka!.keyId])), delegatedRole('r2', [kr2!.keyId])] } },
    [kr!],
  );
  const r2 = await signed({ ...common('targets', 1, expires), targets: {}, delegations: { keys: { [ka!.keyId]: ka!.json }, roles: names.map((a) => delegatedRole(a, [ka!.keyId])) } }, [kr2!]);
  return repoAround({ keys: { [kr!.keyId]: kr!.json }, roles: [delegatedRole('r', [kr!.keyId])] }, new Map([['r', r], ['r2', r2]]));
}

/**
 * Review-12 H2: targets → r; r.json delegates X and then p0…p(parents−1); each p_i.json (byte-identical)
 * delegates X again with the same key, so X verifies under every entry. X.json is one target whose
 * `custom` string makes the file `xBytes` long. Before: a full verification of X per later entry (50 s for
 * 800 entries and a 16 MB X through `verify`).
 *
 * `ownKeyPerParent` (the variant left after the H2 fix): X.json also carries a junk signature under key
 * ID E, and each p_i lists E with a key of its own — every entry a new (signature, key) pair, one check
 * over the whole of X each (18 s for 400 entries and a 16 MB X; about an hour at the caps), until the
 * verification's signature work limit (src/tuf/signature-work.ts) refuses it.
 */
export async function renamedFileRepo(parents: number, xBytes: number, ownKeyPerParent = false): Promise<SmallRepo> {
  const expires = formatExpires(new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000));
  const [kr, kp, kx] = [makeKey(), makeKey(), makeKey()];
  const pNames = Array.from({ length: parents }, (_, i) => `p${i}`);
  // Key ID E: any 64 hex digits; each parent's table maps it to another key.
  const e = ownKeyPerParent ? 'e'.repeat(64) : undefined;
  const x = delegatedRole('X', e ? [kx!.keyId, e] : [kx!.keyId]);
  const r = await signed(
    { ...common('targets', 1, expires), targets: {}, delegations: { keys: { [kx!.keyId]: kx!.json, [kp!.keyId]: kp!.json }, roles: [delegatedRole('X', [kx!.keyId]), ...pNames.map((p) => delegatedRole(p, [kp!.keyId]))] } },
    [kr!],
  );
  const parent = async (): Promise<Uint8Array> => {
    const keys: JsonObject = { [kx!.keyId]: kx!.json };
    if (e) keys[e] = makeKey().json;
    return signed({ ...common('targets', 1, expires), targets: {}, delegations: { keys, roles: [x] } }, [kp!]);
  };
  const body = { ...common('targets', 1, expires), targets: { f: { length: 1, hashes: { sha256: '00'.repeat(32) }, custom: '' } } };
  const withJunk = (bytes: Uint8Array): Uint8Array => {
    if (!e) return bytes;
    const env = JSON.parse(new TextDecoder().decode(bytes)) as { signatures: { keyid: string; sig: string }[] };
    env.signatures.push({ keyid: e, sig: 'ab'.repeat(64) });
    return enc.encode(JSON.stringify(env));
  };
  const overhead = withJunk(await signed(body, [kx!])).length;
  body.targets.f.custom = 'A'.repeat(Math.max(0, xBytes - overhead));
  const delegated = new Map<string, Uint8Array>([['r', r], ['X', withJunk(await signed(body, [kx!]))]]);
  const same = e ? undefined : await parent();
  for (const name of pNames) delegated.set(name, same ?? (await parent()));
  return repoAround({ keys: { [kr!.keyId]: kr!.json }, roles: [delegatedRole('r', [kr!.keyId])] }, delegated);
}

/** A trust bundle of `repo` with some files replaced, and the files named in `omit` left out. */
export function trustBundle(repo: SmallRepo, replace: Record<string, Uint8Array>, omit: readonly string[] = []): Uint8Array {
  const files = new Map<string, Uint8Array>([
    ['root.json', repo.root],
    ['1.root.json', repo.root],
    ['timestamp.json', repo.timestamp],
    ['snapshot.json', repo.snapshot],
    ['targets.json', repo.targets],
  ]);
  for (const [name, bytes] of repo.delegated) files.set(`${name}.json`, bytes);
  for (const [name, bytes] of Object.entries(replace)) files.set(name, bytes);
  for (const name of omit) files.delete(name);
  return encodeBundle({ kind: 'trust-bundle', profile: 'tuf', repository: 'bench/hostile', created: bundleTime(new Date()), files: [...files].map(([name, bytes]) => ({ name, bytes })) });
}

export function write(dir: string, name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, typeof bytes === 'string' ? enc.encode(bytes) : bytes);
  return path;
}

export { MB, pngBomb };
