/**
 * A delegated role's own file through request → co-sign → merge (issues #14 and #15): renewal of its
 * expiry alone, target files added / updated / removed inside the delegation's paths, signed by the
 * delegate's keys as targets.json lists them — in both profiles; the review's words, the request's
 * tamper checks, and each refusal with its code.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { buildDelegatedPayload, delegationCovers } from '../../../src/rotation/delegated-payload.js';
import { segmentMatches } from '../../../src/tuf/path-pattern.js';
import { buildDelegatedSigningRequest, requestIdForDocument } from '../../../src/rotation/request.js';
import { buildTargetsPayload, buildTargetsSigningRequest, describeRequest, finalizeMerge, mergeResponses, parseSigningRequest, serializeSigningRequest, signRequest, type SigningRequest } from '../../../src/rotation/index.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';
import { verifyRole } from '../../../src/tuf/verify.js';
import { refusal } from '../../support/refusal.js';
import { EXPIRES_V1, EXPIRES_V2, GUN, makeRoleKey, rootFixture, type Custodian, type RootFixture } from './support.js';

const enc = new TextEncoder();
const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function signAs(profile: ProfileName, signed: JsonObject, signers: Custodian[]): Promise<Uint8Array> {
  return serializeMetadata(profile, await signMetadata(profile, signed, signers.map((c) => metadataSigner(c.key, c.listed))));
}

interface Fixture {
  fx: RootFixture;
  profile: ProfileName;
  ci: Custodian;
  ci2: Custodian;
  targetsV1: Uint8Array;
  releasesV1: Uint8Array;
  rel: string;
}

/** targets.json v1 delegates `rel` (releases/…) to CI and CI 2, 2 of 2; the role's file v1 lists one release. */
async function fixture(profile: ProfileName): Promise<Fixture> {
  const fx = await rootFixture(profile);
  const ci = makeRoleKey(profile, 'CI');
  const ci2 = makeRoleKey(profile, 'CI 2');
  const rel = profile === 'notary' ? 'targets/releases' : 'releases';
  const role: JsonObject = { name: rel, keyids: [ci.listed.keyId, ci2.listed.keyId], threshold: 2, paths: [profile === 'notary' ? 'releases/' : 'releases/*'] };
  if (profile === 'tuf') role.terminating = false;
  const common = (type: string): JsonObject => ({ _type: profile === 'tuf' ? type : type[0]!.toUpperCase() + type.slice(1), version: 1, expires: EXPIRES_V1, ...(profile === 'tuf' ? { spec_version: '1.0.31' } : {}) });
  const targets: JsonObject = { ...common('targets'), targets: {}, delegations: { keys: { [ci.listed.keyId]: ci.listed.json, [ci2.listed.keyId]: ci2.listed.json }, roles: [role] } };
  const one = enc.encode('release 1');
  const enc64 = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest(profile === 'tuf' ? 'hex' : 'base64');
  const releases: JsonObject = { ...common('targets'), targets: { 'releases/v1.tar.gz': { length: one.length, hashes: { sha256: enc64('sha256', one) }, custom: { tag: 'v1' } } } };
  if (profile === 'notary') releases.delegations = { keys: {}, roles: [] };
  return { fx, profile, ci, ci2, rel, targetsV1: await signAs(profile, targets, [fx.targets]), releasesV1: await signAs(profile, releases, [ci, ci2]) };
}

const viaFile = (r: SigningRequest): SigningRequest => parseSigningRequest(serializeSigningRequest(r), 'delegated.request.json');
const names = (f: Fixture) => new Map([[f.ci.listed.keyId, 'CI'], [f.ci2.listed.keyId, 'CI 2']]);

describe.each(['notary', 'tuf'] as const)('delegated role requests (%s)', (profile) => {
  it('renewal alone: request → both delegate keys sign → merge; the file verifies under the delegation; the review says what changes', async () => {
    const f = await fixture(profile);
    const payload = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, f.rel, { expires: EXPIRES_V2 });
    const request = viaFile(buildDelegatedSigningRequest(payload, { repository: GUN, names: names(f) }));
    expect(request.delegation!.name).toBe(f.rel);
    expect(request.expectedSigners.map((s) => s.name)).toEqual(['CI', 'CI 2']);
    const review = describeRequest(request);
    expect(review.delegation).toBe(f.rel);
    expect(review.lines[0]).toContain(`delegated role ${f.rel} (its own file, ${f.rel}.json) version 1 → 2`);
    expect(review.lines).toContain(`  ${f.rel} expiry changes from ${EXPIRES_V1} to ${EXPIRES_V2}`);
    expect(review.policy).toContain(`needs 2 of 2 keys of ${f.rel} as targets.json version 1 delegates it`);

    // A targets key is not a signer of the delegated file.
    await expect(signRequest(request, f.fx.targets.key)).rejects.toMatchObject({ code: 'ROTATION_SIGNER_UNKNOWN' });
    const r1 = await signRequest(request, f.ci.key);
    const partial = mergeResponses(request, [r1]);
    expect(partial.final).toBe(false);
    expect(partial.status).toContain('waiting for: CI 2');
    expect(refusal(() => finalizeMerge(request, [r1])).code).toBe('THRESHOLD_NOT_MET');
    const merged = finalizeMerge(request, [r1, await signRequest(request, f.ci2.key)]);
    expect(merged.delegation).toBe(f.rel);
    const md = parseMetadata(merged.bytes!, 'targets', { maxBytes: 1 << 20, source: 'merged', profile });
    expect(md.signed.version).toBe(2);
    expect(md.signed.expiresText).toBe(EXPIRES_V2);
    expect(md.signed.targets.get('releases/v1.tar.gz')!.custom).toEqual({ tag: 'v1' });
    expect(verifyRole(md, f.rel, payload.role, payload.delegator.signed.delegations!.keys).verified).toBe(true);
  });

  it('target files: add, update (custom kept), remove; each with size and short hash; a target outside the paths is refused', async () => {
    const f = await fixture(profile);
    const two = enc.encode('release 2');
    const one2 = enc.encode('release 1, rebuilt');
    const payload = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, f.rel, {
      expires: EXPIRES_V2,
      files: { add: [{ name: 'releases/v2.tar.gz', bytes: two }], update: [{ name: 'releases/v1.tar.gz', bytes: one2 }] },
    });
    const entries = payload.signed.targets as Record<string, JsonObject>;
    expect(entries['releases/v1.tar.gz']!.custom).toEqual({ tag: 'v1' });
    expect(entries['releases/v2.tar.gz']!.length).toBe(two.length);
    const lines = describeRequest(viaFile(buildDelegatedSigningRequest(payload, { repository: GUN }))).lines.join('\n');
    expect(lines).toContain(`target "releases/v2.tar.gz" ADDED: ${two.length} bytes, sha256 ${hex(two).slice(0, 16)}…`);
    expect(lines).toContain(`target "releases/v1.tar.gz" REPLACED: 9 bytes, sha256 ${hex(enc.encode('release 1')).slice(0, 16)}… → ${one2.length} bytes, sha256 ${hex(one2).slice(0, 16)}…`);
    expect(lines).toContain('unnamed');

    const removed = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, f.rel, { expires: EXPIRES_V1, files: { remove: ['releases/v1.tar.gz'] } });
    const removedLines = describeRequest(buildDelegatedSigningRequest(removed, { repository: GUN })).lines.join('\n');
    expect(removedLines).toContain(`target "releases/v1.tar.gz" REVOKED (removed from ${f.rel}.json)`);

    const cases: [string, () => unknown, string, string | undefined][] = [
      ['outside the paths', () => buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, f.rel, { expires: EXPIRES_V2, files: { add: [{ name: 'other/x', bytes: two }] } }), 'TARGET_OUTSIDE_DELEGATION', '$change.targetFiles.add[0]'],
      ['a renewal that does not renew', () => buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, f.rel, { expires: EXPIRES_V1 }), 'ROTATION_CHANGE_INVALID', '$change.expires'],
      ['a role targets.json does not delegate', () => buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, profile === 'notary' ? 'targets/qa' : 'qa', { expires: EXPIRES_V2 }), 'DELEGATION_UNKNOWN', '$.delegation'],
      ['a file the delegate did not sign', () => buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.targetsV1, f.rel, { expires: EXPIRES_V2 }), 'THRESHOLD_NOT_MET', undefined],
      ['adding a listed target', () => buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, f.rel, { expires: EXPIRES_V2, files: { add: [{ name: 'releases/v1.tar.gz', bytes: two }] } }), 'TARGET_EXISTS', '$change.targetFiles.add[0]'],
    ];
    for (const [what, fn, code, path] of cases) {
      const err = refusal(fn);
      expect([what, err.code], err.message).toEqual([what, code]);
      if (path) expect(err.path, what).toBe(path);
    }
  });

  it('a request edited after it was made is refused; one re-hashed after editing gives responses merge refuses', async () => {
    const f = await fixture(profile);
    const request = buildDelegatedSigningRequest(buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, f.rel, { expires: EXPIRES_V2 }), { repository: GUN, names: names(f) });
    const doc = JSON.parse(Buffer.from(serializeSigningRequest(request)).toString('utf8')) as JsonObject;
    const edit = (patch: JsonObject): Uint8Array => enc.encode(JSON.stringify({ ...doc, ...patch }));
    expect(refusal(() => parseSigningRequest(edit({ repository: 'throw-away/test' }))).code).toBe('ROTATION_REQUEST_TAMPERED');
    // Dropping the delegation turns it into a targets request for another file: the ID no longer matches.
    const { delegation: _d, delegatingTargets: _t, ...plain } = doc;
    expect(refusal(() => parseSigningRequest(enc.encode(JSON.stringify(plain)))).code).toBe('ROTATION_REQUEST_TAMPERED');
    // A policy of one key (re-hashed): not the delegation's.
    const weak: JsonObject = { ...doc, policy: { targets: { keyids: [f.ci.listed.keyId], threshold: 1 } } };
    weak.requestId = requestIdForDocument(weak);
    expect(refusal(() => parseSigningRequest(enc.encode(JSON.stringify(weak)))).code).toBe('ROTATION_REQUEST_TAMPERED');
    // Relabelled and re-hashed: it parses, but what is signed under it does not merge into the real request.
    const relabelled: JsonObject = { ...doc, repository: 'throw-away/test' };
    relabelled.requestId = requestIdForDocument(relabelled);
    const fake = parseSigningRequest(enc.encode(JSON.stringify(relabelled)));
    const response = await signRequest(fake, f.ci.key);
    expect(refusal(() => mergeResponses(request, [response])).code).toBe('ROTATION_RESPONSE_MISMATCH');
  });

  it('a re-key review lists the targets the role\'s current file holds, signed by the leaving key, as NOT revoked', async () => {
    const f = await fixture(profile);
    const fresh = makeRoleKey(profile, 'CI 2026');
    const payload = buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.rel, keys: [{ json: fresh.listed.json, name: 'CI 2026' }], threshold: 1 }] } });
    const request = viaFile(buildTargetsSigningRequest(payload, { repository: GUN, delegatedFiles: new Map([[f.rel, f.releasesV1]]) }));
    const lines = describeRequest(request).lines.join('\n');
    expect(lines).toMatch(new RegExp(`${f.rel} LOSES key [0-9a-f]{12}… .*: signatures by that key stop counting for ${f.rel}\\. The targets ${f.rel}'s file lists are NOT revoked by this`));
    expect(lines).toContain(`${f.rel}'s current file (version 1, signed by this key) lists 1 target, NOT revoked by this change: "releases/v1.tar.gz"`);
    if (profile === 'notary') expect(lines).toContain('`notary witness` does it');

    const cases: [string, Map<string, Uint8Array>, string][] = [
      ['a file its delegation did not sign', new Map([[f.rel, f.targetsV1]]), 'THRESHOLD_NOT_MET'],
      ['a role targets.json does not delegate', new Map([[profile === 'notary' ? 'targets/qa' : 'qa', f.releasesV1]]), 'DELEGATION_UNKNOWN'],
    ];
    for (const [what, files, code] of cases) expect([what, refusal(() => buildTargetsSigningRequest(payload, { repository: GUN, delegatedFiles: files })).code]).toEqual([what, code]);
    // The carried file is bound into the request ID.
    const doc = JSON.parse(Buffer.from(serializeSigningRequest(request)).toString('utf8')) as JsonObject;
    const edited = { ...doc, delegatedFiles: { [f.rel]: Buffer.from(f.targetsV1).toString('base64') } };
    expect(refusal(() => parseSigningRequest(enc.encode(JSON.stringify(edited)))).code).toBe('ROTATION_REQUEST_TAMPERED');
  });

  it('delegationCovers follows the profile: TUF shell patterns within one segment, Notary prefixes', async () => {
    const f = await fixture(profile);
    const role = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, f.rel, { expires: EXPIRES_V2 }).role;
    expect(delegationCovers(profile, role, 'releases/v9.tar.gz')).toBe(true);
    expect(delegationCovers(profile, role, 'docs/v9')).toBe(false);
    // TUF: "releases/*" does not reach into a sub-folder; Notary's prefix "releases/" does.
    expect(delegationCovers(profile, role, 'releases/a/b')).toBe(profile === 'notary');
  });
});


describe('TUF path patterns (delegationCovers)', () => {
  const vectors = JSON.parse(readFileSync(new URL('../../vectors/fnmatch.json', import.meta.url), 'utf8')) as {
    patternChars: string[];
    nameChars: string[];
    longestPattern: number;
    longestName: number;
    bits: string;
    extra: [string, string, boolean][];
  };
  const words = (chars: string[], max: number): string[] => {
    const out = [''];
    for (let n = 0, from = 0; n < max; n++) {
      const to = out.length;
      for (let i = from; i < to; i++) for (const c of chars) out.push(out[i] + c);
      from = to;
    }
    return out;
  };
  /**
   * Where minimatch (tuf-js) may read a segment otherwise than fnmatch (python-tuf) and we cover nothing
   * (src/tuf/path-pattern.ts): a leading `!`, a leading `.` or empty name not matched literally.
   */
  const guarded = (p: string, n: string): boolean => p.startsWith('!') || ((n === '' || n.startsWith('.')) && p !== n && !p.startsWith('.'));

  it('cover a name exactly when python-tuf (fnmatch vectors) and tuf-js (minimatch) both match it, on every short pattern and name', () => {
    const patterns = words(vectors.patternChars, vectors.longestPattern);
    const names = words(vectors.nameChars, vectors.longestName);
    const bits = Buffer.from(vectors.bits, 'base64');
    let k = 0;
    let both = 0;
    const wrong: [string, string, boolean, boolean, boolean][] = [];
    for (const p of patterns) {
      for (const n of names) {
        const fn = (bits[k >> 3]! & (1 << (k & 7))) !== 0;
        k++;
        const mm = minimatch(n, p);
        const ours = segmentMatches(p, n);
        if (fn && mm) both++;
        // Never a name one client would ignore; every name both take, outside the guarded corners.
        if ((ours && !(fn && mm)) || (!ours && fn && mm && !guarded(p, n))) wrong.push([p, n, ours, fn, mm]);
      }
    }
    expect(k).toBe(patterns.length * names.length);
    expect(wrong).toEqual([]);
    expect(both).toBeGreaterThan(1000);
    // Character classes, as both clients read them (the old matcher took "[" literally).
    expect(segmentMatches('v[0-9].tar.gz', 'v7.tar.gz')).toBe(true);
    expect(segmentMatches('v[0-9].tar.gz', 'v[0-9].tar.gz')).toBe(false);
  });

  it('hand-picked vectors (ranges, reversed ranges, non-ASCII): python-tuf and tuf-js agree, and so do we', () => {
    const got = vectors.extra.map(([p, n, fn]) => [p, n, fn && minimatch(n, p), segmentMatches(p, n)]);
    expect(got.map(([p, n, want]) => [p, n, want, want])).toEqual(got);
  });

  it('syntax the two read differently (escapes, braces, extglobs, [^…], POSIX classes, reversed ranges, !/#) and astral characters under ? or a class cover nothing', () => {
    const cases: [string, string][] = [['[c-ax]', 'x'], ['[!c-a]', 'b'], ['a\\*', 'a*'], ['{a,b}', 'a'], ['+(a)', 'a'], ['[^a]', 'b'], ['[[:alpha:]]', 'a'], ['!a', 'b'], ['#a', '#a'], ['?', '😀'], ['[😀]', '😀'], ['*', '.hidden'], ['*', '']];
    expect(cases.map(([p, n]) => segmentMatches(p, n))).toEqual(cases.map(() => false));
    // Astral characters under `*` or written out are fine in both.
    expect([segmentMatches('*', '😀'), segmentMatches('😀', '😀'), segmentMatches('.*', '.hidden')]).toEqual([true, true, true]);
  });

  it('a pattern of many stars against a long name is decided at once (the regular expression backtracked exponentially: minutes)', () => {
    const role = { name: 'releases', keyids: [], threshold: 1, terminating: false, unrecognized: {}, paths: [`${'*a'.repeat(16)}*b`] };
    const started = performance.now();
    expect(delegationCovers('tuf', role, 'a'.repeat(200))).toBe(false);
    expect(delegationCovers('tuf', role, `${'a'.repeat(200)}b`)).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
