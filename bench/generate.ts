/**
 * The benchmark repository (PRODUCT.md §7), made in-process with our own signing path (src/tuf/sign.ts,
 * the TUF profile): a 1,000-version root chain of ed25519 keys — 3 root keys, threshold 2, one key
 * rotated per version, each version signed by a threshold of the previous root's keys and of its own
 * (TUF 5.3.4) — a 100,000-entry targets.json, snapshot.json and timestamp.json, written as a plain TUF
 * metadata directory. Cached in a temp directory between runs (see `ensureRepository`).
 */
import { generateKeyPairSync, randomBytes, sign as nodeSign, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../src/json/types.js';
import { getProfile } from '../src/profiles/index.js';
import { formatExpires } from '../src/tuf/dates.js';
import { serializeMetadata, signMetadata, type MetadataSigner } from '../src/tuf/sign.js';

export interface BenchShape {
  rootVersions: number;
  targets: number;
  rootKeys: number;
  rootThreshold: number;
}

export const SHAPE: BenchShape = { rootVersions: 1000, targets: 100_000, rootKeys: 3, rootThreshold: 2 };

/** Bump when the generated repository changes, so a stale cache is regenerated. */
const GENERATOR_VERSION = 1;

export interface BenchKey extends MetadataSigner {
  json: JsonObject;
}

const tuf = getProfile('tuf');

export function makeKey(): BenchKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  const json: JsonObject = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  return { json, keyId: tuf.keyId(json), key: tuf.parseKey(json, '$'), sign: (data: Uint8Array) => new Uint8Array(nodeSign(null, data, privateKey)) };
}

export function common(type: string, version: number, expires: string): JsonObject {
  return { _type: type, spec_version: '1.0.31', version, expires };
}

export function metaEntry(bytes: Uint8Array, version: number): JsonObject {
  return {
    version,
    length: bytes.length,
    hashes: { sha256: createHash('sha256').update(bytes).digest('hex'), sha512: createHash('sha512').update(bytes).digest('hex') },
  };
}

export async function signed(body: JsonObject, signers: readonly MetadataSigner[]): Promise<Uint8Array> {
  return serializeMetadata('tuf', await signMetadata('tuf', body, signers));
}

export interface GeneratedInfo {
  generatorVersion: number;
  shape: BenchShape;
  generatedAt: string;
  seconds: number;
  expires: string;
  bytes: Record<string, number>;
}

export async function generateRepository(dir: string, shape: BenchShape = SHAPE): Promise<GeneratedInfo> {
  const started = performance.now();
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const expires = formatExpires(new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000));

  const targetsKey = makeKey();
  const snapshotKey = makeKey();
  const timestampKey = makeKey();
  let rootKeys = Array.from({ length: shape.rootKeys }, makeKey);
  let rootBytes: Uint8Array = new Uint8Array();
  let rootTotal = 0;
  for (let v = 1; v <= shape.rootVersions; v++) {
    const previous = rootKeys;
    if (v > 1) {
      // Rotate one root key per version, round robin.
      const slot = (v - 2) % shape.rootKeys;
      rootKeys = rootKeys.map((k, i) => (i === slot ? makeKey() : k));
    }
    const keys: JsonObject = {};
    for (const k of [...rootKeys, targetsKey, snapshotKey, timestampKey]) keys[k.keyId] = k.json;
    const body: JsonObject = {
      ...common('root', v, expires),
      consistent_snapshot: false,
      keys,
      roles: {
        root: { keyids: rootKeys.map((k) => k.keyId), threshold: shape.rootThreshold },
        targets: { keyids: [targetsKey.keyId], threshold: 1 },
        snapshot: { keyids: [snapshotKey.keyId], threshold: 1 },
        timestamp: { keyids: [timestampKey.keyId], threshold: 1 },
      },
    };
    // TUF 5.3.4: a threshold of the new root's keys (including the fresh one) and of the previous root's.
    const fresh = rootKeys.filter((k) => !previous.includes(k));
    const bySelf = [...fresh, ...rootKeys.filter((k) => !fresh.includes(k))].slice(0, shape.rootThreshold);
    const byPrevious = v === 1 ? [] : [...previous.filter((k) => !rootKeys.includes(k)), ...previous.filter((k) => rootKeys.includes(k))].slice(0, shape.rootThreshold);
    rootBytes = await signed(body, [...new Set([...bySelf, ...byPrevious])]);
    rootTotal += rootBytes.length;
    writeFileSync(join(tmp, `${v}.root.json`), rootBytes);
  }
  writeFileSync(join(tmp, 'root.json'), rootBytes);

  const targets: JsonObject = {};
  for (let i = 0; i < shape.targets; i++) {
    const name = `releases/${String(Math.floor(i / 1000)).padStart(3, '0')}/app-${String(i).padStart(6, '0')}.tar.gz`;
    targets[name] = { length: 1000 + i, hashes: { sha256: randomBytes(32).toString('hex'), sha512: randomBytes(64).toString('hex') } };
  }
  const targetsBytes = await signed({ ...common('targets', 1, expires), targets }, [targetsKey]);
  writeFileSync(join(tmp, 'targets.json'), targetsBytes);
  const snapshotBytes = await signed({ ...common('snapshot', 1, expires), meta: { 'targets.json': metaEntry(targetsBytes, 1) } }, [snapshotKey]);
  writeFileSync(join(tmp, 'snapshot.json'), snapshotBytes);
  const timestampBytes = await signed({ ...common('timestamp', 1, expires), meta: { 'snapshot.json': metaEntry(snapshotBytes, 1) } }, [timestampKey]);
  writeFileSync(join(tmp, 'timestamp.json'), timestampBytes);

  const info: GeneratedInfo = {
    generatorVersion: GENERATOR_VERSION,
    shape,
    generatedAt: new Date().toISOString(),
    seconds: (performance.now() - started) / 1000,
    expires,
    bytes: { roots: rootTotal, targets: targetsBytes.length, snapshot: snapshotBytes.length, timestamp: timestampBytes.length },
  };
  writeFileSync(join(tmp, 'bench-info.json'), JSON.stringify(info, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return info;
}

/** Reuse the cached repository when it has this generator's shape and is far from expiry. */
export async function ensureRepository(dir: string, force = false): Promise<{ info: GeneratedInfo; cached: boolean }> {
  const infoPath = join(dir, 'bench-info.json');
  if (!force && existsSync(infoPath)) {
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as GeneratedInfo;
    const fresh = Date.parse(info.expires) - Date.now() > 365 * 24 * 3600 * 1000;
    if (info.generatorVersion === GENERATOR_VERSION && JSON.stringify(info.shape) === JSON.stringify(SHAPE) && fresh) return { info, cached: true };
  }
  return { info: await generateRepository(dir), cached: false };
}
