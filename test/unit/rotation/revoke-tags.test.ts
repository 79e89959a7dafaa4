/**
 * "Revoke these tags too" (issue #14, src/rotation/revoke-tags.ts): a delegation re-key (targets.json N+1,
 * signed by the targets key) and the role's own file N+1 without the tags the old key pushed (signed by the
 * key that remains, at targets.json N+1's threshold) in ONE request — built, read back from its file,
 * reviewed in words (both parts, who signs which, the tags removed by name, size and short hash, what a
 * client sees), signed part by part and merged into both files; a half-signed set refused with its own
 * code; and a table of invalid inputs, each with its code. Both profiles.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/json/types.js';
import {
  buildTargetsPayload,
  buildTargetsSigningRequest,
  describeRequest,
  finalizeMerge,
  mergeResponses,
  notFinalRefusal,
  parseSigningRequest,
  serializeSigningRequest,
  signRequest,
  type SigningRequest,
  type TargetsChange,
} from '../../../src/rotation/index.js';
import { requestIdForDocument } from '../../../src/rotation/request.js';
import type { RevokeTagsChange } from '../../../src/rotation/revoke-tags.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRole } from '../../../src/tuf/verify.js';
import { refusal } from '../../support/refusal.js';
import { EXPIRES_V1, EXPIRES_V2, GUN, makeRoleKey } from './support.js';
import { fixture, type Fixture } from './revoke-tags-support.js';

const enc = new TextEncoder();

/** The re-key: CI's key leaves `rel`, CI 2 stays, threshold 1. */
const rekey = (f: Fixture): TargetsChange => ({ expires: EXPIRES_V2, delegations: { revokeKeys: [{ keyid: f.ci.listed.keyId, role: f.rel }] } });

function requestOf(f: Fixture, revokeTags: RevokeTagsChange | undefined, change: TargetsChange = rekey(f), files = new Map([[f.rel, f.releasesV1]])): SigningRequest {
  const payload = buildTargetsPayload(f.fx.rootV1, f.targetsV1, change, { names: new Map([[f.fx.targets.listed.keyId, 'Alice (targets)'], [f.ci2.listed.keyId, 'CI 2']]) });
  return buildTargetsSigningRequest(payload, { repository: GUN, delegatedFiles: files, ...(revokeTags ? { revokeTags } : {}) });
}

const viaFile = (r: SigningRequest): SigningRequest => parseSigningRequest(serializeSigningRequest(r), 'revoke.request.json');

describe.each(['notary', 'tuf'] as const)('revoke these tags too (%s)', (profile) => {
  it('one request, two parts: reviewed in words, each signed by its keys, merged into both files that verify as a client verifies them', async () => {
    const f = await fixture(profile);
    const request = viaFile(requestOf(f, { role: f.rel, targets: ['releases/v2.tar.gz'] }));
    expect(request.revokeTags!.removed).toEqual(['releases/v2.tar.gz']);
    expect(request.revokeTags!.expectedSigners).toEqual([{ keyid: f.ci2.listed.keyId, name: 'CI 2', from: 'targets' }]);

    const review = describeRequest(request);
    const sha = createHash('sha256').update(f.v2).digest('hex');
    expect(review.lines[0]).toContain(`in two parts: targets version 1 → 2, and delegated role ${f.rel} (its own file, ${f.rel}.json) version 1 → 2 with 1 target revoked`);
    expect(review.text).toContain('Part 1 of 2 — targets.json, signed by the targets keys:');
    expect(review.text).toContain(`Part 2 of 2 — ${f.rel}.json, signed by the keys of ${f.rel} as targets.json version 2 lists them`);
    expect(review.text).toContain(`target "releases/v2.tar.gz" REVOKED (removed from ${f.rel}.json): it was ${f.v2.length} bytes, sha256 ${sha.slice(0, 16)}…`);
    expect(review.text).toContain(`${f.rel} keeps 1 target: "releases/v1.tar.gz"`);
    expect(review.text).toContain(`part 2 revokes 1 of them`);
    expect(review.text).toContain(`Who signs which part: targets.json — key ${f.fx.targets.listed.keyId.slice(0, 8)}… "Alice (targets)"; ${f.rel}.json — key ${f.ci2.listed.keyId.slice(0, 8)}… "CI 2"`);
    expect(review.text).toContain('What a client sees afterwards: once both files are published together, the 1 revoked target is no longer trusted');
    expect(review.text).not.toContain('NOT revoked');
    expect(review.revokeTags).toMatchObject({ role: f.rel, fromVersion: 1, toVersion: 2, removed: [{ name: 'releases/v2.tar.gz', length: f.v2.length, sha256: sha }], kept: ['releases/v1.tar.gz'] });
    // Two parts, two byte strings to sign, each with its own short hash in the review.
    expect(review.revokeTags!.digest.sha256).toBe(request.revokeTags!.payloadSha256);
    expect(review.digest.sha256).toBe(request.payloadSha256);
    expect(review.lines.filter((l) => l.includes('Bytes to sign: SHA-256'))).toHaveLength(2);

    // The leaked key signs nothing here; the targets key signs part 1, CI 2 part 2.
    await expect(signRequest(request, f.ci.key)).rejects.toMatchObject({ code: 'ROTATION_SIGNER_UNKNOWN' });
    const byTargets = await signRequest(request, f.fx.targets.key);
    const byCi2 = await signRequest(request, f.ci2.key);
    expect(byTargets.payloadSha256).toBe(request.payloadSha256);
    expect(byCi2.payloadSha256).toBe(request.revokeTags!.payloadSha256);
    expect(byCi2.requestId).toBe(request.requestId);

    // Half signed, either way round: MERGE_HALF_SIGNED, no bytes; nothing signed: THRESHOLD_NOT_MET.
    for (const half of [[byTargets], [byCi2]]) {
      const r = mergeResponses(request, half);
      expect([r.final, r.bytes, r.revokeTags!.bytes]).toEqual([false, undefined, undefined]);
      expect(r.status).toContain('one part is complete and the other is not');
      expect(refusal(() => finalizeMerge(request, half)).code).toBe('MERGE_HALF_SIGNED');
    }
    expect(notFinalRefusal(mergeResponses(request, [])).code).toBe('THRESHOLD_NOT_MET');

    const merged = finalizeMerge(request, [byCi2, byTargets]);
    const targetsV2 = parseMetadata(merged.bytes!, 'targets', { maxBytes: 1 << 20, source: 'targets v2', profile });
    expect(verifyRole(targetsV2, 'targets', f.fx.rootV1 && request.root.roles.get('targets')!, request.root.keys).verified).toBe(true);
    const relV2 = parseMetadata(merged.revokeTags!.bytes!, 'targets', { maxBytes: 1 << 20, source: 'rel v2', profile });
    const entry = targetsV2.signed.delegations!.roles.find((r) => r.name === f.rel)!;
    // TUF 5.6.7: the new file verifies under targets.json N+1's delegation, and lists only what it keeps.
    expect(verifyRole(relV2, f.rel, entry, targetsV2.signed.delegations!.keys).verified).toBe(true);
    expect([...relV2.signed.targets.keys()]).toEqual(['releases/v1.tar.gz']);
    expect(relV2.signed.version).toBe(2);
    expect(relV2.signed.expiresText).toBe(EXPIRES_V1); // the current expiry kept when none is given
  });

  it('refusals, each with its code', async () => {
    const f = await fixture(profile);
    const other = makeRoleKey(profile, 'Other');
    const cases: [string, () => unknown, string][] = [
      ['a target the file does not list', () => requestOf(f, { role: f.rel, targets: ['releases/v9.tar.gz'] }), 'TARGET_UNKNOWN'],
      ['no target named', () => requestOf(f, { role: f.rel, targets: [] }), 'REVOKE_TAGS_INVALID'],
      ['a role targets.json does not delegate', () => requestOf(f, { role: profile === 'notary' ? 'targets/qa' : 'qa', targets: ['releases/v2.tar.gz'] }), 'REVOKE_TAGS_INVALID'],
      ['the current file not carried', () => requestOf(f, { role: f.rel, targets: ['releases/v2.tar.gz'] }, rekey(f), new Map()), 'REVOKE_TAGS_INVALID'],
      ['the change takes no key from the role', () => requestOf(f, { role: f.rel, targets: ['releases/v2.tar.gz'] }, { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.rel, keys: [{ json: f.ci.listed.json }, { json: f.ci2.listed.json }, { json: other.listed.json }] }] } }), 'REVOKE_TAGS_INVALID'],
      ['the change removes the delegation', () => requestOf(f, { role: f.rel, targets: ['releases/v2.tar.gz'] }, { expires: EXPIRES_V2, delegations: { remove: [f.rel] } }), 'REVOKE_TAGS_INVALID'],
      ['a bad expiry', () => requestOf(f, { role: f.rel, targets: ['releases/v2.tar.gz'], expires: 'next week' }), 'DATE_INVALID'],
      ['a target named twice', () => requestOf(f, { role: f.rel, targets: ['releases/v2.tar.gz', 'releases/v2.tar.gz'] }), 'USAGE'],
    ];
    for (const [what, fn, code] of cases) expect([what, refusal(fn).code], what).toEqual([what, code]);
  });

  it('an edited request document: each edit refused with its code', async () => {
    const f = await fixture(profile);
    const request = requestOf(f, { role: f.rel, targets: ['releases/v2.tar.gz'] });
    const doc = (): JsonObject => JSON.parse(new TextDecoder().decode(serializeSigningRequest(request))) as JsonObject;
    const parse = (d: JsonObject) => () => parseSigningRequest(enc.encode(JSON.stringify(d)), 'edited.json');
    /** Edit, then recompute the ID as anyone can: the semantic checks must catch what the hash cannot. */
    const reId = (d: JsonObject): JsonObject => ({ ...d, requestId: requestIdForDocument(d) });
    const part = (d: JsonObject) => d.revokeTags as JsonObject;
    const payloadOf = (d: JsonObject) => part(d).payload as JsonObject;
    const cases: [string, () => unknown, string][] = [
      ['part payload edited, ID kept', parse((() => { const d = doc(); payloadOf(d).expires = EXPIRES_V2; return d; })()), 'ROTATION_REQUEST_TAMPERED'],
      ['part signer renamed, ID kept', parse((() => { const d = doc(); (part(d).expectedSigners as JsonObject[])[0]!.name = 'Mallory'; return d; })()), 'ROTATION_REQUEST_TAMPERED'],
      ['part removed, ID kept', parse((() => { const d = doc(); delete d.revokeTags; return d; })()), 'ROTATION_REQUEST_TAMPERED'],
      ['a target ADDED in the part (ID recomputed)', parse(reId((() => { const d = doc(); (payloadOf(d).targets as JsonObject)['releases/v3.tar.gz'] = (payloadOf(d).targets as JsonObject)['releases/v1.tar.gz']!; return d; })())), 'REVOKE_TAGS_INVALID'],
      ['nothing removed (ID recomputed)', parse(reId((() => { const d = doc(); payloadOf(d).targets = JSON.parse(Buffer.from(((d.delegatedFiles as JsonObject)[f.rel] as string), 'base64').toString('utf8')).signed.targets; return d; })())), 'REVOKE_TAGS_INVALID'],
      ['another field changed (ID recomputed)', parse(reId((() => { const d = doc(); payloadOf(d).custom_field = 1; return d; })())), 'REVOKE_TAGS_INVALID'],
      ['version skipped (ID recomputed)', parse(reId((() => { const d = doc(); payloadOf(d).version = 3; return d; })())), 'VERSION_MISMATCH'],
      ['the leaked key listed as a signer (ID recomputed)', parse(reId((() => { const d = doc(); (part(d).expectedSigners as JsonObject[]).push({ keyid: f.ci.listed.keyId, name: 'CI', from: 'targets' }); return d; })())), 'ROTATION_REQUEST_TAMPERED'],
      ['policy threshold raised (ID recomputed)', parse(reId((() => { const d = doc(); (part(d).policy as JsonObject).threshold = 2; return d; })())), 'ROTATION_REQUEST_TAMPERED'],
      ['the current file dropped (ID recomputed)', parse(reId((() => { const d = doc(); delete d.delegatedFiles; return d; })())), 'REVOKE_TAGS_INVALID'],
      ['an unknown field in the part', parse((() => { const d = doc(); part(d).extra = true; return d; })()), 'SCHEMA_INVALID'],
      ['a signer from another side', parse((() => { const d = doc(); (part(d).expectedSigners as JsonObject[])[0]!.from = 'new'; return d; })()), 'SCHEMA_INVALID'],
    ];
    for (const [what, fn, code] of cases) expect([what, refusal(fn).code], what).toEqual([what, code]);
  });

  it('a response to the part signed over other bytes, or for another request, is refused by merge', async () => {
    const f = await fixture(profile);
    const request = viaFile(requestOf(f, { role: f.rel, targets: ['releases/v2.tar.gz'] }));
    const plain = viaFile(requestOf(f, undefined));
    const byCi2 = await signRequest(request, f.ci2.key);
    const byTargets = await signRequest(request, f.fx.targets.key);
    expect(refusal(() => mergeResponses(request, [byTargets, { ...byCi2, requestId: plain.requestId }])).code).toBe('ROTATION_RESPONSE_MISMATCH');
    // CI 2's signature moved onto the targets part: not a targets key.
    expect(refusal(() => mergeResponses(request, [byTargets, { ...byCi2, payloadSha256: request.payloadSha256 }])).code).toBe('ROTATION_SIGNER_UNKNOWN');
    // The targets key's signature moved onto the part: not a key of the role.
    expect(refusal(() => mergeResponses(request, [byCi2, { ...byTargets, payloadSha256: request.revokeTags!.payloadSha256 }])).code).toBe('ROTATION_SIGNER_UNKNOWN');
  });
});
