/**
 * Rotation plans (src/rotation/plan.ts, plan-keys.ts): a valid Notary plan becomes the signing request it
 * describes (root N+1, or targets.json N+1 for a delegations plan); every invalid plan is refused with its code and the JSON path of the field at fault (a table
 * of plans that fail to parse, and a table of plans that do not fit their input files).
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../src/errors.js';
import { pemOf } from '../../../src/crypto/public-key.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { describeRequest, mergeResponses, parseRotationPlan, parseSigningRequest, planRotation, rotationPlanInputs, serializeSigningRequest, signRequest } from '../../../src/rotation/index.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { formatExpires } from '../../../src/tuf/dates.js';
import { notaryTargetsSigned, signNotary } from '../../support/notary-publish.js';
import { refusal } from '../../support/refusal.js';
import { withField } from '../../support/repo.js';
import { EXPIRES_V2, GUN, makeCustodian, makeRoleKey, rootFixture, type Custodian, type RootFixture } from './support.js';

const enc = new TextEncoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (v: JsonValue | string) => enc.encode(typeof v === 'string' ? v : JSON.stringify(v, null, 2));
const keyJsonFile = (json: JsonObject) => enc.encode(`${JSON.stringify(json, null, 2)}\n`);
const HEX = 'ab'.repeat(32);
const NOW = new Date();

let fx: RootFixture;
let dave: Custodian;
let targets2: Custodian;
let files: Map<string, Uint8Array>;

/** Carol's token was lost: Dave takes her place; a new targets key (PEM); root threshold stays 2. */
function notaryPlan(m: ReadonlyMap<string, Uint8Array> = files): JsonObject {
  const [alice, bob, carol] = fx.custodians;
  return {
    format: 'tuf-ceremony-rotation-plan',
    version: 1,
    profile: 'notary',
    repository: GUN,
    previousRoot: { file: 'root.json', sha256: sha(files.get('root.json')!), version: 1 },
    custodians: [
      { name: 'Alice', keyid: alice!.listed.keyId },
      { name: 'Bob', keyid: bob!.listed.keyId },
      { name: 'Carol', keyid: carol!.listed.keyId },
    ],
    expires: EXPIRES_V2,
    root: { replace: [{ custodian: 'Carol', by: { name: 'Dave', keyFile: 'dave.notary.json', sha256: sha(m.get('dave.notary.json')!) }, reason: 'lost' }], threshold: 2 },
    targets: { keys: [{ name: 'targets 2026', keyFile: 'targets-2026.pem', sha256: sha(m.get('targets-2026.pem')!) }] },
  };
}

const set = (obj: JsonObject, path: (string | number)[], value: JsonValue | undefined) => withField(obj, path, value);

beforeAll(async () => {
  fx = await rootFixture('notary');
  dave = await makeCustodian('notary', 'Dave');
  targets2 = makeRoleKey('notary', 'targets 2026');
  files = new Map([
    ['root.json', fx.rootV1],
    ['dave.notary.json', keyJsonFile(dave.listed.json)],
    ['targets-2026.pem', enc.encode(pemOf('PUBLIC KEY', targets2.key.spki))],
  ]);
});

describe('a rotation plan becomes its signing request', () => {
  it('replaces Carol by Dave and the targets key; the review names them; the hash is the plan file', () => {
    const planBytes = bytes(notaryPlan());
    const planned = planRotation(planBytes, files, NOW);
    expect(planned.hash.sha256).toBe(sha(planBytes));
    const [alice, bob, carol] = fx.custodians;
    expect(planned.request.root.version).toBe(2);
    expect(planned.request.root.roles.get('root')!.keyids).toEqual([alice!.listed.keyId, bob!.listed.keyId, dave.listed.keyId]);
    expect(planned.request.root.roles.get('targets')!.keyids).toEqual([targets2.listed.keyId]);
    expect(planned.request.expectedSigners.find((s) => s.keyid === carol!.listed.keyId)).toEqual({ keyid: carol!.listed.keyId, name: 'Carol', from: 'previous', lost: true, reason: 'lost' });
    const text = describeRequest(planned.request).text;
    expect(text).toMatch(/root: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Carol\" is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\"/);
    // Only root keys carry names in a request; the targets key is named by key ID and fingerprint.
    // The plan's name for the new targets key reaches the review (carried in the request's keyNames).
    expect(text).toMatch(new RegExp(`targets: key [0-9a-f]{12}… \\(fingerprint [0-9a-f ]+\\) is REPLACED by key ${targets2.listed.keyId.slice(0, 12)}… \\(fingerprint [0-9a-f ]+\\) named "targets 2026"`));
    expect(planned.request.keyNames).toEqual(new Map([[targets2.listed.keyId, 'targets 2026']]));
    // The request round-trips through its file form.
    expect(parseSigningRequest(serializeSigningRequest(planned.request)).requestId).toBe(planned.request.requestId);
  });

  it('lists the files it needs, once each, with where the plan names them', () => {
    expect(rotationPlanInputs(parseRotationPlan(bytes(notaryPlan())))).toEqual([
      { file: 'root.json', path: '$.previousRoot.file', kind: 'previous-root' },
      { file: 'dave.notary.json', path: '$.root.replace[0].by.keyFile', kind: 'key' },
      { file: 'targets-2026.pem', path: '$.targets.keys[0].keyFile', kind: 'key' },
    ]);
  });

  it('renews the expiry alone (TUF), pinned by version only', async () => {
    const tuf = await rootFixture('tuf');
    const plan = { format: 'tuf-ceremony-rotation-plan', version: 1, profile: 'tuf', repository: 'example-repo', previousRoot: { file: 'root.json', version: 1 }, custodians: [], expires: EXPIRES_V2 };
    const planned = planRotation(bytes(plan), new Map([['root.json', tuf.rootV1]]), NOW);
    expect(planned.request.root.version).toBe(2);
    expect(planned.request.root.expiresText).toBe(EXPIRES_V2);
    expect(describeRequest(planned.request).changes).toEqual([{ kind: 'expires', from: planned.request.previous.signed.expiresText, to: EXPIRES_V2 }]);
  });

  it('takes a Notary root key as a PEM certificate (written back as Go writes PEM) and a server key file', async () => {
    const erin = SoftwareKey.generate('ecdsa-p256');
    const cert = await makeNotaryRootCertificate(erin, { gun: GUN, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 5 * 365 * 86_400_000) });
    const certCrlf = enc.encode(cert.pem.replace(/\n/g, '\r\n'));
    const server = makeRoleKey('notary', 'server timestamp');
    const serverFile = enc.encode(JSON.stringify({ keytype: server.listed.json.keytype, keyval: { public: (server.listed.json.keyval as JsonObject).public, private: null } }));
    const more = new Map([...files, ['erin.pem', certCrlf], ['timestamp.key', serverFile]]);
    const plan = set(set(notaryPlan(), ['root', 'add'], [{ name: 'Erin', keyFile: 'erin.pem', sha256: sha(certCrlf) }]), ['timestamp'], { keys: [{ keyFile: 'timestamp.key', sha256: sha(serverFile) }] });
    const planned = planRotation(bytes(plan), more, NOW);
    expect(planned.request.root.roles.get('root')!.keyids).toContain(cert.listed.keyId);
    expect(planned.request.root.roles.get('timestamp')!.keyids).toEqual([server.listed.keyId]);
  });
});

// [what, plan (or text), code, path]
const INVALID: [string, () => JsonValue | string, ErrorCode, string][] = [
  ['not JSON', () => '{"format": ', 'JSON_MALFORMED', '$.format'],
  ['an unknown top-level field', () => set(notaryPlan(), ['witnesses'], ['Eve']), 'PLAN_INVALID', '$.witnesses'],
  ['the ceremony plan format', () => set(notaryPlan(), ['format'], 'tuf-ceremony-plan'), 'PLAN_INVALID', '$.format'],
  ['a format version from the future', () => set(notaryPlan(), ['version'], 2), 'PLAN_INVALID', '$.version'],
  ['an unknown profile', () => set(notaryPlan(), ['profile'], 'notary2'), 'PLAN_INVALID', '$.profile'],
  ['a repository with a space', () => set(notaryPlan(), ['repository'], 'registry.example.com/org app'), 'PLAN_INVALID', '$.repository'],
  ['a repository with a "." segment', () => set(notaryPlan(), ['repository'], 'registry.example.com/./app'), 'PLAN_INVALID', '$.repository'],
  ['a previous root pinned by nothing', () => set(notaryPlan(), ['previousRoot'], { file: 'root.json' }), 'PLAN_INVALID', '$.previousRoot'],
  ['a previous root outside the plan folder', () => set(notaryPlan(), ['previousRoot', 'file'], '../root.json'), 'PLAN_INVALID', '$.previousRoot.file'],
  ['a previous root hash in upper case', () => set(notaryPlan(), ['previousRoot', 'sha256'], HEX.toUpperCase()), 'PLAN_INVALID', '$.previousRoot.sha256'],
  ['a previous root version 0', () => set(notaryPlan(), ['previousRoot', 'version'], 0), 'PLAN_INVALID', '$.previousRoot.version'],
  ['two custodians with one name', () => set(notaryPlan(), ['custodians', 1, 'name'], 'alice'), 'PLAN_INVALID', '$.custodians[1].name'],
  // Names a reader cannot tell apart (names.ts nameKey); before, only the case was folded.
  ['two custodians named "José", in NFC and in NFD', () => set(set(notaryPlan(), ['custodians', 0, 'name'], 'Jos\u00e9'), ['custodians', 1, 'name'], 'Jose\u0301'), 'PLAN_INVALID', '$.custodians[1].name'],
  ['a custodian name with a bidi override', () => set(notaryPlan(), ['custodians', 0, 'name'], 'Al\u202eice'), 'PLAN_INVALID', '$.custodians[0].name'],
  ['a custodian key ID that is not hex', () => set(notaryPlan(), ['custodians', 0, 'keyid'], 'alice'), 'PLAN_INVALID', '$.custodians[0].keyid'],
  ['one key named for two custodians', () => set(notaryPlan(), ['custodians', 1, 'keyid'], fx.custodians[0]!.listed.keyId), 'PLAN_INVALID', '$.custodians[1].keyid'],
  ['a missing expiry', () => set(notaryPlan(), ['expires'], undefined), 'PLAN_INVALID', '$.expires'],
  ['an expiry with an offset', () => set(notaryPlan(), ['expires'], '2036-05-01T00:00:00+02:00'), 'PLAN_INVALID', '$.expires'],
  ['an unknown field in root', () => set(notaryPlan(), ['root', 'rotate'], true), 'PLAN_INVALID', '$.root.rotate'],
  ['a replacement of nobody', () => set(notaryPlan(), ['root', 'replace', 0, 'custodian'], 'Mallory'), 'PLAN_INVALID', '$.root.replace[0].custodian'],
  ['a replacement naming the key twice', () => set(notaryPlan(), ['root', 'replace', 0, 'keyid'], HEX), 'PLAN_INVALID', '$.root.replace[0]'],
  ['a replacement without a reason', () => set(notaryPlan(), ['root', 'replace', 0, 'reason'], undefined), 'PLAN_INVALID', '$.root.replace[0].reason'],
  ['an unknown reason', () => set(notaryPlan(), ['root', 'replace', 0, 'reason'], 'stolen?'), 'PLAN_INVALID', '$.root.replace[0].reason'],
  ['a new root key without a holder', () => set(notaryPlan(), ['root', 'replace', 0, 'by', 'name'], undefined), 'PLAN_INVALID', '$.root.replace[0].by.name'],
  ['a key file without its hash', () => set(notaryPlan(), ['root', 'replace', 0, 'by', 'sha256'], undefined), 'PLAN_INVALID', '$.root.replace[0].by.sha256'],
  ['an absolute key file', () => set(notaryPlan(), ['root', 'replace', 0, 'by', 'keyFile'], '/etc/dave.json'), 'PLAN_INVALID', '$.root.replace[0].by.keyFile'],
  ['key material typed into the plan', () => set(notaryPlan(), ['root', 'replace', 0, 'by', 'public'], 'MFkw…'), 'PLAN_INVALID', '$.root.replace[0].by.public'],
  ['an empty add list', () => set(notaryPlan(), ['root', 'add'], []), 'PLAN_INVALID', '$.root.add'],
  ['a root threshold of 0', () => set(notaryPlan(), ['root', 'threshold'], 0), 'PLAN_INVALID', '$.root.threshold'],
  ['a threshold as a string', () => set(notaryPlan(), ['root', 'threshold'], '2'), 'PLAN_INVALID', '$.root.threshold'],
  ['a targets change that says nothing', () => set(notaryPlan(), ['targets'], {}), 'PLAN_INVALID', '$.targets'],
  ['an empty targets key list', () => set(notaryPlan(), ['targets', 'keys'], []), 'PLAN_INVALID', '$.targets.keys'],
  ['unavailable nobody', () => set(notaryPlan(), ['unavailable'], [{ custodian: 'Mallory' }]), 'PLAN_INVALID', '$.unavailable[0].custodian'],
  ['consistent snapshots for Notary', () => set(notaryPlan(), ['consistentSnapshot'], true), 'PLAN_INVALID', '$.consistentSnapshot'],
  ['a key given twice', () => '{"format":"tuf-ceremony-rotation-plan","format":"x"}', 'JSON_DUPLICATE_KEY', '$.format'],
];

describe('invalid rotation plans: each refused with its code and the path of the field', () => {
  it.each(INVALID.map(([what, plan, code, path]) => ({ what, plan, code, path })))('$what → $code at $path', ({ plan, code, path }) => {
    const err = refusal(() => parseRotationPlan(bytes(plan())));
    expect({ code: err.code, path: err.path }).toEqual({ code, path });
  });

  it('suggests a near field name', () => {
    const typo = refusal(() => parseRotationPlan(bytes(set(set(notaryPlan(), ['expires'], undefined), ['expiers'], EXPIRES_V2))));
    expect(typo.path).toBe('$.expiers');
    expect(typo.message).toMatch(/did you mean "expires"/);
  });
});

// Plans that parse but do not fit their inputs or cannot be followed: [what, plan, files edit, code, path]
type Edit = (m: Map<string, Uint8Array>) => void;
const MISFIT: [string, (m: ReadonlyMap<string, Uint8Array>) => JsonObject, Edit, ErrorCode, string][] = [
  ['another root.json than the reviewed one', () => notaryPlan(), (m) => m.set('root.json', enc.encode(new TextDecoder().decode(m.get('root.json')!) + ' ')), 'PLAN_INPUT_MISMATCH', '$.previousRoot.sha256'],
  ['a root of another version', () => set(notaryPlan(), ['previousRoot', 'version'], 3), () => undefined, 'PLAN_INPUT_MISMATCH', '$.previousRoot.version'],
  ['a TUF plan over a Notary root', () => set(set(notaryPlan(), ['profile'], 'tuf'), ['targets'], undefined), () => undefined, 'PLAN_INPUT_MISMATCH', '$.profile'],
  ['a previous root that is not there', () => notaryPlan(), (m) => m.delete('root.json'), 'PLAN_INPUT_MISMATCH', '$.previousRoot.file'],
  ['a custodian whose key is not a root key', () => set(notaryPlan(), ['custodians', 2, 'keyid'], fx.targets.listed.keyId), () => undefined, 'PLAN_INPUT_MISMATCH', '$.custodians[2].keyid'],
  ['a key file changed after review', () => notaryPlan(), (m) => m.set('dave.notary.json', keyJsonFile({ ...dave.listed.json, extra: 1 } as JsonObject)), 'PLAN_INPUT_MISMATCH', '$.root.replace[0].by.sha256'],
  ['a removal by a key ID the root does not list', () => set(notaryPlan(), ['root', 'remove'], [{ keyid: HEX, reason: 'retired' }]), () => undefined, 'PLAN_INPUT_MISMATCH', '$.root.remove[0].keyid'],
  ['a Notary root key as a bare PEM public key', (m) => notaryPlan(m), (m) => m.set('dave.notary.json', enc.encode(pemOf('PUBLIC KEY', dave.key.spki))), 'PLAN_INPUT_MISMATCH', '$.root.replace[0].by.keyFile'],
  ['a Notary root key as a bare ecdsa key', (m) => notaryPlan(m), (m) => m.set('dave.notary.json', keyJsonFile(makeRoleKey('notary', 'x').listed.json)), 'PLAN_INPUT_MISMATCH', '$.root.replace[0].by.keyFile'],
  ['a key file carrying a private key', (m) => notaryPlan(m), (m) => m.set('dave.notary.json', keyJsonFile({ keytype: 'ecdsa-x509', keyval: { private: 'c2VjcmV0', public: 'x' } })), 'PLAN_INPUT_MISMATCH', 'dave.notary.json $.keyval.private'],
  ['a key file that is not a key', (m) => notaryPlan(m), (m) => m.set('dave.notary.json', enc.encode('hello')), 'PLAN_INPUT_MISMATCH', '$.root.replace[0].by.keyFile'],
  ['a certificate as the targets key', (m) => notaryPlan(m), (m) => m.set('targets-2026.pem', enc.encode('-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n')), 'PLAN_INPUT_MISMATCH', '$.targets.keys[0].keyFile'],
  ['the replacement is already a root key', (m) => notaryPlan(m), (m) => m.set('dave.notary.json', keyJsonFile(fx.custodians[0]!.listed.json)), 'ROTATION_CHANGE_INVALID', '$.root.replace[0].by'],
  ['two lost keys of a 2-of-3 root', () => set(notaryPlan(), ['unavailable'], [{ custodian: 'Bob' }]), () => undefined, 'ROTATION_UNFOLLOWABLE', '$.root'],
  ['a threshold the new keys cannot reach', () => set(notaryPlan(), ['root', 'threshold'], 4), () => undefined, 'ROTATION_UNFOLLOWABLE', '$.root.threshold'],
  ['an expiry already past', () => set(notaryPlan(), ['expires'], '2020-01-01T00:00:00Z'), () => undefined, 'PLAN_INVALID', '$.expires'],
  ['a Notary root expiring within 6 months', () => set(notaryPlan(), ['expires'], formatExpires(new Date(Date.now() + 30 * 86_400_000))), () => undefined, 'PLAN_INVALID', '$.expires'],
];

describe('plans that do not fit their inputs, or that clients could not follow', () => {
  it.each(MISFIT.map(([what, plan, edit, code, path]) => ({ what, plan, edit, code, path })))('$what → $code at $path', ({ plan, edit, code, path }) => {
    const m = new Map(files);
    edit(m);
    const p = plan(m);
    const err = refusal(() => planRotation(bytes(p), m, NOW));
    expect({ code: err.code, path: err.path }).toEqual({ code, path });
  });

  it('a Notary root certificate for another repository is refused before anyone signs', async () => {
    const other = await makeNotaryRootCertificate(SoftwareKey.generate('ecdsa-p256'), { gun: 'registry.example.com/other/app', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 365 * 86_400_000) });
    const m = new Map(files);
    m.set('dave.notary.json', keyJsonFile(other.listed.json));
    const err = refusal(() => planRotation(bytes(set(notaryPlan(), ['root', 'replace', 0, 'by', 'sha256'], sha(m.get('dave.notary.json')!))), m, NOW));
    expect([err.code, err.path]).toEqual(['PLAN_INPUT_MISMATCH', '$.root.replace[0].by.keyFile']);
    expect(err.message).toMatch(/names "registry.example.com\/other\/app", not the repository/);
  });
});

describe('a delegations plan becomes a targets.json signing request', () => {
  let targetsV1: Uint8Array;
  let ciPem: Uint8Array;
  let ci: Custodian;

  function delegationsPlan(m: ReadonlyMap<string, Uint8Array> = dfiles()): JsonObject {
    return {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'notary',
      repository: GUN,
      previousRoot: { file: 'root.json', sha256: sha(fx.rootV1) },
      custodians: [{ name: 'Tina', keyid: fx.targets.listed.keyId }],
      expires: formatExpires(new Date(Date.now() + 2 * 365 * 86_400_000)),
      delegations: {
        targets: { file: 'targets.json', sha256: sha(m.get('targets.json')!) },
        add: [{ name: 'targets/releases', threshold: 1, paths: [''], keys: [{ name: 'CI', keyFile: 'ci.crt', sha256: sha(m.get('ci.crt')!) }] }],
      },
    };
  }
  const dfiles = () => new Map([['root.json', fx.rootV1], ['targets.json', targetsV1], ['ci.crt', ciPem]]);

  beforeAll(async () => {
    targetsV1 = await signNotary(notaryTargetsSigned(1, { 'app.tar.gz': enc.encode('app') }), [metadataSigner(fx.targets.key, fx.targets.listed)]);
    ci = await makeCustodian('notary', 'CI');
    // The delegate's certificate PEM, as `notary delegation add` takes it.
    ciPem = Buffer.from(String((ci.listed.json.keyval as JsonObject).public), 'base64');
  });

  it('adds targets/releases with the CI certificate; signed by the targets key holder', async () => {
    const planned = planRotation(bytes(delegationsPlan()), dfiles(), NOW);
    expect(planned.request.role).toBe('targets');
    expect(planned.request.expectedSigners).toEqual([{ keyid: fx.targets.listed.keyId, name: 'Tina', from: 'targets' }]);
    const d = planned.targetsPayload!.targets.delegations!;
    expect(d.roles.map((x) => [x.name, x.keyids, x.threshold])).toEqual([['targets/releases', [ci.listed.keyId], 1]]);
    expect(describeRequest(planned.request).text).toContain('targets/releases');
    const again = parseSigningRequest(serializeSigningRequest(planned.request));
    expect(mergeResponses(again, [await signRequest(again, fx.targets.key)]).final).toBe(true);
  });

  const DINVALID: [string, (m: ReadonlyMap<string, Uint8Array>) => JsonObject, ErrorCode, string][] = [
    ['a root change in a delegations plan', (m) => set(delegationsPlan(m), ['root'], { threshold: 2 }), 'PLAN_INVALID', '$.root'],
    ['a delegations section that says nothing', (m) => set(delegationsPlan(m), ['delegations', 'add'], undefined), 'PLAN_INVALID', '$.delegations'],
    ['an unknown field in a delegation', (m) => set(delegationsPlan(m), ['delegations', 'add', 0, 'owner'], 'CI team'), 'PLAN_INVALID', '$.delegations.add[0].owner'],
    ['a root key as the signer of targets.json', (m) => set(delegationsPlan(m), ['custodians', 0, 'keyid'], fx.custodians[0]!.listed.keyId), 'PLAN_INPUT_MISMATCH', '$.custodians[0].keyid'],
    ['another targets.json than the reviewed one', (m) => set(delegationsPlan(m), ['delegations', 'targets', 'sha256'], HEX), 'PLAN_INPUT_MISMATCH', '$.delegations.targets.sha256'],
    ['a Notary delegation outside targets/', (m) => set(delegationsPlan(m), ['delegations', 'add', 0, 'name'], 'releases'), 'DELEGATION_INVALID', '$.delegations.add[0].name'],
    ['removing a delegation that does not exist', (m) => set(delegationsPlan(m), ['delegations', 'remove'], ['targets/qa']), 'DELEGATION_UNKNOWN', '$.delegations.remove[0]'],
    ['revoking a target that is not listed', (m) => set(delegationsPlan(m), ['delegations', 'revokeTargets'], ['nope.tar.gz']), 'TARGET_UNKNOWN', '$.delegations.revokeTargets[0]'],
    ['a current file pinned by another hash', (m) => set(delegationsPlan(m), ['delegations', 'current'], [{ role: 'targets/releases', file: 'targets.json', sha256: HEX }]), 'PLAN_INPUT_MISMATCH', '$.delegations.current[0].sha256'],
    ['a current file of a role targets.json does not delegate', (m) => set(delegationsPlan(m), ['delegations', 'current'], [{ role: 'targets/releases', file: 'targets.json', sha256: sha(m.get('targets.json')!) }]), 'DELEGATION_UNKNOWN', '$.delegations.current[0]'],
    ['a current file outside the plan\'s folder', (m) => set(delegationsPlan(m), ['delegations', 'current'], [{ role: 'targets/releases', file: '../x.json', sha256: HEX }]), 'PLAN_INVALID', '$.delegations.current[0].file'],
  ];
  it.each(DINVALID.map(([what, plan, code, path]) => ({ what, plan, code, path })))('$what → $code at $path', ({ plan, code, path }) => {
    const m = dfiles();
    const err = refusal(() => planRotation(bytes(plan(m)), m, NOW));
    expect({ code: err.code, path: err.path }).toEqual({ code, path });
  });
});
