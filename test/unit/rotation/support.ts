/**
 * Rotation fixtures: a root v1 (2-of-3 root keys, one key each for targets/snapshot/timestamp) made with
 * software signing keys, in either profile (Notary root keys are ecdsa-x509 certificates, CN = GUN).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { listPublicKey, type ListedKey } from '../../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { formatShareCard, splitKey } from '../../../src/shamir/index.js';
import { formatExpires } from '../../../src/tuf/dates.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';

export const GUN = 'registry.example.com/org/app';
const YEAR = 365 * 24 * 3600 * 1000;
export const EXPIRES_V1 = formatExpires(new Date(Math.floor(Date.now() / 1000) * 1000 + 5 * YEAR));
export const EXPIRES_V2 = formatExpires(new Date(Math.floor(Date.now() / 1000) * 1000 + 6 * YEAR));

export interface Custodian {
  name: string;
  key: SoftwareKey;
  listed: ListedKey;
}

/** A root key for `profile`: a certificate for Notary, the bare key for TUF. */
export async function makeCustodian(profile: ProfileName, name: string): Promise<Custodian> {
  const key = SoftwareKey.generate(profile === 'notary' ? 'ecdsa-p256' : 'ed25519', { label: `${name}'s key` });
  if (profile === 'notary') {
    const cert = await makeNotaryRootCertificate(key, { gun: GUN, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 10 * YEAR) });
    return { name, key, listed: cert.listed };
  }
  return { name, key, listed: listPublicKey(profile, key.spki) };
}

/**
 * A TUF root key kept on share cards: "Backup", split 2-of-3, two of the cards written into `dir`
 * (card-1.txt, card-2.txt) — enough for `sign --share-card` to rebuild the key.
 */
export async function backupOnShareCards(dir: string): Promise<{ backup: Custodian; cardPaths: string[] }> {
  const key = SoftwareKey.generate('ed25519', { label: 'Backup' });
  const split = await key.withSecret((secret) => splitKey('ed25519', Uint8Array.from(secret), { threshold: 2, shares: 3, label: 'Backup' }));
  const cardPaths = split.cards.slice(0, 2).map((card, i) => {
    const p = join(dir, `card-${i + 1}.txt`);
    writeFileSync(p, formatShareCard(card));
    return p;
  });
  return { backup: { name: 'Backup', key, listed: listPublicKey('tuf', key.spki) }, cardPaths };
}

/** `signed` signed by these custodians' software keys, serialized as the profile writes metadata. */
export async function signAs(profile: ProfileName, signed: JsonObject, signers: readonly Custodian[]): Promise<Uint8Array> {
  return serializeMetadata(profile, await signMetadata(profile, signed, signers.map((c) => metadataSigner(c.key, c.listed))));
}

export function makeRoleKey(profile: ProfileName, name: string): Custodian {
  const key = SoftwareKey.generate(profile === 'notary' ? 'ecdsa-p256' : 'ed25519', { label: name });
  return { name, key, listed: listPublicKey(profile, key.spki) };
}

export interface RootFixture {
  profile: ProfileName;
  custodians: Custodian[];
  targets: Custodian;
  snapshot: Custodian;
  timestamp: Custodian;
  rootV1: Uint8Array;
  names: Map<string, string>;
}

export async function rootFixture(profile: ProfileName, names: readonly (string | Custodian)[] = ['Alice', 'Bob', 'Carol']): Promise<RootFixture> {
  const custodians = await Promise.all(names.map((n) => (typeof n === 'string' ? makeCustodian(profile, n) : n)));
  const targets = makeRoleKey(profile, 'targets');
  const snapshot = makeRoleKey(profile, 'snapshot');
  const timestamp = makeRoleKey(profile, 'timestamp');
  const keys: JsonObject = {};
  for (const c of [...custodians, targets, snapshot, timestamp]) keys[c.listed.keyId] = c.listed.json;
  const signed: JsonObject = {
    _type: profile === 'tuf' ? 'root' : 'Root',
    consistent_snapshot: false,
    expires: EXPIRES_V1,
    keys,
    roles: {
      root: { keyids: custodians.map((c) => c.listed.keyId), threshold: 2 },
      snapshot: { keyids: [snapshot.listed.keyId], threshold: 1 },
      targets: { keyids: [targets.listed.keyId], threshold: 1 },
      timestamp: { keyids: [timestamp.listed.keyId], threshold: 1 },
    },
    version: 1,
  };
  if (profile === 'tuf') signed.spec_version = '1.0.31';
  const envelope = await signMetadata(profile, signed, custodians.slice(0, 2).map((c) => metadataSigner(c.key, c.listed)));
  return {
    profile,
    custodians,
    targets,
    snapshot,
    timestamp,
    rootV1: serializeMetadata(profile, envelope),
    names: new Map(custodians.map((c) => [c.listed.keyId, c.name])),
  };
}
