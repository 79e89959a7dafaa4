/** The fixture of the "revoke these tags too" tests (revoke-tags.test.ts, revoke-tags-cli.test.ts). */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';
import { buildTargetsPayload, buildTargetsSigningRequest, type SigningRequest } from '../../../src/rotation/index.js';
import { splitKey, type ShareCard } from '../../../src/shamir/index.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { EXPIRES_V1, EXPIRES_V2, makeRoleKey, rootFixture, type Custodian, type RootFixture } from './support.js';

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


/**
 * A TUF request that re-keys the role (CI's place goes to "Rel", a key split 2 of 3 onto rehearsal share
 * cards) and revokes the leaked tag: part 2 (the role's file v2) is Rel's to sign with the cards.
 */
export async function shareCardPart2Request(repository: string): Promise<{ f: Fixture; request: SigningRequest; cards: ShareCard[]; keyId: string }> {
  const f = await fixture('tuf');
  const relKey = SoftwareKey.generate('ed25519', { label: 'Releases backup' });
  const split = await relKey.withSecret((secret) => splitKey('ed25519', Uint8Array.from(secret), { threshold: 2, shares: 3, label: 'Releases backup', rehearsal: true }));
  const listed = listPublicKey('tuf', relKey.spki);
  const payload = buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.rel, keys: [{ json: f.ci2.listed.json }, { json: listed.json, name: 'Rel' }] }] } });
  const request = buildTargetsSigningRequest(payload, { repository, delegatedFiles: new Map([[f.rel, f.releasesV1]]), revokeTags: { role: f.rel, targets: ['releases/v2.tar.gz'] } });
  return { f, request, cards: split.cards, keyId: listed.keyId };
}
