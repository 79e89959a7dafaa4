/**
 * The benchmark repository (PRODUCT.md §7), made in-process with our own signing path (src/tuf/sign.ts,
 * the TUF profile): a 1,000-version root chain of ed25519 keys — 3 root keys, threshold 2, one key
 * rotated per version, each version signed by a threshold of the previous root's keys and of its own
 * (TUF 5.3.4) — a 100,000-entry targets.json, snapshot.json and timestamp.json, written as a plain TUF
 * metadata directory (`compact/`, as we and tuf-js write) and again pretty-printed (`pretty/`, as python-tuf,
 * tuf-on-ci and RSTUF write: `json.dumps(indent=1, separators=(",", ": "), sort_keys=True)`, the same
 * signatures, snapshot and timestamp re-signed over the pretty files' lengths and hashes). Cached in a temp
 * directory between runs (see `ensureRepository`).
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
/** `--small`: the same repository at a fifth of the size, for quick runs while developing (targets are stated for SHAPE). */
export const SMALL_SHAPE: BenchShape = { rootVersions: 200, targets: 20_000, rootKeys: 3, rootThreshold: 2 };

export const FILE_STYLES = ['compact', 'pretty'] as const;
export type FileStyle = (typeof FILE_STYLES)[number];

/** Bump when the generated repository changes, so a stale cache is regenerated. */
const GENERATOR_VERSION = 2;

/** Every object's keys sorted, recursively: python's json.dumps(sort_keys=True) order (also used by test/support/pretty.ts). */
export function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortedDeep((value as Record<string, unknown>)[key]);
  return out;
}

/** python-tuf's JSONSerializer(compact=False) layout; ASCII-only here, so ensure_ascii changes nothing. */
export function prettyBytes(compact: Uint8Array): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(sortedDeep(JSON.parse(new TextDecoder().decode(compact))), null, 1));
}

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
  mkdirSync(join(tmp, 'compact'), { recursive: true });
  mkdirSync(join(tmp, 'pretty'), { recursive: true });
  const write = (name: string, bytes: Uint8Array, pretty: Uint8Array = prettyBytes(bytes)) => {
    writeFileSync(join(tmp, 'compact', name), bytes);
    writeFileSync(join(tmp, 'pretty', name), pretty);
  };
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
    write(`${v}.root.json`, rootBytes);
  }
  write('root.json', rootBytes);

  const targets: JsonObject = {};
  for (let i = 0; i < shape.targets; i++) {
    const name = `releases/${String(Math.floor(i / 1000)).padStart(3, '0')}/app-${String(i).padStart(6, '0')}.tar.gz`;
    targets[name] = { length: 1000 + i, hashes: { sha256: randomBytes(32).toString('hex'), sha512: randomBytes(64).toString('hex') } };
  }
  const targetsBytes = await signed({ ...common('targets', 1, expires), targets }, [targetsKey]);
  const prettyTargets = prettyBytes(targetsBytes);
  // Snapshot and timestamp record the lengths and hashes of the files as written: one pair per style.
  const tail = async (t: Uint8Array) => {
    const snapshotBytes = await signed({ ...common('snapshot', 1, expires), meta: { 'targets.json': metaEntry(t, 1) } }, [snapshotKey]);
    const snapshotOut = t === targetsBytes ? snapshotBytes : prettyBytes(snapshotBytes);
    const timestampBytes = await signed({ ...common('timestamp', 1, expires), meta: { 'snapshot.json': metaEntry(snapshotOut, 1) } }, [timestampKey]);
    return { snapshot: snapshotOut, timestamp: t === targetsBytes ? timestampBytes : prettyBytes(timestampBytes) };
  };
  const compactTail = await tail(targetsBytes);
  const prettyTail = await tail(prettyTargets);
  write('targets.json', targetsBytes, prettyTargets);
  write('snapshot.json', compactTail.snapshot, prettyTail.snapshot);
  write('timestamp.json', compactTail.timestamp, prettyTail.timestamp);
  const snapshotBytes = compactTail.snapshot;
  const timestampBytes = compactTail.timestamp;

  const info: GeneratedInfo = {
    generatorVersion: GENERATOR_VERSION,
    shape,
    generatedAt: new Date().toISOString(),
    seconds: (performance.now() - started) / 1000,
    expires,
    bytes: { roots: rootTotal, targets: targetsBytes.length, prettyTargets: prettyTargets.length, snapshot: snapshotBytes.length, timestamp: timestampBytes.length },
  };
  writeFileSync(join(tmp, 'bench-info.json'), JSON.stringify(info, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return info;
}

/** Reuse the cached repository when it has this generator's shape and is far from expiry. */
export async function ensureRepository(dir: string, force = false, shape: BenchShape = SHAPE): Promise<{ info: GeneratedInfo; cached: boolean }> {
  const info = readInfo(dir);
  if (!force && info) {
    const fresh = Date.parse(info.expires) - Date.now() > 365 * 24 * 3600 * 1000;
    if (info.generatorVersion === GENERATOR_VERSION && JSON.stringify(info.shape) === JSON.stringify(shape) && fresh) return { info, cached: true };
  }
  return { info: await generateRepository(dir, shape), cached: false };
}

export function readInfo(dir: string): GeneratedInfo | undefined {
  const infoPath = join(dir, 'bench-info.json');
  return existsSync(infoPath) ? (JSON.parse(readFileSync(infoPath, 'utf8')) as GeneratedInfo) : undefined;
}
