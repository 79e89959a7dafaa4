/**
 * A complete repository (root, targets, snapshot, timestamp) signed by `SigningKey`s — token keys or
 * software keys — through the production path: listPublicKey (or a Notary root certificate), metadataSigner,
 * signMetadata, serializeMetadata. Linked the way test/support/repo.ts links its repositories.
 */
import type { JsonObject } from '../../src/json/types.js';
import type { ProfileName } from '../../src/profiles/profile.js';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { listPublicKey, type ListedKey } from '../../src/signers/public-key-json.js';
import type { SigningKey } from '../../src/signers/signing-key.js';
import type { RepositoryFiles } from '../../src/tuf/repository.js';
import { serializeMetadata, signMetadata, type MetadataSigner } from '../../src/tuf/sign.js';
import { FAR, metaEntry, metaKey, typeName } from './repo.js';

export interface KeyedSigner {
  key: SigningKey;
  listed: ListedKey;
  signer: MetadataSigner;
}

const YEAR = 365 * 24 * 3600 * 1000;

/** List a key for `profile`; Notary root keys get their self-signed certificate (CN = gun). */
export async function keyed(profile: ProfileName, key: SigningKey, opts: { rootOf?: string } = {}): Promise<KeyedSigner> {
  let listed: ListedKey;
  if (profile === 'notary' && opts.rootOf) {
    const cert = await makeNotaryRootCertificate(key, { gun: opts.rootOf, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 10 * YEAR) });
    listed = cert.listed;
  } else {
    listed = listPublicKey(profile, key.spki);
  }
  return { key, listed, signer: metadataSigner(key, listed) };
}

export interface RoleSigners {
  signers: KeyedSigner[];
  threshold: number;
  /** Who signs (default: the first `threshold`). */
  signing?: KeyedSigner[];
}

function common(profile: ProfileName, type: string, version: number): JsonObject {
  const out: JsonObject = { _type: typeName(profile, type), version, expires: FAR };
  if (profile === 'tuf') out.spec_version = '1.0.31';
  return out;
}

export function rootSignedOf(profile: ProfileName, roles: Record<'root' | 'targets' | 'snapshot' | 'timestamp', RoleSigners>): JsonObject {
  const keys: JsonObject = {};
  const rolesJson: JsonObject = {};
  for (const [name, role] of Object.entries(roles)) {
    for (const k of role.signers) keys[k.listed.keyId] = k.listed.json;
    rolesJson[name] = { keyids: role.signers.map((k) => k.listed.keyId), threshold: role.threshold };
  }
  return { ...common(profile, 'root', 1), consistent_snapshot: false, keys, roles: rolesJson };
}

async function sign(profile: ProfileName, signed: JsonObject, role: RoleSigners): Promise<Uint8Array> {
  const who = role.signing ?? role.signers.slice(0, role.threshold);
  return serializeMetadata(profile, await signMetadata(profile, signed, who.map((k) => k.signer)));
}

/** Root v1 and the other top-level roles, each signed by its role's threshold. */
export async function buildSignedRepository(profile: ProfileName, roles: Record<'root' | 'targets' | 'snapshot' | 'timestamp', RoleSigners>): Promise<{ files: RepositoryFiles; root: Uint8Array }> {
  const root = await sign(profile, rootSignedOf(profile, roles), roles.root);
  const enc = new TextEncoder();
  const payload = enc.encode('app v1');
  const targetsSigned: JsonObject = {
    ...common(profile, 'targets', 1),
    targets: { 'app.tar.gz': { length: payload.length, hashes: metaEntry(profile, payload, 1).hashes! } },
  };
  if (profile === 'notary') targetsSigned.delegations = { keys: {}, roles: [] };
  const targets = await sign(profile, targetsSigned, roles.targets);
  const meta: JsonObject = { [metaKey(profile, 'targets')]: metaEntry(profile, targets, 1) };
  if (profile === 'notary') meta.root = metaEntry(profile, root, 1);
  const snapshot = await sign(profile, { ...common(profile, 'snapshot', 1), meta }, roles.snapshot);
  const timestamp = await sign(profile, { ...common(profile, 'timestamp', 1), meta: { [metaKey(profile, 'snapshot')]: metaEntry(profile, snapshot, 1) } }, roles.timestamp);
  return { root, files: { versionedRoots: new Map([[1, root]]), root, targets, snapshot, timestamp, delegated: new Map() } };
}
