/**
 * Review-15a F4: the co-signer's review accounts for every difference between the signed payload and the
 * previous version, at every depth — each hostile request below has its request ID recomputed, as anyone
 * editing a request can (request.ts requestIdForDocument), and its review is not the honest one's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import {
  buildBatchRequest,
  buildRotationPayload,
  buildSigningRequest,
  buildTargetsPayload,
  buildTargetsSigningRequest,
  describeBatch,
  describeRequest,
  parseSigningRequest,
  requestIdForDocument,
  serializeSigningRequest,
  type SigningRequest,
} from '../../../src/rotation/index.js';
import { ALSO_CHANGES_SHOWN, alsoChangesLines, rootDifferences } from '../../../src/rotation/review-diff.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import type { Root } from '../../../src/tuf/root.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { formatExpires } from '../../../src/tuf/dates.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { reviewView } from '../../../electron/main/rotation.js';
import { batchRequests, people } from './batch-support.js';
import { EXPIRES_V2, GUN, makeCustodian, makeRoleKey, rootFixture, signAs, type Custodian, type RootFixture } from './support.js';

const enc = new TextEncoder();
const json = (b: Uint8Array): JsonObject => JSON.parse(new TextDecoder().decode(b)) as JsonObject;

/** The request as a hostile administrator hands it out: `edit` applied to its payload, the request ID recomputed. */
function edited(request: SigningRequest, edit: (payload: JsonObject, doc: JsonObject) => void): SigningRequest {
  const doc = json(serializeSigningRequest(request));
  edit(doc.payload as JsonObject, doc);
  doc.requestId = requestIdForDocument(doc);
  return parseSigningRequest(enc.encode(JSON.stringify(doc)), 'edited.request.json');
}

/** The review's "also changes" lines, as `lines` prints them (indented under "What changes:"), without the indent. */
const also = (r: SigningRequest): string[] => describeRequest(r).lines.map((l) => l.trim()).filter((l) => l.startsWith('also changes: '));

interface RootCase {
  name: string;
  edit: (payload: JsonObject, ctx: { targetsKeyId: string; spare: Custodian; rootKeyIds: string[] }, doc: JsonObject) => void;
  expect: (ctx: { targetsKeyId: string; spare: Custodian; rootKeyIds: string[] }) => string;
}

const roles = (p: JsonObject): JsonObject => p.roles as JsonObject;
const keys = (p: JsonObject): JsonObject => p.keys as JsonObject;

const ROOT_CASES: RootCase[] = [
  { name: 'a field added to a role object', edit: (p) => ((roles(p).root as JsonObject)['x-note'] = 'hi'), expect: () => 'also changes: $.roles.root["x-note"] added: "hi"' },
  { name: 'a field added to another role', edit: (p) => ((roles(p).targets as JsonObject).x_any = 1), expect: () => 'also changes: $.roles.targets.x_any added: 1' },
  {
    name: 'a key object changed under the same key ID (extra field)',
    edit: (p, c) => ((keys(p)[c.targetsKeyId] as JsonObject).keyid_hash_algorithms = ['sha512']),
    expect: (c) => `also changes: $.keys["${c.targetsKeyId}"].keyid_hash_algorithms added: ["sha512"]`,
  },
  {
    name: 'a key value gains a field under the same key ID',
    edit: (p, c) => (((keys(p)[c.targetsKeyId] as JsonObject).keyval as JsonObject)['publi\u0441'] = 'hidden'),
    expect: (c) => `also changes: $.keys["${c.targetsKeyId}"].keyval["publi\u0441"] added: "hidden"`,
  },
  {
    name: 'a key added to keys that no role lists',
    edit: (p, c) => (keys(p)[c.spare.listed.keyId] = c.spare.listed.json),
    expect: (c) => `also changes: $.keys["${c.spare.listed.keyId}"]: added, a key no line above names: {`,
  },
  {
    name: 'the same root key IDs in another order',
    // The request's policy states the new root role: edited alike, as whoever edits the payload would.
    edit: (p, _c, doc) => {
      const reversed = [...((roles(p).root as JsonObject).keyids as string[])].reverse();
      (roles(p).root as JsonObject).keyids = reversed;
      ((doc.policy as JsonObject).new as JsonObject).keyids = reversed;
    },
    expect: () => 'also changes: $.roles.root.keyids: the same 3 entries in another order',
  },
  { name: 'a top-level field, with its value', edit: (p) => (p.x_top = { a: 'b' }), expect: () => 'also changes: $.x_top added: {"a":"b"}' },
  { name: 'a control character in a value is escaped', edit: (p) => ((roles(p).root as JsonObject)['x-note'] = 'a\u202eb'), expect: () => 'also changes: $.roles.root["x-note"] added: "a\\u202eb"' },
];

describe.each(['tuf', 'notary'] as const)('root requests: every difference is said (%s)', (profile) => {
  async function honest(): Promise<{ request: SigningRequest; fx: RootFixture; spare: Custodian }> {
    const fx = await rootFixture(profile);
    const spare = makeRoleKey(profile, 'Spare');
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names: fx.names });
    return { request: buildSigningRequest(payload, { repository: 'site/app' }), fx, spare };
  }

  it('the honest request has no "also changes" line', async () => {
    const { request } = await honest();
    expect(also(request)).toEqual([]);
    expect(describeRequest(request).alsoChanges).toEqual([]);
  });

  it.each(ROOT_CASES)('$name', async (c) => {
    const { request, fx, spare } = await honest();
    const ctx = { targetsKeyId: fx.targets.listed.keyId, spare, rootKeyIds: fx.custodians.map((k) => k.listed.keyId) };
    const hostile = edited(request, (p, doc) => c.edit(p, ctx, doc));
    const lines = also(hostile);
    expect(lines.some((l) => l.startsWith(c.expect(ctx))), `${lines.join('\n')}\n--- expected a line starting: ${c.expect(ctx)}`).toBe(true);
    // The lines are in the review, after the change sentences and before the signatures.
    const d = describeRequest(hostile);
    expect(d.alsoChanges).toEqual(lines);
    expect(d.lines.indexOf(`  ${lines[0]!}`)).toBeGreaterThan(d.lines.indexOf('What changes:'));
    expect(d.lines.indexOf(`  ${lines[0]!}`)).toBeLessThan(d.lines.findIndex((l) => l.startsWith('Signatures:')));
  });

  it('a key no role lists leaves the keys table: said', async () => {
    const fx = await rootFixture(profile);
    const spare = makeRoleKey(profile, 'Spare');
    // Root v1 carrying an unused key, signed by its custodians.
    const v1 = json(fx.rootV1).signed as JsonObject;
    (v1.keys as JsonObject)[spare.listed.keyId] = spare.listed.json;
    const rootV1 = await signAs(profile, v1, fx.custodians);
    const payload = buildRotationPayload(rootV1, { expires: EXPIRES_V2 }, { names: fx.names });
    const request = buildSigningRequest(payload, { repository: 'site/app' });
    const hostile = edited(request, (p) => delete keys(p)[spare.listed.keyId]);
    expect(also(hostile).join('\n')).toContain(`also changes: $.keys["${spare.listed.keyId}"]: removed, a key no line above names (was {`);
  });

  it('a key a line names (Dave, who replaces Alice) carries another field: said', async () => {
    const fx = await rootFixture(profile);
    const dave = await makeCustodian(profile, 'Dave');
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: fx.custodians[0]!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names: fx.names });
    const request = buildSigningRequest(payload, { repository: 'site/app' });
    expect(also(request)).toEqual([]);
    const hostile = edited(request, (p) => ((keys(p)[dave.listed.keyId] as JsonObject).x_evil = 1));
    expect(describeRequest(hostile).text).toContain('is REPLACED by key');
    expect(also(hostile)).toEqual([`also changes: $.keys["${dave.listed.keyId}"].x_evil added: 1`]);
  });

  it('many differences: the first ones listed, the rest counted, never dropped', async () => {
    const { request } = await honest();
    const hostile = edited(request, (p) => {
      for (let i = 0; i < ALSO_CHANGES_SHOWN + 7; i++) (roles(p).root as JsonObject)[`x${String(i).padStart(2, '0')}`] = i;
    });
    const lines = also(hostile);
    expect(lines).toHaveLength(ALSO_CHANGES_SHOWN + 1);
    expect(lines[ALSO_CHANGES_SHOWN]).toMatch(/^also changes: 7 more differences in the signed bytes, not listed here/);
  });

  it('a long value is clipped', async () => {
    const { request } = await honest();
    const hostile = edited(request, (p) => ((roles(p).root as JsonObject)['x-note'] = 'z'.repeat(500)));
    const [line] = also(hostile);
    expect(line).toMatch(/^also changes: \$\.roles\.root\["x-note"\] added: "z+…$/);
    expect(line!.length).toBeLessThan(200);
  });
});

describe.each(['tuf', 'notary'] as const)('batch: a repository with other differences is an exception (%s)', (profile) => {
  it('listed apart with its lines; the honest ones are the summary', async () => {
    const REPOS = ['site/app-1', 'site/app-2', 'site/app-3'];
    const requests = await batchRequests(profile, REPOS, people(profile));
    const honestReview = describeBatch(buildBatchRequest(requests));
    expect(honestReview.text).toContain('Exceptions: none');
    expect(honestReview.text).not.toContain('also changes');
    const hostile = edited(requests[1]!, (p) => ((roles(p).root as JsonObject)['x-note'] = 'hi'));
    const review = describeBatch(buildBatchRequest([requests[0]!, hostile, requests[2]!]));
    expect(review.summary.repositories.map((r) => r.repository)).toEqual(['site/app-1', 'site/app-3']);
    expect(review.exceptions.map((g) => g.repositories.map((r) => r.repository))).toEqual([['site/app-2']]);
    expect(review.text).toContain('Exceptions: 1 repository makes another change:');
    expect(review.lines).toContain('    also changes: $.roles.root["x-note"] added: "hi"');
  });

  it('a small group with other differences is never the summary, even when larger', async () => {
    const REPOS = ['site/app-1', 'site/app-2', 'site/app-3'];
    const requests = await batchRequests(profile, REPOS, people(profile));
    const mark = (r: SigningRequest) => edited(r, (p) => ((roles(p).root as JsonObject)['x-note'] = 'hi'));
    const review = describeBatch(buildBatchRequest([mark(requests[0]!), mark(requests[1]!), requests[2]!]));
    expect(review.summary.repositories.map((r) => r.repository)).toEqual(['site/app-3']);
    expect(review.exceptions[0]!.repositories.map((r) => r.repository)).toEqual(['site/app-1', 'site/app-2']);
  });
});

// --- targets requests ---------------------------------------------------------------------------------

interface TargetsFixture {
  fx: RootFixture;
  ci: Custodian;
  qa: Custodian;
  spare: Custodian;
  targetsV1: Uint8Array;
}

async function targetsFixture(profile: ProfileName): Promise<TargetsFixture> {
  const fx = await rootFixture(profile);
  const ci = makeRoleKey(profile, 'CI');
  const qa = makeRoleKey(profile, 'QA');
  const spare = makeRoleKey(profile, 'Spare');
  const role = (name: string, k: Custodian, p: string): JsonObject => {
    const r: JsonObject = { name, keyids: [k.listed.keyId], threshold: 1, paths: profile === 'notary' ? [''] : [p] };
    if (profile === 'tuf') r.terminating = false;
    return r;
  };
  const sha = profile === 'tuf' ? 'a'.repeat(64) : Buffer.alloc(32, 1).toString('base64');
  const signed: JsonObject = {
    _type: profile === 'tuf' ? 'targets' : 'Targets',
    version: 1,
    expires: EXPIRES_V2,
    targets: { 'v1.2': { length: 7, hashes: { sha256: sha }, custom: { note: 'old' } } },
    delegations: {
      keys: { [ci.listed.keyId]: ci.listed.json, [qa.listed.keyId]: qa.listed.json },
      roles: [role(profile === 'notary' ? 'targets/releases' : 'releases', ci, 'releases/*'), role(profile === 'notary' ? 'targets/qa' : 'qa', qa, 'qa/*')],
    },
  };
  if (profile === 'tuf') signed.spec_version = '1.0.31';
  return { fx, ci, qa, spare, targetsV1: await signAs(profile, signed, [fx.targets]) };
}

const delegations = (p: JsonObject): JsonObject => p.delegations as JsonObject;
const droles = (p: JsonObject): JsonObject[] => delegations(p).roles as JsonObject[];
const entry = (p: JsonObject): JsonObject => (p.targets as JsonObject)['v1.2'] as JsonObject;

interface TargetsCase {
  name: string;
  /** A case only one profile can carry (Notary derives delegation key IDs from the key: KEY_ID_MISMATCH). */
  only?: ProfileName;
  edit: (payload: JsonObject, f: TargetsFixture) => void;
  expect: (f: TargetsFixture, profile: ProfileName) => string;
}

const rel = (profile: ProfileName): string => (profile === 'notary' ? 'targets/releases' : 'releases');

const TARGETS_CASES: TargetsCase[] = [
  { name: "a target's custom data changes", edit: (p) => ((entry(p).custom as JsonObject).note = 'evil'), expect: () => 'also changes: $.targets["v1.2"].custom.note changes from "old" to "evil"' },
  { name: 'a target entry gains a field', edit: (p) => (entry(p).x_len = 10), expect: () => 'also changes: $.targets["v1.2"].x_len added: 10' },
  {
    name: 'a target entry gains a hash under the same SHA-256',
    edit: (p) => ((entry(p).hashes as JsonObject).sha512 = 'cd'.repeat(64)),
    expect: () => `also changes: $.targets["v1.2"].hashes.sha512 added: "${'cd'.repeat(64).slice(0, 100)}`,
  },
  { name: 'a target added with custom data', edit: (p) => ((p.targets as JsonObject).new = { length: 1, hashes: { sha256: 'b'.repeat(64) }, custom: { x: 1 } }), expect: () => 'also changes: $.targets.new.custom added: {"x":1}' },
  { name: 'a delegation gains a field', edit: (p) => (droles(p)[0]!['x-note'] = 'hi'), expect: (_f, profile) => `also changes: $.delegations.roles[0]["x-note"] (delegated role ${rel(profile)}) added: "hi"` },
  {
    name: 'a delegation key object changed under the same key ID',
    edit: (p, f) => (((delegations(p).keys as JsonObject)[f.ci.listed.keyId] as JsonObject).x_extra = true),
    expect: (f) => `also changes: $.delegations.keys["${f.ci.listed.keyId}"].x_extra added: true`,
  },
  {
    name: 'a delegation key that no role lists',
    edit: (p, f) => ((delegations(p).keys as JsonObject)[f.spare.listed.keyId] = f.spare.listed.json),
    expect: (f) => `also changes: $.delegations.keys["${f.spare.listed.keyId}"]: added, a key no line above names`,
  },
  { name: 'the delegated roles in another order', edit: (p) => (delegations(p).roles = [...droles(p)].reverse()), expect: () => 'also changes: $.delegations.roles: the delegated roles are searched in another order (TUF 5.6.7)' },
  {
    // The same key under another key ID (no line: the role keeps the key, by fingerprint): said by its keyids and keys.
    name: "a delegation's key listed under another key ID",
    only: 'tuf',
    edit: (p, f) => {
      const table = delegations(p).keys as JsonObject;
      const other = `${f.ci.listed.keyId.slice(0, -1)}${f.ci.listed.keyId.endsWith('0') ? '1' : '0'}`;
      table[other] = table[f.ci.listed.keyId]!;
      delete table[f.ci.listed.keyId];
      droles(p)[0]!.keyids = [other];
    },
    expect: (f) => `also changes: $.delegations.keys["${f.ci.listed.keyId.slice(0, -1)}${f.ci.listed.keyId.endsWith('0') ? '1' : '0'}"]: added, a key no line above names`,
  },
  { name: 'delegations gains a field', edit: (p) => (delegations(p).x_d = 1), expect: () => 'also changes: $.delegations.x_d added: 1' },
  { name: 'a top-level field', edit: (p) => (p.x_top = 'v'), expect: () => 'also changes: $.x_top added: "v"' },
];

describe.each(['tuf', 'notary'] as const)('targets requests: every difference is said (%s)', (profile) => {
  async function honest(): Promise<{ request: SigningRequest; f: TargetsFixture }> {
    const f = await targetsFixture(profile);
    const p = buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2 });
    return { request: parseSigningRequest(serializeSigningRequest(buildTargetsSigningRequest(p, { repository: 'site/app' }))), f };
  }

  it('the honest request has no "also changes" line', async () => {
    const { request } = await honest();
    expect(also(request)).toEqual([]);
  });

  it.each(TARGETS_CASES.filter((c) => c.only === undefined || c.only === profile))('$name', async (c) => {
    const { request, f } = await honest();
    const lines = also(edited(request, (p) => c.edit(p, f)));
    expect(lines.some((l) => l.startsWith(c.expect(f, profile))), `${lines.join('\n')}\n--- expected a line starting: ${c.expect(f, profile)}`).toBe(true);
  });

  if (profile === 'tuf') {
    it('spec_version changes: said', async () => {
      const { request } = await honest();
      expect(also(edited(request, (p) => (p.spec_version = '1.0.99')))).toContain('also changes: $.spec_version changes from "1.0.31" to "1.0.99"');
    });
  }

  it('a change the sentences say is not said twice (custom data is; the replaced size and hash are not)', async () => {
    const { request } = await honest();
    const hostile = edited(request, (p) => {
      const e = entry(p);
      e.length = 9;
      e.hashes = { sha256: profile === 'tuf' ? 'c'.repeat(64) : Buffer.alloc(32, 2).toString('base64') };
      droles(p)[0]!.threshold = 1;
    });
    const text = describeRequest(hostile).text;
    expect(text).toContain('target "v1.2" REPLACED');
    expect(also(hostile)).toEqual([]);
  });
});

// --- the app's review (review-15a F5): electron/main/rotation.ts reviewView, rendered by ReviewPanel ------

describe("the app's review carries every sentence the CLI prints", () => {
  it('Notary: the certificate WARNING, as a certificate-warning entry, word for word', async () => {
    const fx = await rootFixture('notary');
    const daveKey = SoftwareKey.generate('ecdsa-p256', { label: 'Dave' });
    const dave = await makeNotaryRootCertificate(daveKey, { gun: GUN, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 365 * 86_400_000) });
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: fx.custodians[2]!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names: fx.names });
    const request = parseSigningRequest(serializeSigningRequest(buildSigningRequest(payload, { repository: GUN })));
    const d = describeRequest(request);
    expect(d.certificateWarnings).toHaveLength(1);
    expect(d.lines).toContain(`  ${d.certificateWarnings[0]!}`);
    const view = reviewView(request);
    expect(view.changes.filter((c) => c.kind === 'certificate-warning').map((c) => c.text)).toEqual(d.certificateWarnings);
    // The root changes stay in the screen's words, once each.
    expect(view.changes.filter((c) => c.kind === 'key-replaced')).toHaveLength(1);
  });

  it.each(['tuf', 'notary'] as const)('%s: "also changes" lines, as also-changes entries', async (profile) => {
    const fx = await rootFixture(profile);
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names: fx.names });
    const hostile = edited(buildSigningRequest(payload, { repository: 'site/app' }), (p) => ((roles(p).root as JsonObject)['x-note'] = 'hi'));
    const view = reviewView(hostile);
    expect(view.changes.filter((c) => c.kind === 'also-changes').map((c) => c.text)).toEqual(['also changes: $.roles.root["x-note"] added: "hi"']);
  });

  it('targets: the changes, then "also changes", in the order the CLI prints them', async () => {
    const f = await targetsFixture('tuf');
    const p = buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2 });
    const hostile = edited(buildTargetsSigningRequest(p, { repository: 'site/app' }), (q) => (entry(q).x_len = 10));
    const d = describeRequest(hostile);
    const view = reviewView(hostile);
    const at = d.lines.indexOf('What changes:');
    const end = d.lines.findIndex((l) => l.startsWith('Signatures:'));
    expect(view.changes.map((c) => c.text)).toEqual(d.lines.slice(at + 1, end).map((l) => l.trim()));
    expect(view.changes.map((c) => c.kind)).toEqual(['target-changed', 'also-changes']);
  });
});

// --- review-15a F6: an expiry with a zone offset reads as the UTC instant, the written form after it ------

describe('Notary: an expiry written with a zone offset', () => {
  const written = `${EXPIRES_V2.slice(0, 10)}T00:00:00+23:59`;
  const utc = formatExpires(new Date(written)); // the day before, 00:01 UTC
  const offset = (p: JsonObject): void => {
    p.expires = written;
  };

  it('the single review says the UTC instant, then how the file writes it', async () => {
    const fx = await rootFixture('notary');
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names: fx.names });
    const request = edited(buildSigningRequest(payload, { repository: GUN }), offset);
    expect(utc).toMatch(/T00:01:00Z$/);
    const before = (json(fx.rootV1).signed as JsonObject).expires as string;
    expect(describeRequest(request).lines).toContain(`  root expiry changes from ${before} to ${utc} (written as "${written}")`);
    expect(reviewView(request).changes.find((c) => c.kind === 'expires')!.text).toContain(`to ${utc} (written as "${written}")`);
  });

  it('the batch review likewise', async () => {
    const requests = await batchRequests('notary', ['site/app-1', 'site/app-2'], people('notary'));
    const review = describeBatch(buildBatchRequest(requests.map((r) => edited(r, offset))));
    expect(review.text).toContain(`root expires ${utc} (written as "${written}")`);
    expect(review.text).not.toMatch(new RegExp(`root expires ${written.replace(/[+]/g, '\\+')}`));
  });
});

describe("honest roots: Sigstore's real rotations (test/vectors/sigstore-root-signing)", () => {
  // review 15f L1: securesystemslib's keyid_hash_algorithms on every added key made one line per key.
  const dir = join(import.meta.dirname, '../../vectors/sigstore-root-signing');
  const root = (v: number) => parseMetadata(new Uint8Array(readFileSync(join(dir, `${v}.root.json`))), 'root', { maxBytes: 1 << 20, source: `${v}.root.json` });
  const lines = (v: number): string[] => {
    const [a, b] = [root(v), root(v + 1)];
    return alsoChangesLines(rootDifferences(a.signed as Root, b.signed as Root, a.signedJson, b.signedJson));
  };

  it('the usual keyid_hash_algorithms is said with its key, never as a line; 8 → 9 adds keys and has nothing else to say', () => {
    for (let v = 5; v < 15; v++) expect(lines(v).filter((l) => l.includes('keyid_hash_algorithms'))).toEqual([]);
    expect(lines(8)).toEqual([]);
  });

  it("tuf-on-ci's own fields are signed content and are said (9 → 10: key owners, the online key's URI, periods), under the cap", () => {
    const said = lines(9);
    expect(said.length).toBeLessThanOrEqual(ALSO_CHANGES_SHOWN);
    expect(said.filter((l) => l.includes('["x-tuf-on-ci-keyowner"] added'))).toHaveLength(5);
    expect(said).toContain('also changes: $.roles.timestamp["x-tuf-on-ci-expiry-period"] added: 7');
  });

  it('another keyid_hash_algorithms on an added key is still a difference', () => {
    const [a, b] = [root(8), root(9)];
    const next = structuredClone(b.signedJson) as JsonObject;
    const keys = next.keys as JsonObject;
    const id = Object.keys(keys).find((k) => !(k in ((a.signedJson as JsonObject).keys as JsonObject)))!;
    (keys[id] as JsonObject).keyid_hash_algorithms = ['sha512'];
    expect(alsoChangesLines(rootDifferences(a.signed as Root, b.signed as Root, a.signedJson, next))).toEqual([`also changes: $.keys["${id}"].keyid_hash_algorithms added: ["sha512"]`]);
  });
});
