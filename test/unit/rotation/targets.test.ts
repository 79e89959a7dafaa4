/**
 * Targets-level changes (issue #5): targets.json N+1 from a change set (delegations added, removed,
 * re-keyed; keys and targets revoked), the signing request for it, merge against the root's targets role,
 * the review in words, and the snapshot (and TUF timestamp) that publishes it — in both profiles.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { child } from '../../../src/json/fields.js';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import {
  buildSnapshotAfterTargets,
  buildTargetsPayload,
  buildTargetsSigningRequest,
  requestIdForDocument,
  describeRequest,
  finalizeMerge,
  inspectRotationDocument,
  mergeResponses,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
  signSnapshotAfterTargets,
  signTimestampAfterSnapshot,
  type SigningRequest,
  type TargetsChange,
} from '../../../src/rotation/index.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { verifyRepository, type TrustedVersions } from '../../../src/tuf/repository.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';
import { refusal } from '../../support/refusal.js';
import { reviewView } from '../../../electron/main/rotation.js';
import { DEFAULT_CAPS } from '../../../src/tuf/caps.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { requireVerified, verifyRole } from '../../../src/tuf/verify.js';
import { EXPIRES_V2, makeRoleKey, rootFixture, type Custodian, type RootFixture } from './support.js';

const enc = new TextEncoder();
const json = (bytes: Uint8Array): JsonObject => JSON.parse(Buffer.from(bytes).toString('utf8')) as JsonObject;
const hashes = (profile: ProfileName, bytes: Uint8Array): JsonObject => ({ sha256: createHash('sha256').update(bytes).digest(profile === 'tuf' ? 'hex' : 'base64') });

async function signAs(profile: ProfileName, signed: JsonObject, signers: Custodian[]): Promise<Uint8Array> {
  return serializeMetadata(profile, await signMetadata(profile, signed, signers.map((c) => metadataSigner(c.key, c.listed))));
}

interface Fixture {
  fx: RootFixture;
  profile: ProfileName;
  ci: Custodian;
  qa: Custodian;
  security: Custodian;
  /** targets.json v1: one top-level target, delegations `rel` (CI) and `qa` (QA, Security; 1 of 2). */
  targetsV1: Uint8Array;
  rel: string;
  qaRole: string;
}

async function fixture(profile: ProfileName): Promise<Fixture> {
  const fx = await rootFixture(profile);
  const ci = makeRoleKey(profile, 'CI');
  const qa = makeRoleKey(profile, 'QA');
  const security = makeRoleKey(profile, 'Security');
  const rel = profile === 'notary' ? 'targets/releases' : 'releases';
  const qaRole = profile === 'notary' ? 'targets/qa' : 'qa';
  const paths = (p: string[]) => (profile === 'notary' ? [''] : p);
  const role = (name: string, keys: Custodian[], threshold: number, p: string[]): JsonObject => {
    const r: JsonObject = { name, keyids: keys.map((k) => k.listed.keyId), threshold, paths: paths(p) };
    if (profile === 'tuf') r.terminating = false;
    return r;
  };
  const body = enc.encode('app 1.2');
  const signed: JsonObject = {
    _type: profile === 'tuf' ? 'targets' : 'Targets',
    version: 1,
    expires: EXPIRES_V2,
    targets: { 'v1.2': { length: body.length, hashes: hashes(profile, body) } },
    delegations: {
      keys: Object.fromEntries([ci, qa, security].map((k) => [k.listed.keyId, k.listed.json])),
      roles: [role(rel, [ci], 1, ['releases/*']), role(qaRole, [qa, security], 1, ['qa/*'])],
    },
  };
  if (profile === 'tuf') signed.spec_version = '1.0.31';
  return { fx, profile, ci, qa, security, targetsV1: await signAs(profile, signed, [fx.targets]), rel, qaRole };
}

const names = (f: Fixture) => new Map([[f.fx.targets.listed.keyId, 'Alice (targets)'], [f.ci.listed.keyId, 'CI'], [f.qa.listed.keyId, 'QA'], [f.security.listed.keyId, 'Security']]);

function viaFile(r: SigningRequest): SigningRequest {
  return parseSigningRequest(serializeSigningRequest(r), 'targets.request.json');
}

describe.each(['notary', 'tuf'] as const)('targets.json N+1 (%s)', (profile) => {
  it('adds, re-keys, revokes and removes; keys table keeps only used keys; unknown fields carried', async () => {
    const f = await fixture(profile);
    const security2 = makeRoleKey(profile, 'Security 2');
    const newRole = profile === 'notary' ? 'targets/security' : 'security';
    const p = buildTargetsPayload(f.fx.rootV1, f.targetsV1, {
      expires: EXPIRES_V2,
      delegations: {
        add: [{ name: newRole, keys: [{ json: security2.listed.json, name: 'Security 2' }], threshold: 1, paths: profile === 'notary' ? ['security/'] : ['security/*'] }],
        rekey: [{ name: f.rel, keys: [{ json: f.ci.listed.json }, { json: f.qa.listed.json, name: 'QA' }], threshold: 2 }],
        revokeKeys: [{ keyid: f.security.listed.keyId, role: f.qaRole }],
      },
      revokeTargets: ['v1.2'],
    });
    expect(p.targets.version).toBe(2);
    expect([...p.targets.targets.keys()]).toEqual([]);
    const roles = p.targets.delegations!.roles;
    expect(roles.map((r) => [r.name, r.keyids.length, r.threshold])).toEqual([
      [f.rel, 2, 2],
      [f.qaRole, 1, 1],
      [newRole, 1, 1],
    ]);
    // Security's key is no longer used by any role: gone from the table.
    expect([...p.targets.delegations!.keys.keys()].sort()).toEqual([f.ci.listed.keyId, f.qa.listed.keyId, security2.listed.keyId].sort());
    expect(p.removedRoles).toEqual([]);

    const removed = buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2, delegations: { remove: [f.qaRole] } });
    expect(removed.removedRoles).toEqual([f.qaRole]);
    expect([...removed.targets.delegations!.keys.keys()]).toEqual([f.ci.listed.keyId]);

    // revokeKeys without a role: from every delegation listing it.
    const everywhere = buildTargetsPayload(f.fx.rootV1, f.targetsV1, {
      expires: EXPIRES_V2,
      delegations: { rekey: [{ name: f.rel, keys: [{ json: f.ci.listed.json }, { json: f.qa.listed.json }] }], revokeKeys: [{ keyid: f.qa.listed.keyId }] },
    });
    expect(everywhere.targets.delegations!.roles.map((r) => r.keyids)).toEqual([[f.ci.listed.keyId], [f.security.listed.keyId]]);
  });

  it('refusal table: every invalid change has its code and path', async () => {
    const f = await fixture(profile);
    const other = makeRoleKey(profile, 'Other');
    const k = { json: other.listed.json };
    const good = profile === 'notary' ? 'targets/ok' : 'ok';
    const paths = profile === 'notary' ? [''] : ['*'];
    const cases: [string, TargetsChange, string, string][] = [
      ['version skipped', { expires: EXPIRES_V2, version: 3 }, 'VERSION_MISMATCH', '$change.version'],
      ['bad expiry', { expires: 'tomorrow' }, 'DATE_INVALID', '$change.expires'],
      ['add: name exists', { expires: EXPIRES_V2, delegations: { add: [{ name: f.rel, keys: [k], threshold: 1, paths }] } }, 'DELEGATION_EXISTS', '$change.delegations.add[0].name'],
      ['add: unsafe name', { expires: EXPIRES_V2, delegations: { add: [{ name: profile === 'notary' ? 'targets/../x' : '../x', keys: [k], threshold: 1, paths }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].name'],
      ['add: top-level name', { expires: EXPIRES_V2, delegations: { add: [{ name: profile === 'notary' ? 'releases' : 'snapshot', keys: [k], threshold: 1, paths }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].name'],
      ['add: threshold 0', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 0, paths }] } }, 'THRESHOLD_INVALID', '$change.delegations.add[0].threshold'],
      ['add: threshold > keys', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 2, paths }] } }, 'THRESHOLD_INVALID', '$change.delegations.add[0].threshold'],
      ['add: no keys', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [], threshold: 1, paths }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].keys'],
      ['add: same key twice', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k, k], threshold: 1, paths }] } }, 'KEY_DUPLICATE_IN_ROLE', '$change.delegations.add[0].keys[1]'],
      ['add: unknown key type', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [{ json: { keytype: 'dsa', scheme: 'dsa', keyval: { public: 'x' } } }], threshold: 1, paths }] } }, 'KEY_TYPE_UNSUPPORTED', `$change.delegations.add[0].keys[0].${profile === 'tuf' ? 'scheme' : 'keytype'}`],
      ['add: no paths', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 1 }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0]'],
      ['add: empty paths', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 1, paths: [] }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].paths'],
      ['add: path twice', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 1, paths: ['a/', 'a/'] }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].paths[1]'],
      ['add: control character in path', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 1, paths: ['a\nb'] }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].paths[0]'],
      ['remove: unknown', { expires: EXPIRES_V2, delegations: { remove: [good] } }, 'DELEGATION_UNKNOWN', '$change.delegations.remove[0]'],
      ['rekey: unknown', { expires: EXPIRES_V2, delegations: { rekey: [{ name: good, threshold: 1 }] } }, 'DELEGATION_UNKNOWN', '$change.delegations.rekey[0].name'],
      ['rekey: nothing', { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.rel }] } }, 'DELEGATION_INVALID', '$change.delegations.rekey[0]'],
      ['rekey: threshold above keys', { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.rel, threshold: 2 }] } }, 'THRESHOLD_INVALID', '$change.delegations.rekey[0].threshold'],
      ['revoke: key not in role', { expires: EXPIRES_V2, delegations: { revokeKeys: [{ keyid: f.qa.listed.keyId, role: f.rel }] } }, 'DELEGATION_KEY_UNKNOWN', '$change.delegations.revokeKeys[0].keyid'],
      ['revoke: key in no role', { expires: EXPIRES_V2, delegations: { revokeKeys: [{ keyid: other.listed.keyId }] } }, 'DELEGATION_KEY_UNKNOWN', '$change.delegations.revokeKeys[0].keyid'],
      ['revoke: last key of a role', { expires: EXPIRES_V2, delegations: { revokeKeys: [{ keyid: f.ci.listed.keyId }] } }, 'THRESHOLD_INVALID', '$change.delegations.revokeKeys[0]'],
      ['revoke: unknown target', { expires: EXPIRES_V2, revokeTargets: ['releases/v9.tar.gz'] }, 'TARGET_UNKNOWN', '$change.revokeTargets[0]'],
    ];
    if (profile === 'notary') {
      cases.push(
        ['notary: upper case name', { expires: EXPIRES_V2, delegations: { add: [{ name: 'targets/CI', keys: [k], threshold: 1, paths }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].name'],
        ['notary: nested name', { expires: EXPIRES_V2, delegations: { add: [{ name: 'targets/releases/ci', keys: [k], threshold: 1, paths }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].name'],
        ['notary: path hash prefixes', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 1, pathHashPrefixes: ['ab'] }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].pathHashPrefixes'],
        ['notary: terminating', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 1, paths, terminating: true }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].terminating'],
      );
    } else {
      cases.push(
        ['tuf: both paths and prefixes', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 1, paths, pathHashPrefixes: ['ab'] }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0]'],
        ['tuf: non-hex prefix', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 1, pathHashPrefixes: ['xyz'] }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].pathHashPrefixes[0]'],
        ['tuf: empty pattern', { expires: EXPIRES_V2, delegations: { add: [{ name: good, keys: [k], threshold: 1, paths: [''] }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].paths[0]'],
        ['tuf: name with a slash', { expires: EXPIRES_V2, delegations: { add: [{ name: 'a/b', keys: [k], threshold: 1, paths }] } }, 'DELEGATION_INVALID', '$change.delegations.add[0].name'],
      );
    }
    const got = cases.map(([what, change]) => {
      const e = refusal(() => buildTargetsPayload(f.fx.rootV1, f.targetsV1, change));
      return [what, e.code, e.path];
    });
    expect(got).toEqual(cases.map(([what, , code, path]) => [what, code, path]));
  });

  it('refuses a targets.json the root did not sign, and a root not signed by itself', async () => {
    const f = await fixture(profile);
    const forged = await signAs(profile, json(f.targetsV1).signed as JsonObject, [makeRoleKey(profile, 'mallory')]);
    expect(refusal(() => buildTargetsPayload(f.fx.rootV1, forged, { expires: EXPIRES_V2 })).code).toBe('THRESHOLD_NOT_MET');
    const other = await rootFixture(profile);
    expect(refusal(() => buildTargetsPayload(other.rootV1, f.targetsV1, { expires: EXPIRES_V2 })).code).toBe('THRESHOLD_NOT_MET');
  });

  it.runIf(profile === 'tuf')('refuses a path pattern python-tuf and tuf-js read differently; classes both read alike are fine', async () => {
    const f = await fixture(profile);
    const add = (paths: string[]) => () =>
      buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2, delegations: { add: [{ name: 'docs', keys: [{ json: f.qa.listed.json }], threshold: 1, paths }] } });
    const ambiguous = ['{a,b}/*', 'docs/[^a]*', '!x', 'docs/\\*', 'docs/+(a|b)', 'docs/[[:alpha:]]', 'docs/[z-a]', '#x'];
    expect(ambiguous.map((p) => [p, refusal(add([p])).code, refusal(add([p])).path])).toEqual(ambiguous.map((p) => [p, 'DELEGATION_INVALID', '$change.delegations.add[0].paths[0]']));
    expect(add(['docs/v[0-9]*', 'docs/[!.]*', 'docs/a?c'])().targets.delegations!.roles.at(-1)!.paths).toEqual(['docs/v[0-9]*', 'docs/[!.]*', 'docs/a?c']);
  });

  it('a delegation of targets.json N carried unchanged is signed again with a review warning; one the change alters is checked as it writes it', async () => {
    const f = await fixture(profile);
    const signed = json(f.targetsV1).signed as JsonObject;
    const qa = profile === 'notary' ? f.qaRole : 'qa';
    /** targets.json N with the qa role edited, renewed (expiry only), signed by the targets key and merged: the review's lines. */
    const renewed = async (edit: (r: JsonObject) => void): Promise<{ broken: Uint8Array; lines: string[]; app: string[] }> => {
      const copy = JSON.parse(JSON.stringify(signed)) as JsonObject;
      edit(((copy.delegations as JsonObject).roles as JsonObject[])[1]!);
      const broken = await signAs(profile, copy, [f.fx.targets]);
      const request = viaFile(buildTargetsSigningRequest(buildTargetsPayload(f.fx.rootV1, broken, { expires: EXPIRES_V2 }), { repository: 'r' }));
      const merged = finalizeMerge(request, [await signRequest(request, f.fx.targets.key)]);
      // The merged file verifies under the root's targets role and carries the role exactly as N did.
      const md = parseMetadata(merged.bytes!, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: 'targets.json', profile });
      requireVerified(verifyRole(md, 'targets', request.root.roles.get('targets')!, request.root.keys), 'targets.json');
      expect((json(merged.bytes!).signed as JsonObject).delegations).toEqual(copy.delegations);
      // The app's review (electron/main/rotation.ts) lists the same warnings among the changes.
      return { broken, lines: describeRequest(request).lines, app: reviewView(request).changes.filter((c) => c.kind === 'nested-problem').map((c) => c.text) };
    };
    // Clients accept the file (python-tuf, tuf-js and notary check threshold >= 1 only): renewing it is no
    // worse than before, and refusing would let targets.json expire. The co-signer's review says so.
    const threshold = await renewed((r) => (r.threshold = 3)); // qa: 2 keys
    expect(threshold.lines).toContain(`  WARNING: targets.json carries ${qa} unchanged, and this version signs it again as it is: no client will ever verify it: threshold 3 of 2 keys, so no target is ever trusted from it. To correct it, re-key the role in a later change so that it is right as a whole, or remove it.`);
    expect(threshold.app).toEqual(threshold.lines.filter((l) => l.includes('WARNING')).map((l) => l.trim()));
    expect(threshold.app).toHaveLength(1);
    // The change re-keys or removes it: fine. Revoking one of its keys alters it, and is refused.
    expect(buildTargetsPayload(f.fx.rootV1, threshold.broken, { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.qaRole, threshold: 2 }] } }).targets.delegations!.roles[1]!.threshold).toBe(2);
    expect(buildTargetsPayload(f.fx.rootV1, threshold.broken, { expires: EXPIRES_V2, delegations: { remove: [f.qaRole] } }).targets.delegations!.roles).toHaveLength(1);
    const revoked = refusal(() => buildTargetsPayload(f.fx.rootV1, threshold.broken, { expires: EXPIRES_V2, delegations: { revokeKeys: [{ keyid: f.security.listed.keyId, role: f.qaRole }] } }));
    expect([revoked.code, revoked.path]).toEqual(['THRESHOLD_INVALID', '$change.delegations.revokeKeys[0]']);
    if (profile === 'tuf') {
      // A pattern the two clients read differently (path-pattern.ts), carried: an expiry-only renewal goes through.
      const brace = await renewed((r) => (r.paths = ['qa/*', 'qa/{a,b}']));
      expect(brace.lines).toContain('  WARNING: targets.json carries qa unchanged, and this version signs it again as it is: python-tuf and tuf-js read "qa/{a,b}" differently. To correct it, re-key the role in a later change so that it is right as a whole, or remove it.');
      // Re-keying its keys only keeps the pattern in a role this change writes: refused, at the pattern in N.
      const fresh = makeRoleKey(profile, 'QA 2027');
      const rekeyed = refusal(() => buildTargetsPayload(f.fx.rootV1, brace.broken, { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.qaRole, keys: [{ json: fresh.listed.json }] }] } }));
      expect([rekeyed.code, rekeyed.path]).toEqual(['DELEGATION_INVALID', 'targets.json $.signed.delegations.roles[1].paths[1]']);
      expect(rekeyed.message).toMatch(/python-tuf and tuf-js read "qa\/\{a,b\}" differently: write patterns/);
      // Re-keying its paths corrects it.
      expect(buildTargetsPayload(f.fx.rootV1, brace.broken, { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.qaRole, paths: ['qa/*'] }] } }).targets.delegations!.roles[1]!.paths).toEqual(['qa/*']);
      // Clients read "AB" and compare it with lower-case digests: it matches nothing, and the warning says so.
      const upper = await renewed((r) => {
        delete r.paths;
        r.path_hash_prefixes = ['ab', 'AB'];
      });
      expect(upper.lines.join('\n')).toContain('WARNING: targets.json carries qa unchanged, and this version signs it again as it is: a path hash prefix is 1 to 64 lower-case hex digits: "AB" would match no target (clients compare lower-case hex digests).');
      const altered = refusal(() => buildTargetsPayload(f.fx.rootV1, upper.broken, { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.qaRole, threshold: 2 }] } }));
      expect([altered.code, altered.path]).toEqual(['DELEGATION_INVALID', 'targets.json $.signed.delegations.roles[1].path_hash_prefixes[1]']);
      expect(altered.message).toMatch(/write "ab"/);
    }
    // Nothing wrong, nothing warned.
    expect(describeRequest(viaFile(buildTargetsSigningRequest(buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2 }), { repository: 'r' }))).text).not.toContain('WARNING');
  });
});

describe.each(['notary', 'tuf'] as const)('targets signing requests (%s)', (profile) => {
  async function scenario() {
    const f = await fixture(profile);
    const dev = makeRoleKey(profile, 'Dev');
    const payload = buildTargetsPayload(
      f.fx.rootV1,
      f.targetsV1,
      {
        expires: EXPIRES_V2,
        delegations: { rekey: [{ name: f.rel, keys: [{ json: f.ci.listed.json }, { json: dev.listed.json, name: 'Dev' }], threshold: 2 }], remove: [f.qaRole] },
        revokeTargets: ['v1.2'],
      },
      { names: names(f) },
    );
    const request = viaFile(buildTargetsSigningRequest(payload, { repository: 'registry.example.com/org/app' }));
    return { f, dev, payload, request };
  }

  it('round-trips strictly; request ID covers payload, root and previous targets', async () => {
    const { f, request } = await scenario();
    expect(request.role).toBe('targets');
    expect(request.expectedSigners).toEqual([{ keyid: f.fx.targets.listed.keyId, name: 'Alice (targets)', from: 'targets' }]);
    const doc = json(serializeSigningRequest(request));
    expect(Object.keys(doc).sort()).toEqual(['expectedSigners', 'format', 'keyNames', 'payload', 'policy', 'previousRoot', 'previousTargets', 'profile', 'repository', 'requestId', 'role', 'version']);
    expect(doc.policy).toEqual({ targets: { keyids: [f.fx.targets.listed.keyId], threshold: 1 } });
    expect(Buffer.from(serializeSigningRequest(viaFile(request))).equals(Buffer.from(serializeSigningRequest(request)))).toBe(true);

    const other = await fixture(profile);
    const edits: [string, (d: JsonObject) => void, string, string][] = [
      ['unknown field', (d) => (d.extra = 1), 'SCHEMA_INVALID', '$.extra'],
      ['payload changed', (d) => ((d.payload as JsonObject).expires = EXPIRES_V2.replace(/^\d{4}/, '2090')), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['previous targets swapped', (d) => (d.previousTargets = Buffer.from(other.targetsV1).toString('base64')), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['previous root swapped', (d) => (d.previousRoot = Buffer.from(other.fx.rootV1).toString('base64')), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['policy changed', (d) => (((d.policy as JsonObject).targets as JsonObject).threshold = 2), 'ROTATION_REQUEST_TAMPERED', '$.policy'],
      ['root policy shape', (d) => (d.policy = { previous: { keyids: [], threshold: 1 }, new: { keyids: [], threshold: 1 } }), 'SCHEMA_INVALID', '$.policy.previous'],
      ['signer from root', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).from = 'new'), 'SCHEMA_INVALID', '$.expectedSigners[0].from'],
      ['signer not a targets key (re-hashed)', (d) => ((((d.expectedSigners as JsonObject[])[0] as JsonObject).keyid = f.ci.listed.keyId), (d.requestId = requestIdForDocument(d))), 'ROTATION_REQUEST_TAMPERED', '$.expectedSigners[0]'],
      // The repository and the signers' names are shown in the review: bound into the request ID too.
      ['repository relabelled', (d) => (d.repository = 'throw-away test repo'), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['signer renamed', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).name = 'Mallory'), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      // Names are bound into the request ID: renamed, added or dropped after export → tampered.
      ['key renamed', (d) => ((d.keyNames as JsonObject)[f.ci.listed.keyId] = 'Mallory'), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['name for another key', (d) => ((d.keyNames as JsonObject)[f.fx.snapshot.listed.keyId] = 'x'), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['names dropped', (d) => delete d.keyNames, 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['name not a string', (d) => ((d.keyNames as JsonObject)[f.ci.listed.keyId] = 1), 'SCHEMA_INVALID', child('$.keyNames', f.ci.listed.keyId)],
      ['bad base64', (d) => (d.previousTargets = '***'), 'SCHEMA_INVALID', '$.previousTargets'],
    ];
    const got = edits.map(([what, edit]) => {
      const d = json(serializeSigningRequest(request));
      edit(d);
      const e = refusal(() => parseSigningRequest(enc.encode(JSON.stringify(d))));
      return [what, e.code, e.path];
    });
    expect(got).toEqual(edits.map(([what, , code, path]) => [what, code, path]));
  });

  it('refuses at review a payload delegation whose threshold its keys cannot meet, and (TUF) a hash prefix no digest starts with (re-hashed)', async () => {
    const { request } = await scenario();
    const edited = (fn: (roles: JsonObject[]) => void) => {
      const d = json(serializeSigningRequest(request));
      fn(((d.payload as JsonObject).delegations as JsonObject).roles as JsonObject[]);
      d.requestId = requestIdForDocument(d);
      return refusal(() => parseSigningRequest(enc.encode(JSON.stringify(d))));
    };
    const t = edited((roles) => (roles[0]!.threshold = (roles[0]!.keyids as string[]).length + 1));
    expect([t.code, t.path]).toEqual(['THRESHOLD_INVALID', '$.payload.delegations.roles[0].threshold']);
    expect(t.message).toMatch(/can never be met/);
    if (profile === 'tuf') {
      const p = edited((roles) => {
        delete roles[0]!.paths;
        roles[0]!.path_hash_prefixes = ['0f', '0F'];
      });
      expect([p.code, p.path]).toEqual(['DELEGATION_INVALID', '$.payload.delegations.roles[0].path_hash_prefixes[1]']);
    }
  });

  it('refuses a payload that skips a version, and a previous targets.json the root did not sign (re-hashed, so not "tampered")', async () => {
    const { f, request } = await scenario();
    const rehash = async (edit: (d: JsonObject) => Promise<void> | void) => {
      const d = json(serializeSigningRequest(request));
      await edit(d);
      d.requestId = requestIdForDocument(d);
      return refusal(() => parseSigningRequest(enc.encode(JSON.stringify(d))));
    };
    expect((await rehash((d) => void ((d.payload as JsonObject).version = 3))).code).toBe('VERSION_MISMATCH');
    // A name for a key no delegation lists, even re-hashed.
    const unknown = await rehash((d) => void ((d.keyNames as JsonObject)[f.fx.snapshot.listed.keyId] = 'x'));
    expect([unknown.code, unknown.path]).toEqual(['ROTATION_REQUEST_TAMPERED', child('$.keyNames', f.fx.snapshot.listed.keyId)]);
    const forged = await signAs(profile, json(f.targetsV1).signed as JsonObject, [makeRoleKey(profile, 'mallory')]);
    const e = await rehash((d) => void (d.previousTargets = Buffer.from(forged).toString('base64')));
    expect([e.code, e.path]).toEqual(['THRESHOLD_NOT_MET', '$.previousTargets']);
  });

  it('describes the change in words', async () => {
    const { f, request } = await scenario();
    const d = describeRequest(request);
    expect(d.role).toBe('targets');
    expect([d.fromVersion, d.toVersion]).toEqual([1, 2]);
    expect(d.changes).toEqual([]);
    expect(d.targetsChanges.map((c) => c.kind)).toEqual(['delegation-removed', 'delegation-key-added', 'delegation-threshold', 'target-removed']);
    expect(d.text).toContain(`delegation ${f.qaRole} REMOVED`);
    expect(d.text).toMatch(new RegExp(`${f.rel} GAINS key [0-9a-f]{12}… \\(fingerprint [0-9a-f ]+\\) named \"Dev\"`));
    expect(d.text).toContain(`${f.rel} threshold changes from 1 of 1 to 2 of 2`);
    expect(d.text).toContain('target "v1.2" REVOKED');
    expect(d.text).toMatch(/needs 1 of 1 targets keys of root version 1 \(key [0-9a-f]{8}… "Alice \(targets\)"\)/);
    expect(d.text).toMatch(/short hash [0-9a-f ]+ — read aloud: \w+/);
    const inspected = inspectRotationDocument(serializeSigningRequest(request), 'targets.request.json')!;
    expect(inspected.kind).toBe('signing-request');
    expect(inspected.text).toMatch(/  key [0-9a-f]{12}… named "Alice \(targets\)"  \(targets key/);
    expect(inspected.text).toContain('(targets key of root version 1)');

    const added = buildTargetsPayload(f.fx.rootV1, f.targetsV1, {
      expires: EXPIRES_V2,
      delegations: { add: [{ name: profile === 'notary' ? 'targets/ci' : 'ci', keys: [{ json: makeRoleKey(profile, 'x').listed.json, name: 'CI bot' }], threshold: 1, paths: profile === 'notary' ? [''] : ['ci/*'] }] },
    });
    const text = describeRequest(viaFile(buildTargetsSigningRequest(added, { repository: 'r' }))).text;
    expect(text).toContain(`delegation ${profile === 'notary' ? 'targets/ci' : 'ci'} ADDED, threshold 1 of 1: key`);
    expect(text).toMatch(/ADDED, threshold 1 of 1: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named "CI bot"/);
    expect(text).toContain(profile === 'notary' ? 'trusted for every path' : 'trusted for paths "ci/*"');
  });

  it('signs with the targets key, merges to targets.json N+1 verified against the root; refuses strangers, duplicates, other requests', async () => {
    const { f, request, payload } = await scenario();
    const response = parseSignatureResponse(serializeSignatureResponse(await signRequest(request, f.fx.targets.key)));
    expect(response.signatures.map((s) => s.keyid)).toEqual([f.fx.targets.listed.keyId]);
    const none = mergeResponses(request, []);
    expect(none.final).toBe(false);
    expect(none.status).toBe('0 of 1 targets keys; waiting for: Alice (targets) (targets)');
    expect(refusal(() => finalizeMerge(request, [])).code).toBe('THRESHOLD_NOT_MET');
    const merged = finalizeMerge(request, [response]);
    expect(merged.role).toBe('targets');
    expect(merged.version).toBe(2);
    expect(merged.status).toBe('1 of 1 targets keys: threshold met, targets version 2 is complete');
    expect(Buffer.from(merged.root).equals(Buffer.from(merged.bytes!))).toBe(true);
    expect(json(merged.bytes!).signed).toEqual(payload.signed);

    // A root key (Alice's custodian key) has nothing to sign here.
    await expect(signRequest(request, f.fx.custodians[0]!.key)).rejects.toMatchObject({ code: 'ROTATION_SIGNER_UNKNOWN' });
    const bySnapshot = { ...response, signatures: [{ ...response.signatures[0]!, keyid: f.fx.snapshot.listed.keyId }] };
    expect(refusal(() => mergeResponses(request, [bySnapshot])).code).toBe('ROTATION_SIGNER_UNKNOWN');
    expect(refusal(() => mergeResponses(request, [response, response])).code).toBe('ROTATION_SIGNATURE_DUPLICATE');
    expect(refusal(() => mergeResponses(request, [{ ...response, requestId: 'a'.repeat(64) }])).code).toBe('ROTATION_RESPONSE_MISMATCH');
    const flipped = { ...response, signatures: [{ ...response.signatures[0]!, sig: (await signRequest(viaFile(buildTargetsSigningRequest(buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2 }), { repository: 'r' })), f.fx.targets.key)).signatures[0]!.sig }] };
    expect(refusal(() => mergeResponses(request, [flipped])).code).toBe('ROTATION_SIGNATURE_INVALID');
  });
});

it('refuses to build a targets request over the request cap (it carries targets.json N and N+1)', async () => {
  const fx = await rootFixture('tuf');
  const many: JsonObject = {};
  const entry = { length: 1, hashes: { sha256: 'ab'.repeat(32) } };
  for (let i = 0; i < 20_000; i++) many[`releases/app-${i}.tar.gz`] = entry;
  const big = await signAs('tuf', { _type: 'targets', spec_version: '1.0.31', version: 1, expires: EXPIRES_V2, targets: many }, [fx.targets]);
  expect(big.length).toBeGreaterThan(2_000_000);
  const payload = buildTargetsPayload(fx.rootV1, big, { expires: EXPIRES_V2, revokeTargets: ['releases/app-0.tar.gz'] });
  expect(refusal(() => buildTargetsSigningRequest(payload, { repository: 'r' })).code).toBe('INPUT_TOO_LARGE');
}, 60_000);

describe.each(['notary', 'tuf'] as const)('snapshot (and TUF timestamp) after a targets change (%s)', (profile) => {
  it('lists root (Notary) and targets over their bytes, keeps entries of roles still delegated and (TUF 5.5.5) of removed ones', async () => {
    const f = await fixture(profile);
    const { fx } = f;
    const roleFile = async (signers: Custodian[]) => {
      const s: JsonObject = { _type: profile === 'tuf' ? 'targets' : 'Targets', version: 1, expires: EXPIRES_V2, targets: {} };
      if (profile === 'tuf') s.spec_version = '1.0.31';
      else s.delegations = { keys: {}, roles: [] };
      return signAs(profile, s, signers);
    };
    const relFile = await roleFile([f.ci]);
    const qaFile = await roleFile([f.qa]);
    const snap1 = await signSnapshotAfterTargets({ root: fx.rootV1, targets: f.targetsV1, delegated: new Map([[f.rel, relFile], [f.qaRole, qaFile]]), expires: EXPIRES_V2 }, [metadataSigner(fx.snapshot.key, fx.snapshot.listed)]);
    expect(snap1.version).toBe(1);
    const metaKey = (r: string) => (profile === 'tuf' ? `${r}.json` : r);
    expect(Object.keys((json(snap1.bytes).signed as JsonObject).meta as JsonObject).sort()).toEqual((profile === 'notary' ? ['root', 'targets', f.rel, f.qaRole] : [metaKey('targets'), metaKey(f.rel), metaKey(f.qaRole)]).sort());

    // targets v2: qa removed, releases re-keyed to QA's key (CI's file no longer verifies).
    const payload = buildTargetsPayload(fx.rootV1, f.targetsV1, { expires: EXPIRES_V2, delegations: { remove: [f.qaRole], rekey: [{ name: f.rel, keys: [{ json: f.qa.listed.json }] }] } });
    const request = viaFile(buildTargetsSigningRequest(payload, { repository: 'r' }));
    const targetsV2 = finalizeMerge(request, [await signRequest(request, fx.targets.key)]).root;
    const built = buildSnapshotAfterTargets({ root: fx.rootV1, targets: targetsV2, previousSnapshot: snap1.bytes, delegated: new Map([[f.rel, relFile]]), expires: EXPIRES_V2 });
    expect(built.version).toBe(2);
    expect([built.orphaned, built.unverified]).toEqual([[f.qaRole], [f.rel]]);
    // CI's file no longer verifies: snapshot N's entry for it stays (clients refuse the file by its
    // signatures); qa's entry stays too, unchanged (a client refuses a snapshot that drops it, TUF 5.5.5).
    const meta1 = (json(snap1.bytes).signed as JsonObject).meta as JsonObject;
    const meta2 = built.signed.meta as JsonObject;
    expect(Object.keys(meta2).sort()).toEqual(Object.keys(meta1).sort());
    expect(meta2[metaKey(f.rel)]).toEqual(meta1[metaKey(f.rel)]);
    expect(meta2[metaKey(f.qaRole)]).toEqual(meta1[metaKey(f.qaRole)]);

    // The new delegate signs its file: listed, and the whole repository verifies from the root.
    const relV2 = await roleFile([f.qa]);
    const snap2 = await signSnapshotAfterTargets({ root: fx.rootV1, targets: targetsV2, previousSnapshot: snap1.bytes, delegated: new Map([[f.rel, relV2]]), expires: EXPIRES_V2 }, [metadataSigner(fx.snapshot.key, fx.snapshot.listed)]);
    expect([snap2.orphaned, snap2.unverified]).toEqual([[f.qaRole], []]);
    expect(((snap2.signed.meta as JsonObject)[metaKey(f.rel)] as JsonObject).length).toBe(relV2.length);
    let timestamp: Uint8Array | undefined;
    if (profile === 'tuf') {
      const ts1 = await signTimestampAfterSnapshot({ root: fx.rootV1, snapshot: snap1.bytes, expires: EXPIRES_V2 }, [metadataSigner(fx.timestamp.key, fx.timestamp.listed)]);
      const ts2 = await signTimestampAfterSnapshot({ root: fx.rootV1, snapshot: snap2.bytes, previousTimestamp: ts1.bytes, expires: EXPIRES_V2 }, [metadataSigner(fx.timestamp.key, fx.timestamp.listed)]);
      expect(ts2.version).toBe(2);
      timestamp = ts2.bytes;
    }
    // A site that installed snapshot 1 (listing qa) accepts snapshot 2: nothing it listed disappeared.
    const installed: TrustedVersions = { root: 1, snapshot: 1, snapshotMeta: profile === 'tuf' ? { targets: 1, [f.rel]: 1, [f.qaRole]: 1 } : {} };
    const repo = verifyRepository(
      { versionedRoots: new Map(), root: fx.rootV1, targets: targetsV2, snapshot: snap2.bytes, ...(timestamp ? { timestamp } : {}), delegated: new Map([[f.rel, relV2]]) },
      { trustedRoot: fx.rootV1, now: new Date(), installed, ...(profile === 'notary' ? { gun: 'registry.example.com/org/app' } : {}) },
    );
    expect([...repo.delegated.keys()]).toEqual([f.rel]);
    expect(repo.targets!.md.signed.version).toBe(2);

    // Signed only by the root's snapshot keys.
    await expect(signSnapshotAfterTargets({ root: fx.rootV1, targets: targetsV2, expires: EXPIRES_V2 }, [metadataSigner(fx.targets.key, fx.targets.listed)])).rejects.toMatchObject({ code: 'ROTATION_SIGNER_UNKNOWN' });
  });
});
