/**
 * Publishing metadata made by OUR code to a real notary-server, and reading it back with the real notary
 * client (PRODUCT.md §4, issue #4). Measured against Debian's notary 0.7 (see TEAM-NOTES "notary publish"
 * and FIELD-NOTES "Notary 0.7"):
 *
 * - the server makes and keeps the **timestamp** key per GUN, and the **snapshot** key unless the uploads
 *   carry a snapshot: `GET /v2/GUN/_trust/tuf/timestamp.key` and `GET …/snapshot.key` answer
 *   `{"keytype":"ed25519","keyval":{"public":…,"private":null}}`. Until a root is published, every GET makes
 *   a *new* key (the server keeps them all, so any one fetched may go into the root); once a root is
 *   published, the GET answers the key that root lists;
 * - `POST /v2/GUN/_trust/tuf/` with multipart/form-data, field `files`, filename = role name (`root`,
 *   `targets`, `snapshot`, `targets/releases`); the first upload must include targets; the server checks
 *   signatures and the hierarchy, and stores the uploaded bytes as they are;
 * - clients are set up in three trust modes: trust on first use (empty trust dir), pinned to the root
 *   certificates' key IDs (`trust_pinning.certs` + `disable_tofu`), and seeded with our root.json in
 *   `TRUSTDIR/tuf/GUN/metadata/root.json` (+ `disable_tofu`).
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../src/json/types.js';
import { getProfile } from '../../src/profiles/index.js';
import { makeNotaryRootCertificate, type NotaryRootCertificate } from '../../src/signers/certificate.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { listPublicKey, notaryBareKeyId, type ListedKey } from '../../src/signers/public-key-json.js';
import type { SigningKey } from '../../src/signers/signing-key.js';
import { SoftwareKey } from '../../src/signers/software.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { serializeMetadata, signMetadata, type MetadataSigner } from '../../src/tuf/sign.js';
import { notaryClient, writeClientConfig, type NotaryClient } from './notary.js';

const DAY = 24 * 3600 * 1000;
const YEAR = 365 * DAY;

// ---------------------------------------------------------------------------------------------------
// The server's keys and the upload.

/** A key as a role table lists it: the key object and its Notary key ID. `ListedKey` fits. */
export interface KeyEntry {
  json: JsonObject;
  keyId: string;
}

export interface ServerKey extends KeyEntry {
  role: 'timestamp' | 'snapshot';
  /** The response body exactly as the server sent it (what the ceremony takes as its input file). */
  body: Uint8Array;
}

/**
 * `GET /v2/GUN/_trust/tuf/ROLE.key`: the public key the server signs ROLE with (it makes one when the GUN
 * has no root yet). Returned as root.json lists it, `{"keytype","keyval":{"private":null,"public"}}`.
 */
export async function fetchServerKey(serverUrl: string, gun: string, role: 'timestamp' | 'snapshot'): Promise<ServerKey> {
  const res = await fetch(`${serverUrl}/v2/${gun}/_trust/tuf/${role}.key`, { signal: AbortSignal.timeout(10_000) });
  const body = new Uint8Array(await res.arrayBuffer());
  const text = Buffer.from(body).toString('utf8');
  if (res.status !== 200) throw new Error(`GET /v2/${gun}/_trust/tuf/${role}.key: HTTP ${res.status} ${text}`);
  const parsed = JSON.parse(text) as { keytype: string; keyval: { public: string } };
  const json: JsonObject = { keytype: parsed.keytype, keyval: { private: null, public: parsed.keyval.public } };
  getProfile('notary').parseKey(json, `${role}.key`);
  return { role, body, json, keyId: getProfile('notary').keyId(json) };
}

/** Fetch the server's key for `role` and write the response body to `file` (the ceremony's input). */
export async function saveServerKey(serverUrl: string, gun: string, role: 'timestamp' | 'snapshot', file: string): Promise<ServerKey> {
  const key = await fetchServerKey(serverUrl, gun, role);
  writeFileSync(file, key.body);
  return key;
}

export interface PublishResult {
  status: number;
  body: string;
}

/**
 * `POST /v2/GUN/_trust/tuf/`: one multipart part per file, field `files`, filename = role name (without
 * `.json`), the bytes exactly as given. Never throws on an HTTP error: see `publishOk`.
 */
export async function publish(serverUrl: string, gun: string, files: ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array>): Promise<PublishResult> {
  const entries = files instanceof Map ? [...files] : Object.entries(files);
  if (entries.length === 0) throw new Error('nothing to publish');
  const form = new FormData();
  for (const [role, bytes] of entries) form.append('files', new Blob([Uint8Array.from(bytes)], { type: 'application/json' }), role);
  const res = await fetch(`${serverUrl}/v2/${gun}/_trust/tuf/`, { method: 'POST', body: form, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, body: await res.text() };
}

/** `publish`, throwing with the server's answer unless it is HTTP 200. */
export async function publishOk(serverUrl: string, gun: string, files: ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array>): Promise<void> {
  const r = await publish(serverUrl, gun, files);
  const roles = files instanceof Map ? [...files.keys()] : Object.keys(files);
  if (r.status !== 200) throw new Error(`publishing ${roles.join(', ')} for ${gun}: HTTP ${r.status} ${r.body}`);
}

/**
 * The top-level files a ceremony wrote to `dir` (`root.json`, `targets.json`, `snapshot.json` when the
 * snapshot key is held offline), keyed by role for `publish`.
 */
export function ceremonyFiles(dir: string, roles: readonly string[] = ['root', 'targets', 'snapshot']): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  // A ceremony output folder keeps its metadata in metadata/ (src/ceremony/layout.ts).
  const folder = existsSync(join(dir, 'metadata')) ? join(dir, 'metadata') : dir;
  for (const role of roles) {
    const file = join(folder, `${role}.json`);
    if (existsSync(file)) out.set(role, new Uint8Array(readFileSync(file)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Clients in the three trust modes.

export type TrustMode = 'tofu' | 'pinned' | 'seeded';
export const TRUST_MODES: readonly TrustMode[] = ['tofu', 'pinned', 'seeded'];

export interface ModeClientOptions {
  serverUrl: string;
  gun: string;
  /** A fresh folder for this client (trust dir, config, HOME). */
  dir: string;
  /** `pinned`: root certificate key IDs as root.json lists them (enough of them to meet the threshold). */
  rootCertKeyIds?: readonly string[];
  /** `seeded`: the root.json bytes to pre-install. */
  rootBytes?: Uint8Array;
}

/**
 * A notary client in `mode`:
 * - `tofu`: empty trust dir, no config: trusts whatever root the server serves first;
 * - `pinned`: `-c` config with `trust_pinning.certs[GUN] = rootCertKeyIds` and `disable_tofu`;
 * - `seeded`: our root.json at `TRUSTDIR/tuf/GUN/metadata/root.json`, `-c` config with `disable_tofu`.
 */
export function clientInMode(mode: TrustMode, opts: ModeClientOptions): NotaryClient {
  const trustDir = join(opts.dir, 'trust');
  mkdirSync(trustDir, { recursive: true });
  if (mode === 'tofu') return notaryClient({ serverUrl: opts.serverUrl, trustDir });
  const configFile = join(opts.dir, 'config.json');
  if (mode === 'pinned') {
    if (!opts.rootCertKeyIds?.length) throw new Error('pinned mode needs the root certificate key IDs');
    writeClientConfig(configFile, { trustDir, serverUrl: opts.serverUrl, trustPinning: { certs: { [opts.gun]: [...opts.rootCertKeyIds] }, disable_tofu: true } });
  } else {
    if (!opts.rootBytes) throw new Error('seeded mode needs root.json');
    const metadata = join(trustDir, 'tuf', ...opts.gun.split('/'), 'metadata');
    mkdirSync(metadata, { recursive: true });
    writeFileSync(join(metadata, 'root.json'), opts.rootBytes);
    writeClientConfig(configFile, { trustDir, serverUrl: opts.serverUrl, trustPinning: { disable_tofu: true } });
  }
  return notaryClient({ serverUrl: opts.serverUrl, trustDir, configFile });
}

export interface ListedTarget {
  name: string;
  /** hex SHA-256 */
  digest: string;
  size: number;
  role: string;
}

/**
 * `notary list GUN` output: a header `NAME DIGEST SIZE (BYTES) ROLE`, a dashed line, then one line per
 * target. Names with spaces are not supported here.
 */
export function parseNotaryList(stdout: string): ListedTarget[] {
  const out: ListedTarget[] = [];
  for (const line of stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length !== 4 || !/^[0-9a-f]{64}$/.test(cols[1]!) || !/^\d+$/.test(cols[2]!)) continue;
    out.push({ name: cols[0]!, digest: cols[1]!, size: Number(cols[2]), role: cols[3]! });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What `notary list` should show for `targets` published by `role`. */
export function expectedList(targets: Record<string, Uint8Array>, role = 'targets'): ListedTarget[] {
  return Object.entries(targets)
    .map(([name, bytes]) => ({ name, digest: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, role }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------
// Notary metadata made with our code (src/signers, src/tuf/sign.ts).

/** A signing key with its Notary listing and the `MetadataSigner` signMetadata takes. */
export interface OurKey extends KeyEntry {
  key: SigningKey;
  listed: ListedKey;
  signer: MetadataSigner;
}

export interface OurRootKey extends OurKey {
  certificate: NotaryRootCertificate;
}

/** A root key: `key` (a software P-256 key by default) with a self-signed leaf certificate, CN = GUN. */
export async function ourRootKey(gun: string, key: SigningKey = SoftwareKey.generate('ecdsa-p256', { label: 'root (test)' })): Promise<OurRootKey> {
  const now = Date.now();
  const certificate = await makeNotaryRootCertificate(key, { gun, notBefore: new Date(now - 60_000), notAfter: new Date(now + 10 * YEAR) });
  const listed = certificate.listed;
  return { key, listed, certificate, json: listed.json, keyId: listed.keyId, signer: metadataSigner(key, listed) };
}

/** A targets / snapshot / delegation key listed as Notary `ecdsa` (base64 DER SPKI). */
export function ourKey(key: SigningKey = SoftwareKey.generate('ecdsa-p256', { label: 'online (test)' })): OurKey {
  const listed = listPublicKey('notary', key.spki);
  return { key, listed, json: listed.json, keyId: listed.keyId, signer: metadataSigner(key, listed) };
}

/**
 * A delegation key as `notary delegation add` lists it in targets.json: `ecdsa-x509` with the certificate
 * PEM file's bytes (e.g. from `makeDelegationCert`, which openssl writes as Go does: 64 columns, LF,
 * trailing LF); `keyId` is the certificate's ID (targets.json), `bareKeyId` the ID `notary delegation list`
 * and `notary key list` show.
 */
export function delegationKeyFromCert(certPemFile: string): KeyEntry & { bareKeyId: string } {
  const pem = readFileSync(certPemFile, 'utf8');
  const spki = new Uint8Array(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }));
  const listed = listPublicKey('notary', spki, { certificatePem: pem });
  // `notary delegation list` and the key store show the bare key's ID, not the certificate's.
  return { json: listed.json, keyId: listed.keyId, bareKeyId: notaryBareKeyId(spki) };
}

/**
 * The private key of a software key as SEC1 PEM (`-----BEGIN EC PRIVATE KEY-----`, what `openssl ecparam
 * -genkey` writes), for `notary key import FILE --role targets --gun GUN`. Test keys only.
 */
export function sec1PemOf(key: SigningKey): string {
  if (!(key instanceof SoftwareKey) || key.algorithm !== 'ecdsa-p256') throw new Error('only software P-256 keys can be exported');
  const point = key.spki.subarray(key.spki.length - 65);
  const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  return key.withSecret((secret) =>
    createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64url(secret), x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) }, format: 'jwk' })
      .export({ type: 'sec1', format: 'pem' })
      .toString(),
  );
}

export const farExpires = (years: number) => formatExpires(new Date(Date.now() + years * YEAR));

/** Hashes as Notary writes them: base64 sha256 and sha512. */
export function notaryHashes(bytes: Uint8Array): JsonObject {
  return { sha256: createHash('sha256').update(bytes).digest('base64'), sha512: createHash('sha512').update(bytes).digest('base64') };
}

/** A `targets` / `meta` entry: `{"hashes":{…},"length":N}`. */
export function fileMeta(bytes: Uint8Array): JsonObject {
  return { hashes: notaryHashes(bytes), length: bytes.length };
}

export interface RootSpec {
  version: number;
  root: readonly KeyEntry[];
  rootThreshold: number;
  targets: readonly KeyEntry[];
  snapshot: readonly KeyEntry[];
  timestamp: readonly KeyEntry[];
  expires?: string;
}

/** root.json's `signed` as notary writes it (10-year expiry by default, as notary's). */
export function notaryRootSigned(spec: RootSpec): JsonObject {
  const keys: JsonObject = {};
  const roles: JsonObject = {};
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    for (const k of spec[role]) keys[k.keyId] = k.json;
    roles[role] = { keyids: spec[role].map((k) => k.keyId), threshold: role === 'root' ? spec.rootThreshold : 1 };
  }
  return { _type: 'Root', consistent_snapshot: false, expires: spec.expires ?? farExpires(10), keys, roles, version: spec.version };
}

export interface DelegationSpec {
  name: string;
  keys: readonly KeyEntry[];
  threshold?: number;
  /** `[""]` = all paths (`--all-paths`). */
  paths?: string[];
}

/** targets.json's (or a delegated role's) `signed` (3-year expiry by default). */
export function notaryTargetsSigned(version: number, targets: Record<string, Uint8Array>, delegations: readonly DelegationSpec[] = [], expires = farExpires(3)): JsonObject {
  const t: JsonObject = {};
  for (const [name, bytes] of Object.entries(targets)) t[name] = fileMeta(bytes);
  const keys: JsonObject = {};
  for (const d of delegations) for (const k of d.keys) keys[k.keyId] = k.json;
  const roles = delegations.map((d) => ({ keyids: d.keys.map((k) => k.keyId), name: d.name, paths: d.paths ?? [''], threshold: d.threshold ?? 1 }));
  return { _type: 'Targets', delegations: { keys, roles }, expires, targets: t, version };
}

/** snapshot.json's `signed`: `meta` by role name over the exact file bytes (3-year expiry by default). */
export function notarySnapshotSigned(version: number, files: ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array>, expires = farExpires(3)): JsonObject {
  const meta: JsonObject = {};
  for (const [role, bytes] of files instanceof Map ? files : Object.entries(files)) meta[role] = fileMeta(bytes);
  return { _type: 'Snapshot', expires, meta, version };
}

/** Sign with signMetadata and write the file bytes with serializeMetadata (Notary profile). */
export async function signNotary(signed: JsonObject, signers: readonly MetadataSigner[]): Promise<Uint8Array> {
  return serializeMetadata('notary', await signMetadata('notary', signed, signers));
}
