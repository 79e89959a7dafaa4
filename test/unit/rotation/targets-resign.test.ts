/**
 * targets.json re-signed after a targets key rotation (src/rotation/targets-resign.ts): the same targets
 * and delegations, version + 1, signed by the new key and verified under root N+1; refused when the
 * content does not come from a targets.json root N trusts, when root N+1 does not follow root N, when the
 * targets keys did not change, or when the signer is not the new targets key.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRotationPayload, buildSigningRequest, mergeResponses, signRequest, signTargetsResign, buildTargetsResign, type TargetsResignInput } from '../../../src/rotation/index.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { farExpires, notaryTargetsSigned, signNotary } from '../../support/notary-publish.js';
import { refusal } from '../../support/refusal.js';
import { EXPIRES_V2, GUN, makeCustodian, makeRoleKey, rootFixture, type Custodian, type RootFixture } from './support.js';

const TARGETS = { 'app/v1.tar.gz': new TextEncoder().encode('app v1'), 'app/v2.tar.gz': new TextEncoder().encode('app v2') };

let fx: RootFixture;
let newTargets: Custodian;
let targetsV1: Uint8Array;
let rootV2: Uint8Array;

async function rotate(change: Parameters<typeof buildRotationPayload>[1]): Promise<Uint8Array> {
  const request = buildSigningRequest(buildRotationPayload(fx.rootV1, change, { names: fx.names }), { repository: GUN });
  const responses = [await signRequest(request, fx.custodians[0]!.key), await signRequest(request, fx.custodians[1]!.key)];
  return mergeResponses(request, responses).root!;
}

beforeAll(async () => {
  fx = await rootFixture('notary');
  newTargets = makeRoleKey('notary', 'targets 2026');
  // A delegate listed as `notary delegation add` lists one: an ecdsa-x509 certificate.
  const ci = (await makeCustodian('notary', 'CI')).listed;
  targetsV1 = await signNotary(notaryTargetsSigned(1, TARGETS, [{ name: 'targets/releases', keys: [{ json: ci.json, keyId: ci.keyId }] }]), [metadataSigner(fx.targets.key, fx.targets.listed)]);
  rootV2 = await rotate({ expires: EXPIRES_V2, targets: { keys: [{ json: newTargets.listed.json, name: 'targets 2026' }] } });
});

const input = (over: Partial<TargetsResignInput> = {}): TargetsResignInput => ({ previousRoot: fx.rootV1, newRoot: rootV2, targets: targetsV1, now: new Date(), ...over });

describe('targets.json re-signed by the new targets key', () => {
  it('keeps the targets and delegations, bumps the version, verifies under root N+1', async () => {
    const out = await signTargetsResign(input(), [metadataSigner(newTargets.key, newTargets.listed)]);
    expect(out.version).toBe(2);
    const v1 = parseMetadata(targetsV1, 'targets', { maxBytes: 1 << 20, source: 'v1' }).signed;
    const v2 = parseMetadata(out.bytes, 'targets', { maxBytes: 1 << 20, source: 'v2' }).signed;
    expect([...v2.targets.keys()]).toEqual([...v1.targets.keys()]);
    expect(v2.delegations?.roles.map((r) => r.name)).toEqual(['targets/releases']);
    expect(v2.expiresText).toBe(v1.expiresText);
    expect(out.verification.signed).toEqual([newTargets.listed.keyId]);
    // A client pinned at v1 walks to root v2 and accepts targets v2 (no snapshot/timestamp: not required here).
    const repo = verifyRepository({ versionedRoots: new Map([[1, fx.rootV1], [2, rootV2]]), root: rootV2, targets: out.bytes, delegated: new Map() }, { trustedRoot: fx.rootV1, now: new Date(), gun: GUN });
    expect(repo.root.signed.version).toBe(2);
  });

  it('refuses to re-sign an expired targets.json with its own expiry (expired on arrival), or with an expiry not in the future', () => {
    const v1 = parseMetadata(targetsV1, 'targets', { maxBytes: 1 << 20, source: 'v1' }).signed;
    const after = new Date(v1.expires.getTime() + 1000);
    const kept = refusal(() => buildTargetsResign(input({ now: after })));
    expect([kept.code, kept.path]).toEqual(['EXPIRED', '$.signed.expires']);
    expect(kept.message).toMatch(/expired on arrival.*--expires/);
    // At the expiry itself: expired too (a client refuses expires <= now).
    expect(refusal(() => buildTargetsResign(input({ now: v1.expires }))).code).toBe('EXPIRED');
    const past = refusal(() => buildTargetsResign(input({ now: after, expires: v1.expiresText })));
    expect([past.code, past.path]).toEqual(['EXPIRED', '$.expires']);
    // A future expiry given: re-signed.
    const e = farExpires(30);
    expect(buildTargetsResign(input({ now: after, expires: e })).signed.expires).toBe(e);
  });

  it('takes a new expiry when given', () => {
    const e = farExpires(2);
    expect(buildTargetsResign(input({ expires: e })).signed.expires).toBe(e);
  });

  it('refuses a signature by the old targets key (THRESHOLD_NOT_MET), a current targets.json root N never signed, a root that does not follow, and a rotation that kept the targets keys', async () => {
    await expect(signTargetsResign(input(), [metadataSigner(fx.targets.key, fx.targets.listed)])).rejects.toMatchObject({ code: 'THRESHOLD_NOT_MET' });
    const forged = await signNotary(notaryTargetsSigned(1, { 'evil.tar.gz': new TextEncoder().encode('x') }), [metadataSigner(newTargets.key, newTargets.listed)]);
    expect(refusal(() => buildTargetsResign(input({ targets: forged }))).code).toBe('THRESHOLD_NOT_MET');
    expect(refusal(() => buildTargetsResign(input({ newRoot: fx.rootV1 }))).code).toBe('ROLLBACK');
    const renewOnly = await rotate({ expires: EXPIRES_V2 });
    expect(refusal(() => buildTargetsResign(input({ newRoot: renewOnly }))).code).toBe('ROTATION_CHANGE_INVALID');
  });
});
