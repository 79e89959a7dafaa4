/** The fixture of the "revoke these tags too" tests (revoke-tags.test.ts, revoke-tags-cli.test.ts). */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';
import { EXPIRES_V1, makeRoleKey, rootFixture, type Custodian, type RootFixture } from './support.js';

const enc = new TextEncoder();

async function signAs(profile: ProfileName, signed: JsonObject, signers: Custodian[]): Promise<Uint8Array> {
  return serializeMetadata(profile, await signMetadata(profile, signed, signers.map((c) => metadataSigner(c.key, c.listed))));
}

export interface Fixture {
  fx: RootFixture;
  profile: ProfileName;
  ci: Custodian;
  ci2: Custodian;
  rel: string;
  targetsV1: Uint8Array;
  releasesV1: Uint8Array;
  v2: Uint8Array;
}

/** targets.json v1 delegates `rel` to CI and CI 2 (1 of 2); the role's file v1 (signed by CI) lists v1 and v2 — v2 pushed with CI's key, which leaked. */
export async function fixture(profile: ProfileName): Promise<Fixture> {
  const fx = await rootFixture(profile);
  const ci = makeRoleKey(profile, 'CI');
  const ci2 = makeRoleKey(profile, 'CI 2');
  const rel = profile === 'notary' ? 'targets/releases' : 'releases';
  const role: JsonObject = { name: rel, keyids: [ci.listed.keyId, ci2.listed.keyId], threshold: 1, paths: [profile === 'notary' ? 'releases/' : 'releases/*'] };
  if (profile === 'tuf') role.terminating = false;
  const common = (type: string): JsonObject => ({ _type: profile === 'tuf' ? type : type[0]!.toUpperCase() + type.slice(1), version: 1, expires: EXPIRES_V1, ...(profile === 'tuf' ? { spec_version: '1.0.31' } : {}) });
  const targets: JsonObject = { ...common('targets'), targets: {}, delegations: { keys: { [ci.listed.keyId]: ci.listed.json, [ci2.listed.keyId]: ci2.listed.json }, roles: [role] } };
  const entry = (b: Uint8Array): JsonObject => ({ length: b.length, hashes: { sha256: createHash('sha256').update(b).digest(profile === 'tuf' ? 'hex' : 'base64') } });
  const v1 = enc.encode('release 1');
  const v2 = enc.encode('release 2, pushed with the leaked key');
  const releases: JsonObject = { ...common('targets'), targets: { 'releases/v1.tar.gz': entry(v1), 'releases/v2.tar.gz': entry(v2) } };
  if (profile === 'notary') releases.delegations = { keys: {}, roles: [] };
  return { fx, profile, ci, ci2, rel, v2, targetsV1: await signAs(profile, targets, [fx.targets]), releasesV1: await signAs(profile, releases, [ci]) };
}

