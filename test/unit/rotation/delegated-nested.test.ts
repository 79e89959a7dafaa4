/**
 * Nested delegations inside a delegate's own file (TUF 4.5: a delegated targets role may delegate further)
 * when the tool re-signs that file (delegated-payload.ts: renewal, target files): carried into version N+1
 * unchanged. What a client refuses the file for is refused, with its code and path into the delegate's
 * file; what clients accept but this tool would not write is signed again with a review warning
 * (carried-delegations.ts); an altered one in a hand-made request gets targets.json's checks. Stated in
 * the review; a valid one verified afterwards by verifyRepository, which follows it as a client does.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { reviewView } from '../../../electron/main/rotation.js';
import { CeremonyError } from '../../../src/errors.js';
import { child } from '../../../src/json/fields.js';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { buildDelegatedPayload, verifiedDelegated } from '../../../src/rotation/delegated-payload.js';
import { buildDelegatedSigningRequest, requestIdForDocument } from '../../../src/rotation/request.js';
import { buildTargetsPayload, buildTargetsSigningRequest, describeRequest, finalizeMerge, parseSigningRequest, serializeSigningRequest, signRequest, signSnapshotAfterTargets, signTimestampAfterSnapshot, type SigningRequest } from '../../../src/rotation/index.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { metaEntry, metaKey, typeName } from '../../support/repo.js';
import { EXPIRES_V1, EXPIRES_V2, GUN, makeRoleKey, rootFixture, signAs, type Custodian, type RootFixture } from './support.js';

const enc = new TextEncoder();

interface Fixture {
  fx: RootFixture;
  profile: ProfileName;
  ci: Custodian;
  qa: Custodian;
  rel: string;
  nested: string;
  targetsV1: Uint8Array;
  /** The releases file v1 with `delegations` as given (the valid nested one when not), signed by CI. */
  releases(delegations?: JsonObject): Promise<Uint8Array>;
  /** The valid nested delegations block: `rel` delegates `nested` (releases/nightly…) to QA, 1 of 1. */
  valid(): JsonObject;
}

const sha = (profile: ProfileName, b: Uint8Array): string => createHash('sha256').update(b).digest(profile === 'tuf' ? 'hex' : 'base64');

/** targets.json v1 delegates `rel` (releases/…) to CI, 1 of 1; the role's file v1 lists one release and delegates `nested`. */
async function fixture(profile: ProfileName): Promise<Fixture> {
  const fx = await rootFixture(profile);
  const ci = makeRoleKey(profile, 'CI');
  const qa = makeRoleKey(profile, 'QA');
  const rel = profile === 'notary' ? 'targets/releases' : 'releases';
  const nested = profile === 'notary' ? 'targets/releases/nightly' : 'nightly';
  const role: JsonObject = { name: rel, keyids: [ci.listed.keyId], threshold: 1, paths: [profile === 'notary' ? 'releases/' : 'releases/*'] };
  if (profile === 'tuf') role.terminating = false;
  const common = (version: number): JsonObject => ({ _type: profile === 'tuf' ? 'targets' : 'Targets', version, expires: EXPIRES_V1, ...(profile === 'tuf' ? { spec_version: '1.0.31' } : {}) });
  const targets: JsonObject = { ...common(1), targets: {}, delegations: { keys: { [ci.listed.keyId]: ci.listed.json }, roles: [role] } };
  const one = enc.encode('release 1');
  const valid = (): JsonObject => {
    const r: JsonObject = { name: nested, keyids: [qa.listed.keyId], threshold: 1, paths: [profile === 'notary' ? 'releases/nightly-' : 'releases/nightly-*'] };
    if (profile === 'tuf') r.terminating = false;
    return { keys: { [qa.listed.keyId]: qa.listed.json }, roles: [r] };
  };
  const releases = (delegations: JsonObject = valid()) => signAs(profile, { ...common(1), targets: { 'releases/v1.tar.gz': { length: one.length, hashes: { sha256: sha(profile, one) } } }, delegations }, [ci]);
  return { fx, profile, ci, qa, rel, nested, valid, releases, targetsV1: await signAs(profile, targets, [fx.targets]) };
}

/** The refusal `fn` gives, or `{ code: 'SIGNED' }` when it gives none (the hostile input would be signed). */
function outcome(fn: () => unknown): { code: string; path?: string | undefined } {
  try {
    fn();
  } catch (err) {
    if (err instanceof CeremonyError) return { code: err.code, path: err.path };
    throw err;
  }
  return { code: 'SIGNED' };
}

const viaFile = (r: SigningRequest): SigningRequest => parseSigningRequest(serializeSigningRequest(r), 'delegated.request.json');
const clone = (o: JsonObject): JsonObject => JSON.parse(JSON.stringify(o)) as JsonObject;
type Roles = { roles: JsonObject[]; keys: JsonObject };

describe.each(['notary', 'tuf'] as const)('nested delegations in a delegate\'s file (%s)', (profile) => {
  it('nested delegations a client refuses the file for are refused before anyone signs, each with its code and its path in the delegate\'s file', async () => {
    const f = await fixture(profile);
    const file = `${f.rel}.json`;
    const at = (rest: string) => `${file} $.signed.delegations.${rest}`;
    const qaId = f.qa.listed.keyId;
    const otherId = createHash('sha256').update('not the key').digest('hex');
    const edit = (fn: (d: Roles) => void): JsonObject => {
      const d = clone(f.valid()) as unknown as Roles;
      fn(d);
      return d as unknown as JsonObject;
    };
    const common: [string, JsonObject, string, string][] = [
      ['the same role twice', edit((d) => d.roles.push(clone(d.roles[0]!))), 'DELEGATION_INVALID', at('roles[1].name')],
      ['one key ID twice in a role', edit((d) => (d.roles[0]!.keyids = [qaId, qaId])), 'KEY_DUPLICATE_IN_ROLE', at('roles[0].keyids[1]')],
      ['a key ID the table does not list', edit((d) => (d.roles[0]!.keyids = [otherId])), 'ROLE_KEY_MISSING', at('roles[0].keyids[0]')],
      ['a key of an unknown type', edit((d) => (d.keys[qaId] = { ...(d.keys[qaId] as JsonObject), keytype: 'rsa-9000', ...(profile === 'tuf' ? { scheme: 'rsa-9000' } : {}) })), 'KEY_TYPE_UNSUPPORTED', at(child(child('keys', qaId), profile === 'tuf' ? 'scheme' : 'keytype'))],
      ['a role name that escapes the folder', edit((d) => (d.roles[0]!.name = profile === 'notary' ? 'targets/releases/../x' : '..')), 'DELEGATION_INVALID', at('roles[0].name')],
    ];
    const tuf: [string, JsonObject, string, string][] = [
      ['both paths and path_hash_prefixes (TUF 4.5)', edit((d) => (d.roles[0]!.path_hash_prefixes = ['ab'])), 'DELEGATION_INVALID', at('roles[0]')],
      // python-tuf Delegations refuses a top-level role name as a delegated one.
      ['a top-level role name', edit((d) => (d.roles[0]!.name = 'snapshot')), 'DELEGATION_INVALID', at('roles[0].name')],
    ];
    const notary: [string, JsonObject, string, string][] = [
      // notary tuf/data/targets.go isValidTargetsStructure: the client refuses the whole file.
      ['a role that is not a child of the delegate', edit((d) => (d.roles[0]!.name = 'targets/qa')), 'DELEGATION_INVALID', at('roles[0].name')],
      ['a grandchild of the delegate', edit((d) => (d.roles[0]!.name = 'targets/releases/a/b')), 'DELEGATION_INVALID', at('roles[0].name')],
      ['a key ID that is not the key\'s (Notary derives it)', edit((d) => { d.keys[otherId] = d.keys[qaId]!; delete d.keys[qaId]; d.roles[0]!.keyids = [otherId]; }), 'KEY_ID_MISMATCH', at(child('keys', otherId))],
    ];
    const cases = [...common, ...(profile === 'tuf' ? tuf : notary)];
    const got: [string, string, string | undefined][] = [];
    for (const [what, delegations] of cases) {
      const bytes = await f.releases(delegations);
      const err = outcome(() => buildDelegatedPayload(f.fx.rootV1, f.targetsV1, bytes, f.rel, { expires: EXPIRES_V2 }));
      got.push([what, err.code, err.path]);
    }
    expect(got).toEqual(cases.map(([what, , code, path]) => [what, code, path]));
    if (profile === 'tuf') {
      // A key listed under an ID that is not its own: python-tuf and tuf-js read it (neither re-derives IDs;
      // tuf/keys.ts parseKeyTable), so it is carried as targets.json's keys are — and the review identifies
      // the key by the fingerprint of what is listed, not by the ID.
      const relabelled = edit((d) => { d.keys[otherId] = d.keys[qaId]!; delete d.keys[qaId]; d.roles[0]!.keyids = [otherId]; });
      const payload = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, await f.releases(relabelled), f.rel, { expires: EXPIRES_V2 });
      expect(describeRequest(viaFile(buildDelegatedSigningRequest(payload, { repository: GUN }))).text).toContain(`nightly, threshold 1 of 1 (key ${otherId.slice(0, 8)}…)`);
    }
  });

  it('nested delegations clients accept but this tool would not write are carried by a renewal, with a warning in the co-signer\'s review, and the file verifies', async () => {
    const f = await fixture(profile);
    const file = `${f.rel}.json`;
    const edit = (fn: (r: JsonObject) => void): JsonObject => {
      const d = clone(f.valid()) as unknown as Roles;
      fn(d.roles[0]!);
      return d as unknown as JsonObject;
    };
    const head = `WARNING: ${file} carries ${f.nested} unchanged, and this version signs it again as it is: `;
    const tail = `. This tool does not edit nested delegations: the tool that wrote ${file} corrects them.`;
    const common: [string, JsonObject, string][] = [['a threshold above its keys', edit((r) => (r.threshold = 2)), 'no client will ever verify it: threshold 2 of 1 key, so no target is ever trusted from it']];
    const tuf: [string, JsonObject, string][] = [
      ['a pattern python-tuf and tuf-js read differently', edit((r) => (r.paths = ['releases/nightly-*', 'releases/{a,b}'])), 'python-tuf and tuf-js read "releases/{a,b}" differently'],
      ['an empty pattern (matches nothing)', edit((r) => (r.paths = [''])), 'an empty path pattern matches no target'],
      ['a hash prefix that is not lower-case hex', edit((r) => { delete r.paths; r.path_hash_prefixes = ['AB']; }), 'a path hash prefix is 1 to 64 lower-case hex digits: "AB" would match no target (clients compare lower-case hex digests)'],
    ];
    for (const [what, delegations, warning] of [...common, ...(profile === 'tuf' ? tuf : [])]) {
      const v1 = await f.releases(delegations);
      // The co-signer's review is rebuilt from the request file alone.
      const request = viaFile(buildDelegatedSigningRequest(buildDelegatedPayload(f.fx.rootV1, f.targetsV1, v1, f.rel, { expires: EXPIRES_V2 }), { repository: GUN }));
      const d = describeRequest(request);
      expect([what, d.lines.filter((l) => l.includes('WARNING') && !l.includes('not shown to be within'))]).toEqual([what, [`  ${head}${warning}${tail}`]]);
      expect(reviewView(request).changes.filter((c) => c.kind === 'nested-problem').map((c) => c.text)).toEqual([`${head}${warning}${tail}`]);
      const v2 = finalizeMerge(request, [await signRequest(request, f.ci.key)]).bytes!;
      // Verified as a client verifies it (root → targets.json → the delegation), the nested block as it was.
      const { previous } = verifiedDelegated(f.fx.rootV1, f.targetsV1, v2, f.rel);
      expect([what, previous.signed.version, previous.signedJson.delegations]).toEqual([what, 2, delegations]);
    }
  });

  it('a request whose payload changes the nested delegations into hostile ones is refused when a co-signer reads it', async () => {
    const f = await fixture(profile);
    const request = buildDelegatedSigningRequest(buildDelegatedPayload(f.fx.rootV1, f.targetsV1, await f.releases(), f.rel, { expires: EXPIRES_V2 }), { repository: GUN });
    const doc = JSON.parse(Buffer.from(serializeSigningRequest(request)).toString('utf8')) as JsonObject;
    const cases: [string, (d: Roles) => void, string, string][] = [
      ['a threshold above its keys', (d) => (d.roles[0]!.threshold = 3), 'THRESHOLD_INVALID', '$.payload.delegations.roles[0].threshold'],
      profile === 'tuf'
        ? ['a hash prefix that is not lower-case hex', (d) => { delete d.roles[0]!.paths; d.roles[0]!.path_hash_prefixes = ['xyz']; }, 'DELEGATION_INVALID', '$.payload.delegations.roles[0].path_hash_prefixes[0]']
        : ['a role that is not a child of the delegate', (d) => (d.roles[0]!.name = 'targets/qa'), 'DELEGATION_INVALID', '$.payload.delegations.roles[0].name'],
    ];
    for (const [what, fn, code, path] of cases) {
      const edited = clone(doc);
      fn((edited.payload as JsonObject).delegations as unknown as Roles);
      edited.requestId = requestIdForDocument(edited);
      const err = outcome(() => parseSigningRequest(enc.encode(JSON.stringify(edited)), 'edited.request.json'));
      expect([what, err.code, err.path]).toEqual([what, code, path]);
    }
    // A valid change to the nested role is said as targets.json's are (threshold), and not as unchanged.
    const edited = clone(doc);
    const roles = ((edited.payload as JsonObject).delegations as unknown as Roles).roles;
    roles[0]!.paths = [profile === 'notary' ? 'releases/nightly-x' : 'releases/nightly-x*'];
    edited.requestId = requestIdForDocument(edited);
    const lines = describeRequest(parseSigningRequest(enc.encode(JSON.stringify(edited)), 'edited.request.json')).lines;
    const from = profile === 'notary' ? 'paths "releases/nightly-"' : 'paths "releases/nightly-*"';
    expect(lines).toContain(`  ${f.nested} is trusted for ${profile === 'notary' ? 'paths "releases/nightly-x"' : 'paths "releases/nightly-x*"'} instead of ${from}`);
    expect(lines.join('\n')).not.toContain('also delegates, unchanged');
  });

  it('the revoke-tags part (the delegate\'s file re-signed without some targets) gets the same checks, and its review the same words', async () => {
    const f = await fixture(profile);
    const fresh = makeRoleKey(profile, 'CI 2027');
    // CI's key leaves releases: part 2 re-signs its file without v1, carrying the nested delegation.
    const change = { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.rel, keys: [{ json: fresh.listed.json, name: 'CI 2027' }] }] } };
    const request = (file: Uint8Array) => buildTargetsSigningRequest(buildTargetsPayload(f.fx.rootV1, f.targetsV1, change), { repository: GUN, delegatedFiles: new Map([[f.rel, file]]), revokeTags: { role: f.rel, targets: ['releases/v1.tar.gz'] } });
    const text = describeRequest(viaFile(request(await f.releases()))).text;
    expect(text).toContain(`${f.rel}.json also delegates, unchanged and signed again by this version: ${f.nested}, threshold 1 of 1`);
    // A nested threshold its keys cannot meet: carried, and the part's review warns.
    const broken = clone(f.valid()) as unknown as Roles;
    broken.roles[0]!.threshold = 2;
    const warned = describeRequest(viaFile(request(await f.releases(broken as unknown as JsonObject)))).text;
    expect(warned).toContain(`WARNING: ${f.rel}.json carries ${f.nested} unchanged, and this version signs it again as it is: no client will ever verify it: threshold 2 of 1 key`);
    if (profile === 'notary') {
      // A nested role that is not the delegate's child: notary refuses the whole file, so it is not signed again.
      const foreign = clone(f.valid()) as unknown as Roles;
      foreign.roles[0]!.name = 'targets/qa';
      const foreignFile = await f.releases(foreign as unknown as JsonObject);
      const err = outcome(() => request(foreignFile));
      expect([err.code, err.path]).toEqual(['DELEGATION_INVALID', `${f.rel}.json $.signed.delegations.roles[0].name`]);
    }
  });

  it('a nested role trusted for more than the delegate is carried, and the review says clients trust only the overlap (TUF 5.6.7)', async () => {
    const f = await fixture(profile);
    const wide = clone(f.valid()) as unknown as Roles;
    wide.roles[0]!.paths = [profile === 'notary' ? '' : '*'];
    const payload = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, await f.releases(wide as unknown as JsonObject), f.rel, { expires: EXPIRES_V2 });
    const lines = describeRequest(viaFile(buildDelegatedSigningRequest(payload, { repository: GUN }))).lines.join('\n');
    const paths = profile === 'notary' ? 'every path' : 'paths "*"';
    const own = profile === 'notary' ? 'paths "releases/"' : 'paths "releases/*"';
    expect(lines).toContain(`WARNING: ${f.nested} is given ${paths}, not shown to be within what ${f.rel} is trusted for (${own}): clients follow ${f.nested} only for targets ${f.rel} is trusted for (TUF 5.6.7), so it gains nothing outside them`);
    // The app's review (electron/main/rotation.ts) lists the same sentences among the changes.
    const view = reviewView(viaFile(buildDelegatedSigningRequest(payload, { repository: GUN })));
    expect(view.changes.filter((c) => c.kind.startsWith('nested-')).map((c) => [c.kind, c.text.slice(0, 9)])).toEqual([['nested-carried', `${f.rel}.json`.slice(0, 9)], ['nested-wider', 'WARNING: ']]);
    // The threshold said is the delegated role's (1 of 1 for CI in targets.json), by its name, not "targets";
    // the heading names the role's own file, not targets.json.
    expect(view.threshold).toBe(`${f.rel} threshold stays 1 of 1`);
    expect(view.delegation).toEqual({ name: f.rel, file: `${f.rel}.json` });
    // The valid one, inside the delegate's paths: no warning.
    const inside = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, await f.releases(), f.rel, { expires: EXPIRES_V2 });
    expect(describeRequest(buildDelegatedSigningRequest(inside, { repository: GUN })).text).not.toContain('WARNING');
  });

  it('many nested roles (hashed bins, PEP 458): the review lists the first 20 and counts the rest, one warning for all', async () => {
    const f = await fixture(profile);
    const bins = clone(f.valid()) as unknown as Roles;
    bins.roles = Array.from({ length: 25 }, (_, i) => {
      const r: JsonObject = { name: profile === 'notary' ? `targets/releases/bin-${i}` : `bin-${i}`, keyids: [f.qa.listed.keyId], threshold: 1 };
      // Notary has no hash prefixes: paths outside the delegate's stand in for "not shown within".
      if (profile === 'tuf') Object.assign(r, { terminating: false, path_hash_prefixes: [i.toString(16).padStart(2, '0')] });
      else r.paths = [`other-${i}/`];
      return r;
    });
    const payload = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, await f.releases(bins as unknown as JsonObject), f.rel, { expires: EXPIRES_V2 });
    const nested = describeRequest(buildDelegatedSigningRequest(payload, { repository: GUN })).nestedDelegations!;
    expect(nested.map((n) => n.kind)).toEqual(['carried', 'wider']);
    expect(nested[0]!.text.split('; ')).toHaveLength(21);
    expect(nested[0]!.text).toMatch(/bin-19, threshold 1 of 1 .*; and 5 more$/);
    // TUF: hashed bins under a delegate trusted for paths, one line that counts them (prefixes are not
    // compared with patterns); Notary: paths outside the delegate's, listed as for any nested role.
    if (profile === 'tuf') expect(nested[1]!.text).toBe('WARNING: 25 nested roles (bin-0, bin-1, bin-2 and 22 more) are given path hash prefixes, which cannot be compared with what releases is trusted for (paths "releases/*"): clients follow them only for targets releases is trusted for (TUF 5.6.7), so they gain nothing outside them');
    else expect(nested[1]!.text).toMatch(/^WARNING: 25 nested roles are given paths not shown to be within what \S+ is trusted for .*; and 5 more\. Clients follow them only/);
  });

  it('many carried nested roles with problems (hashed bins) get one summarised warning, not one line each', async () => {
    const f = await fixture(profile);
    const bins = clone(f.valid()) as unknown as Roles;
    bins.roles = Array.from({ length: 40 }, (_, i) => {
      // The first 30 with a threshold their one key cannot meet; in TUF also upper-case hash prefixes for all.
      const r: JsonObject = { name: profile === 'notary' ? `targets/releases/bin-${i}` : `bin-${i}`, keyids: [f.qa.listed.keyId], threshold: i < 30 ? 2 : 1 };
      if (profile === 'tuf') Object.assign(r, { terminating: false, path_hash_prefixes: [i.toString(16).padStart(2, '0').toUpperCase() + 'A'] });
      else r.paths = ['releases/'];
      return r;
    });
    const payload = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, await f.releases(bins as unknown as JsonObject), f.rel, { expires: EXPIRES_V2 });
    const nested = describeRequest(viaFile(buildDelegatedSigningRequest(payload, { repository: GUN }))).nestedDelegations!;
    const problems = nested.filter((n) => n.kind === 'problem').map((n) => n.text);
    const name = (i: number) => (profile === 'notary' ? `targets/releases/bin-${i}` : `bin-${i}`);
    const thresholds = `30 with a threshold above their keys (no client will ever verify them) (${name(0)}, ${name(1)}, ${name(2)} and 27 more)`;
    const prefixes = `; 40 with a path hash prefix that matches no target (${name(0)}, ${name(1)}, ${name(2)} and 37 more)`;
    expect(problems).toEqual([`WARNING: ${f.rel}.json carries ${profile === 'tuf' ? 40 : 30} roles unchanged, and this version signs them again as they are: ${thresholds}${profile === 'tuf' ? prefixes : ''}. This tool does not edit nested delegations: the tool that wrote ${f.rel}.json corrects them.`]);
  });

  it('a valid nested delegation is carried through a renewal and a target-file change, shown in the review, and verified as a client verifies it', async () => {
    const f = await fixture(profile);
    const v1 = await f.releases();
    const renewal = viaFile(buildDelegatedSigningRequest(buildDelegatedPayload(f.fx.rootV1, f.targetsV1, v1, f.rel, { expires: EXPIRES_V2 }), { repository: GUN, names: new Map([[f.ci.listed.keyId, 'CI']]) }));
    const review = describeRequest(renewal);
    const paths = profile === 'notary' ? 'paths "releases/nightly-"' : 'paths "releases/nightly-*"';
    const carried = `${f.rel}.json also delegates, unchanged and signed again by this version: ${f.nested}, threshold 1 of 1 (key ${f.qa.listed.keyId.slice(0, 8)}…), trusted for ${paths}`;
    expect(review.lines).toContain(`  ${carried}`);
    const v2 = finalizeMerge(renewal, [await signRequest(renewal, f.ci.key)]).bytes!;

    const build = enc.encode('release 2');
    const change = viaFile(buildDelegatedSigningRequest(buildDelegatedPayload(f.fx.rootV1, f.targetsV1, v2, f.rel, { expires: EXPIRES_V2, files: { add: [{ name: 'releases/v2.tar.gz', bytes: build }] } }), { repository: GUN }));
    const lines = describeRequest(change).lines;
    expect(lines).toContain(`  ${carried}`);
    expect(lines.join('\n')).toContain('target "releases/v2.tar.gz" ADDED');
    const v3 = finalizeMerge(change, [await signRequest(change, f.ci.key)]).bytes!;
    expect((JSON.parse(Buffer.from(v3).toString('utf8')) as { signed: JsonObject }).signed.delegations).toEqual(f.valid());

    // The nested role's own file, signed by QA: a client reaches it through the delegate's file v3.
    const nightly = enc.encode('nightly 7');
    const nestedFile = await signAs(profile, { _type: profile === 'tuf' ? 'targets' : 'Targets', version: 1, expires: EXPIRES_V1, ...(profile === 'tuf' ? { spec_version: '1.0.31' } : {}), targets: { 'releases/nightly-7.tar.gz': { length: nightly.length, hashes: { sha256: sha(profile, nightly) } } }, ...(profile === 'notary' ? { delegations: { keys: {}, roles: [] } } : {}) }, [f.qa]);
    const delegated = new Map([[f.rel, v3], [f.nested, nestedFile]]);
    const snap = await signSnapshotAfterTargets({ root: f.fx.rootV1, targets: f.targetsV1, delegated, expires: EXPIRES_V1 }, [metadataSigner(f.fx.snapshot.key, f.fx.snapshot.listed)]);
    // Notary's timestamp is notary-server's (signTimestampAfterSnapshot is TUF's): made here as it makes one.
    const ts = profile === 'tuf'
      ? await signTimestampAfterSnapshot({ root: f.fx.rootV1, snapshot: snap.bytes, expires: EXPIRES_V1 }, [metadataSigner(f.fx.timestamp.key, f.fx.timestamp.listed)])
      : { bytes: await signAs(profile, { _type: typeName(profile, 'timestamp'), version: 1, expires: EXPIRES_V1, meta: { [metaKey(profile, 'snapshot')]: metaEntry(profile, snap.bytes, 1) } }, [f.fx.timestamp]) };
    const repo = verifyRepository({ versionedRoots: new Map(), root: f.fx.rootV1, targets: f.targetsV1, snapshot: snap.bytes, timestamp: ts.bytes, delegated }, { trustedRoot: f.fx.rootV1, now: new Date(), requireComplete: true });
    expect(repo.delegated.get(f.nested)!.delegatedBy).toBe(f.rel);
    expect(repo.delegated.get(f.nested)!.md.signed.targets.get('releases/nightly-7.tar.gz')!.length).toBe(nightly.length);
    expect(repo.delegated.get(f.rel)!.md.signed.version).toBe(3);
  });
});
