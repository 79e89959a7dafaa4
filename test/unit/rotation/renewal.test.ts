/**
 * Renewal without key changes (src/rotation/renewal.ts, issue #14): a delegations plan with `"renew": true`
 * becomes a targets.json N+1 signing request whose only change is the expiry (the review says so), signed
 * by the targets key and merged like any targets change; a renewal that does not move the expiry forward,
 * or that mixes in changes, is refused with its code and JSON path. The root's expiry alone was already a
 * valid rotation: checked here too, so both renewals stay possible.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { describeRequest, mergeResponses, parseSigningRequest, planRotation, serializeSigningRequest, signRequest } from '../../../src/rotation/index.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { formatExpires } from '../../../src/tuf/dates.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { notaryTargetsSigned, signNotary } from '../../support/notary-publish.js';
import { refusal } from '../../support/refusal.js';
import { GUN, rootFixture, type RootFixture } from './support.js';

const enc = new TextEncoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (v: JsonValue) => enc.encode(JSON.stringify(v, null, 2));
const NOW = new Date();
const YEAR = 365 * 86_400_000;
const TARGETS_EXPIRES_V1 = formatExpires(new Date(Math.floor(NOW.getTime() / 1000) * 1000 + YEAR));
const LATER = formatExpires(new Date(Math.floor(NOW.getTime() / 1000) * 1000 + 3 * YEAR));

let fx: RootFixture;
let targetsV1: Uint8Array;
const files = () => new Map([['root.json', fx.rootV1], ['targets.json', targetsV1]]);

function renewalPlan(expires: string, extra: JsonObject = {}): JsonObject {
  return {
    format: 'tuf-ceremony-rotation-plan',
    version: 1,
    profile: 'notary',
    repository: GUN,
    previousRoot: { file: 'root.json', sha256: sha(fx.rootV1) },
    custodians: [{ name: 'Tina', keyid: fx.targets.listed.keyId }],
    expires,
    delegations: { targets: { file: 'targets.json', sha256: sha(targetsV1) }, renew: true, ...extra },
  };
}

beforeAll(async () => {
  fx = await rootFixture('notary');
  targetsV1 = await signNotary(notaryTargetsSigned(1, { 'app.tar.gz': enc.encode('app') }, [], TARGETS_EXPIRES_V1), [metadataSigner(fx.targets.key, fx.targets.listed)]);
});

describe('renewing targets.json without key changes', () => {
  it('"renew": true makes targets.json v2 with only a later expiry; the review names that one change; it merges', async () => {
    const planned = planRotation(bytes(renewalPlan(LATER)), files(), NOW);
    expect(planned.request.role).toBe('targets');
    const review = describeRequest(planned.request);
    expect(review.text).toContain(TARGETS_EXPIRES_V1);
    expect(review.text).toContain(LATER);
    const request = parseSigningRequest(serializeSigningRequest(planned.request));
    const merged = mergeResponses(request, [await signRequest(request, fx.targets.key)]);
    expect(merged.final).toBe(true);
    const v2 = parseMetadata(merged.bytes!, 'targets', { maxBytes: 1 << 20, source: 'targets v2' });
    const v1 = parseMetadata(targetsV1, 'targets', { maxBytes: 1 << 20, source: 'targets v1' });
    expect([v2.signed.version, v2.signed.expiresText]).toEqual([2, LATER]);
    expect({ ...v2.signedJson, version: 1, expires: TARGETS_EXPIRES_V1 }).toEqual(v1.signedJson);
  });

  it.each([
    ['the same expiry', () => renewalPlan(TARGETS_EXPIRES_V1), 'ROTATION_CHANGE_INVALID', '$.expires'],
    ['renew mixed with a change', () => renewalPlan(LATER, { revokeTargets: ['app.tar.gz'] }), 'PLAN_INVALID', '$.delegations.renew'],
    ['renew that is not a boolean', () => renewalPlan(LATER, { renew: 'yes' }), 'PLAN_INVALID', '$.delegations.renew'],
  ])('refuses %s', (_what, plan, code, path) => {
    const err = refusal(() => planRotation(bytes(plan()), files(), NOW));
    expect([err.code, err.path]).toEqual([code, path]);
  });

  it('a root plan with only a new expiry stays a valid rotation (root renewal, same keys)', () => {
    const plan: JsonObject = {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'notary',
      repository: GUN,
      previousRoot: { file: 'root.json', sha256: sha(fx.rootV1) },
      custodians: fx.custodians.map((c) => ({ name: c.name, keyid: c.listed.keyId })),
      expires: formatExpires(new Date(NOW.getTime() + 9 * YEAR)),
    };
    const planned = planRotation(bytes(plan), new Map([['root.json', fx.rootV1]]), NOW);
    expect(planned.payload!.root.version).toBe(2);
    expect([...planned.payload!.root.keys.keys()].sort()).toEqual([...parseMetadata(fx.rootV1, 'root', { maxBytes: 1 << 20, source: 'v1' }).signed.keys.keys()].sort());
  });
});

describe('renewing Notary root certificates: the same key, a fresh certificate', () => {
  const rootPlan = (expires: string, root?: JsonObject): JsonObject => ({
    format: 'tuf-ceremony-rotation-plan',
    version: 1,
    profile: 'notary',
    repository: GUN,
    previousRoot: { file: 'root.json', sha256: sha(fx.rootV1) },
    custodians: fx.custodians.map((c) => ({ name: c.name, keyid: c.listed.keyId })),
    expires,
    ...(root ? { root } : {}),
  });

  it('a root that outlives its certificates is flagged in the review', () => {
    // The fixture's certificates end 10 years from now; this root would live 11.
    const planned = planRotation(bytes(rootPlan(formatExpires(new Date(NOW.getTime() + 11 * YEAR)))), new Map([['root.json', fx.rootV1]]), NOW);
    const text = describeRequest(planned.request).text;
    for (const c of fx.custodians) expect(text).toContain(`WARNING: ${c.name}'s root certificate ends `);
  });

  it('each custodian’s token re-issues a certificate for the same key; the review says so; one signature per custodian meets both policies', async () => {
    const until = new Date(Math.floor(NOW.getTime() / 1000) * 1000 + 12 * YEAR);
    const m = new Map([['root.json', fx.rootV1]]);
    const replace: JsonObject[] = [];
    for (const c of fx.custodians) {
      const cert = await makeNotaryRootCertificate(c.key, { gun: GUN, notBefore: new Date(NOW.getTime() - 60_000), notAfter: until });
      const file = `${c.name.toLowerCase()}-renewed.notary.json`;
      m.set(file, enc.encode(`${JSON.stringify(cert.listed.json, null, 2)}\n`));
      replace.push({ custodian: c.name, by: { name: c.name, keyFile: file, sha256: sha(m.get(file)!) }, reason: 'retired' });
    }
    const planned = planRotation(bytes(rootPlan(formatExpires(new Date(NOW.getTime() + 11 * YEAR)), { replace })), m, NOW);
    const review = describeRequest(planned.request);
    expect(review.text).toContain(`root: Alice's certificate renewed to ${formatExpires(until)}; same key`);
    expect(review.text).not.toContain('REPLACED');
    expect(review.text).not.toContain('WARNING');
    const request = parseSigningRequest(serializeSigningRequest(planned.request));
    const merged = mergeResponses(request, [await signRequest(request, fx.custodians[0]!.key), await signRequest(request, fx.custodians[1]!.key)]);
    expect(merged.final).toBe(true);
    // A client pinned to v1 follows v2 (TUF 5.3.4 with the renewed certificates).
    const repo = verifyRepository({ versionedRoots: new Map([[2, merged.root!]]), delegated: new Map() }, { trustedRoot: fx.rootV1, now: NOW, gun: GUN });
    expect(repo.root.signed.version).toBe(2);
  });
});
