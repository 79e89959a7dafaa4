/**
 * The Rotation and Co-sign channels (electron/main/rotation.ts) through createIpcHandlers, as the
 * renderer calls them: the pure parts (key files, names, the change set, the default expiry, the root and
 * review views), the administrator's build / merge / write with software co-signers, and a co-signer on
 * a fake PKCS#11 token — a key the request has no use for refused before any login, a hash other than the
 * one confirmed refused before the token is touched, a wrong PIN refused with nothing written, and the
 * PIN never in a result.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createIpcHandlers, type Handler } from '../../../electron/main/ipc-handlers.js';
import { ModuleChoices } from '../../../electron/main/module-choices.js';
import { changeFrom, checkName, defaultExpires, parseKeyFile, reviewView } from '../../../electron/main/rotation.js';
import { TokenModules, type TokenDeps } from '../../../electron/main/tokens.js';
import type {
  GeneratedKeyView,
  NamedFile,
  RotationMergeView,
  RotationNewKeyView,
  RotationRequestView,
  RotationReviewView,
  RotationRootView,
  RotationSignedView,
  RotationSignerCheckView,
  RotationWriteRootView,
} from '../../../electron/shared/api-types.js';
import { CHANNELS, type ChannelName } from '../../../electron/shared/channels.js';
import { buildRotationPayload, buildSigningRequest, buildTargetsPayload, buildTargetsSigningRequest, parseSigningRequest, requestIdForDocument, serializeSignatureResponse, serializeSigningRequest, signRequest } from '../../../src/rotation/index.js';
import { buildDelegatedPayload } from '../../../src/rotation/delegated-payload.js';
import { buildDelegatedSigningRequest } from '../../../src/rotation/request.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { verifyRole } from '../../../src/tuf/verify.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRootUpdate } from '../../../src/tuf/root-chain.js';
import { FakePkcs11, type FakeTokenSpec } from '../../support/fake-pkcs11.js';
import { call, ok } from '../../support/ipc.js';
import { refusal } from '../../support/refusal.js';
import { fixture as revokeTagsFixture } from '../rotation/revoke-tags-support.js';
import { memorySink, TranscriptWriter } from '../../../src/audit/transcript.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { sha256Hex } from '../../../src/crypto/digest.js';
import type { JsonObject } from '../../../src/json/types.js';
import { fixedClock, HEADER } from '../audit/fixtures.js';
import { EXPIRES_V2, GUN, rootFixture, makeCustodian, makeRoleKey } from '../rotation/support.js';

const PIN = 'Zq#7-pin-Wx!';
const WRONG_PIN = 'Wr0ng#pin!';
const MODULE_PATH = '/usr/lib/fake/libfake-pkcs11.so';
/** The handle main's module file dialog issued for the fake library (electron/main/module-choices.ts). */
const MODULE = { chosen: 'c'.repeat(32) };
const DAVE: FakeTokenSpec = { label: 'dave', serial: 'D001', pin: PIN };
const EVE: FakeTokenSpec = { label: 'eve', serial: 'E001', pin: PIN };
const enc = new TextEncoder();

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tufc-rotation-ipc-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const rigs: TokenModules[] = [];
afterEach(async () => {
  for (const m of rigs.splice(0)) await m.finalizeAll();
});

function rig(folder: string | null = tempDir(), now: () => Date = () => new Date('2026-01-01T00:00:00Z')) {
  const out = folder ?? undefined;
  const fake = new FakePkcs11([DAVE, EVE]);
  const modules = new TokenModules((path, o) => TokenModule.load(path, { ...o, api: fake }));
  rigs.push(modules);
  const tokens: TokenDeps = { modules, moduleExists: () => true, platform: 'linux' };
  const asked: string[] = [];
  const moduleChoices = new ModuleChoices({ chooseModuleFile: async () => MODULE_PATH, newId: () => MODULE.chosen });
  moduleChoices.register(MODULE_PATH);
  const h = createIpcHandlers({
    tokens,
    moduleChoices,
    rotation: {
      chooseOutputDir: async (suggested) => {
        asked.push(suggested);
        return out;
      },
      now,
    },
  });
  return { fake, h, out, asked };
}

async function refused(h: Record<ChannelName, Handler>, channel: ChannelName, payload: unknown): Promise<{ code: string; message: string; path?: string }> {
  const r = await call(h, channel, payload);
  if (r.ok) throw new Error(`${channel} was accepted`);
  return r;
}

const file = (name: string, bytes: Uint8Array): NamedFile => ({ name, bytes });

describe('rotation.ts: pure parts', () => {
  it('parseKeyFile reads a key as `tokens export` writes it, and refuses what is not one, naming the file', async () => {
    const c = await makeCustodian('tuf', 'Dave');
    const k = parseKeyFile('tuf', file('dave.json', enc.encode(JSON.stringify(c.listed.json, null, 2) + '\n')));
    expect(k.keyid).toBe(c.listed.keyId);
    expect(k.fingerprint).toBe(c.key.fingerprint);
    const cases: [string, Uint8Array, string][] = [
      ['not JSON', enc.encode('{nope'), 'JSON_MALFORMED'],
      ['an array', enc.encode('[]'), 'SCHEMA_INVALID'],
      ['unknown key type', enc.encode(JSON.stringify({ keytype: 'dsa', scheme: 'dsa', keyval: { public: 'aa' } })), 'KEY_TYPE_UNSUPPORTED'],
      ['too large', new Uint8Array(64 * 1024 + 1).fill(0x20), 'INPUT_TOO_LARGE'],
    ];
    for (const [what, bytes, code] of cases) {
      const err = refusal(() => parseKeyFile('tuf', file('bad.json', bytes)));
      expect([what, err.code]).toEqual([what, code]);
      expect(err.message.startsWith('bad.json: ')).toBe(true);
    }
    // A bare key is not a Notary root key (those are ecdsa-x509 certificates): refused when the payload is built.
    const notaryBare = await rootFixture('notary');
    const ecdsa = await makeCustodian('notary', 'Erin');
    const bare = parseKeyFile('notary', file('k.json', enc.encode(JSON.stringify({ keytype: 'ecdsa', keyval: { private: null, public: Buffer.from(ecdsa.key.spki).toString('base64') } })))).json;
    expect(() => buildRotationPayload(notaryBare.rootV1, { expires: EXPIRES_V2, root: { add: [{ json: bare }] } })).toThrow(/certificates/);
  });

  it('checkName: 1 to 64 printable characters, trimmed', () => {
    expect(checkName('  Dave  ', '$.x')).toBe('Dave');
    for (const bad of ['', '   ', 'x'.repeat(65), 'Da\u0000ve', 'Dave\u202e', 'line\nbreak', 'Da\u009bve', 'Dave\u200f', 'Dave\u2028x', 'Dave\u2069', 'Dave\ud800', '\udc00Dave', '\u001b[1A\u001b[2KDave']) {
      expect(() => checkName(bad, '$.names[0].name'), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'ROTATION_CHANGE_INVALID', path: '$.names[0].name' }));
    }
  });

  it('changeFrom: an empty change set is refused unless it says it only renews the expiry', () => {
    const base = { replace: [], remove: [], add: [], expires: EXPIRES_V2 };
    expect(() => changeFrom('tuf', base)).toThrow(expect.objectContaining({ code: 'ROTATION_CHANGE_INVALID', path: '$.change' }));
    expect(changeFrom('tuf', { ...base, expiresOnly: true })).toEqual({ expires: EXPIRES_V2 });
    expect(changeFrom('tuf', { ...base, threshold: 3 })).toEqual({ expires: EXPIRES_V2, root: { threshold: 3 } });
    expect(() => changeFrom('tuf', { ...base, add: [{ key: file('k.json', enc.encode('{}')), name: 'Dave' }] })).toThrow(expect.objectContaining({ code: 'SCHEMA_INVALID', path: '$.keytype' }));
  });

  it('defaultExpires: now + the default root lifetime (10 years), whole seconds, in the profile form', () => {
    expect(defaultExpires('tuf', new Date('2026-01-01T00:00:00.750Z'))).toBe('2035-12-30T00:00:00Z');
    expect(defaultExpires('notary', new Date('2026-01-01T00:00:00Z'))).toBe('2035-12-30T00:00:00Z');
  });

  it('reviewView names the replaced custodian, says the lost key, the threshold and the expiry', async () => {
    const f = await rootFixture('tuf');
    const dave = await makeCustodian('tuf', 'Dave');
    const carol = f.custodians[2]!;
    const request = buildSigningRequest(buildRotationPayload(f.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: carol.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'lost' }] } }, { names: f.names }), { repository: 'example.com/x' });
    const v = reviewView(request);
    expect(v.role).toBe('root');
    expect(v.changes.map((c) => c.kind)).toEqual(['key-replaced', 'expires']);
    expect(v.changes[0]!.text).toMatch(/^key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Carol\" is replaced by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\" in the root role — reported LOST \(it cannot sign\)$/);
    expect(v.threshold).toBe('root threshold stays 2 of 3');
    expect(v.expires.to).toBe(EXPIRES_V2);
    expect(v.digest.sha256).toBe(request.payloadSha256);
    expect(v.digest.words).toHaveLength(16);
    expect(v.expectedSigners.map((s) => [s.name, s.from, s.lost ?? false])).toEqual([
      ['Alice', 'both', false],
      ['Bob', 'both', false],
      ['Carol', 'previous', true],
      ['Dave', 'new', false],
    ]);
  });
});

describe('Rotation channels: administrator and co-signers', () => {
  it('open root → key from a token (no PIN for TUF) → build, write → co-sign on the token (stranger key and wrong PIN refused first) → merge in any order → root v2', async () => {
    const f = await rootFixture('tuf');
    const [alice, bob, carol] = f.custodians as [(typeof f.custodians)[0], (typeof f.custodians)[0], (typeof f.custodians)[0]];
    const r = rig();
    const previousRoot = file('root.json', f.rootV1);

    const root = await ok<RotationRootView>(r.h, CHANNELS.rotationOpenRoot, { previousRoot });
    expect(root).toMatchObject({ profile: 'tuf', version: 1, threshold: 2, defaultExpires: '2035-12-30T00:00:00Z' });
    expect(root.keys.map((k) => k.keyid)).toEqual(f.custodians.map((c) => c.listed.keyId));
    expect(root.keys[0]!.fingerprint.sha256).toBe(alice.key.fingerprint);
    expect(root.repository).toBeUndefined(); // a TUF root does not name its repository

    // Dave's and Eve's keys are made on their (fake) tokens; Dave's public key is exported without a PIN.
    const madeDave = await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, { module: MODULE, token: { serial: 'D001', label: 'dave' }, algorithm: 'ecdsa-p256', keyLabel: 'root-dave', pin: PIN });
    await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, { module: MODULE, token: { serial: 'E001', label: 'eve' }, algorithm: 'ecdsa-p256', keyLabel: 'root-eve', pin: PIN });
    const loginsBefore = r.fake.countCalls('login');
    const dave = await ok<RotationNewKeyView>(r.h, CHANNELS.rotationKeyFromToken, { module: MODULE, token: { serial: 'D001', label: 'dave' }, keyLabel: 'root-dave', profile: 'tuf' });
    expect(r.fake.countCalls('login')).toBe(loginsBefore);
    expect(dave).toMatchObject({ source: 'token', keyid: madeDave.keyIds.tuf, token: { serial: 'D001', label: 'dave' }, keyLabel: 'root-dave' });
    expect(dave.fingerprint.sha256).toBe(madeDave.fingerprint.sha256);
    // The same key through its file.
    const viaFile = await ok<RotationNewKeyView>(r.h, CHANNELS.rotationKeyFromFile, { profile: 'tuf', key: dave.keyFile });
    expect(viaFile.keyid).toBe(dave.keyid);

    const build = {
      previousRoot,
      repository: 'example.com/rotation',
      names: f.custodians.map((c) => ({ keyid: c.listed.keyId, name: c.name })),
      change: { replace: [{ old: carol.listed.keyId, reason: 'lost', key: dave.keyFile, name: 'Dave' }], remove: [], add: [], expires: EXPIRES_V2 },
      write: false,
    };
    const preview = await ok<RotationRequestView>(r.h, CHANNELS.rotationBuildRequest, build);
    expect(preview.written).toBeUndefined();
    expect(r.asked).toEqual([]);
    expect(readdirSync(r.out!)).toEqual([]);
    const built = await ok<RotationRequestView>(r.h, CHANNELS.rotationBuildRequest, { ...build, write: true });
    expect(built.review.digest).toEqual(preview.review.digest);
    expect(built.written!.name).toMatch(/^rotation-request-v2-[0-9a-f]{8}\.json$/);
    expect(new Uint8Array(readFileSync(built.written!.path))).toEqual(built.file!.bytes);
    // The rotation-request session transcript beside it (issue #16), as `tuf-ceremony rotate` writes it:
    // hash-chained, ended, unsealed. No plan file: what was reviewed is the request, so planHash is its SHA-256.
    expect(built.transcript).toMatchObject({ name: `${built.written!.name}.transcript.jsonl`, path: join(r.out!, `${built.written!.name}.transcript.jsonl`) });
    expect(built.transcript!.sealKeyId).toBeUndefined();
    const requestT = new Uint8Array(readFileSync(built.transcript!.path));
    expect(built.transcript!.sha256).toBe(sha256Hex(requestT));
    expect(() => verifyTranscript(requestT)).toThrow(expect.objectContaining({ code: 'TRANSCRIPT_NOT_SEALED' }));
    const requestV = verifyTranscript(requestT, { allowUnsealed: true });
    const requestSha = sha256Hex(built.file!.bytes);
    expect(requestV).toMatchObject({ sealed: false, header: { kind: 'rotation-request', repository: 'example.com/rotation', planHash: requestSha } });
    expect(requestV.entries.map((e) => e.step)).toEqual(['rotation.request', 'session.end']);
    const requestEntry = requestV.entries[0]!;
    expect(requestEntry.digests!.map((d) => d.sha256)).toEqual([requestSha, built.review.digest.sha256]);
    expect(requestEntry.inputs).toEqual([{ name: 'root.json', sha256: sha256Hex(f.rootV1) }]);
    expect(requestEntry.outputs).toEqual([{ name: built.written!.name, sha256: requestSha }]);
    expect(requestEntry.note).toContain(`keys added: root key "Dave" (key ${dave.keyid.slice(0, 8)})`);
    expect(requestEntry.note).toContain(`keys removed: root key "Carol" (key ${carol.listed.keyId.slice(0, 8)})`);
    expect(requestEntry.note).toMatch(/expected signers: .*Alice.*Bob.*Carol \(lost\).*Dave/);
    // Cut after its last entry: refused even with allowUnsealed (an unsealed session must end with session.end).
    const requestLines = new TextDecoder().decode(requestT).trimEnd().split('\n');
    const cutT = new TextEncoder().encode(`${requestLines.slice(0, -1).join('\n')}\n`);
    expect(() => verifyTranscript(cutT, { allowUnsealed: true })).toThrow(expect.objectContaining({ code: 'TRANSCRIPT_TRUNCATED' }));
    // Never over an existing file.
    expect((await refused(r.h, CHANNELS.rotationBuildRequest, { ...build, write: true })).code).toBe('OUTPUT_EXISTS');
    const request = built.file!;
    const parsed = parseSigningRequest(request.bytes);

    // The co-signer: a key the request has no use for is refused before any login.
    const eveReq = { request, module: MODULE, token: { serial: 'E001', label: 'eve' }, keyLabel: 'root-eve' };
    const logins = r.fake.countCalls('login');
    expect((await refused(r.h, CHANNELS.rotationCheckSigner, eveReq)).code).toBe('ROTATION_SIGNER_UNKNOWN');
    expect((await refused(r.h, CHANNELS.rotationSign, { ...eveReq, confirmedSha256: parsed.payloadSha256, pin: PIN })).code).toBe('ROTATION_SIGNER_UNKNOWN');
    expect(r.fake.countCalls('login')).toBe(logins);

    const daveReq = { request, module: MODULE, token: { serial: 'D001', label: 'dave' }, keyLabel: 'root-dave' };
    const check = await ok<RotationSignerCheckView>(r.h, CHANNELS.rotationCheckSigner, daveReq);
    expect(check.signer).toMatchObject({ name: 'Dave', from: 'new' });
    // A one-part request: the key signs the request's own bytes (the words confirmed on the review), no part.
    expect(check.signs).toEqual({ file: 'root.json', version: 2, digest: built.review.digest });
    // Other bytes than those confirmed: refused before the token is opened.
    const opens = r.fake.countCalls('openSession');
    const other = await refused(r.h, CHANNELS.rotationSign, { ...daveReq, confirmedSha256: '0'.repeat(64), pin: PIN });
    expect(other).toMatchObject({ code: 'ROTATION_REQUEST_TAMPERED', path: '$.confirmedSha256' });
    expect(r.fake.countCalls('openSession')).toBe(opens);
    // A wrong PIN: refused, nothing written, the PIN nowhere in the answer.
    const wrong = await refused(r.h, CHANNELS.rotationSign, { ...daveReq, confirmedSha256: parsed.payloadSha256, pin: WRONG_PIN });
    expect(wrong.code).toBe('PIN_INCORRECT');
    expect(JSON.stringify(wrong)).not.toContain(WRONG_PIN);
    expect(readdirSync(r.out!).filter((n) => n.includes('response'))).toEqual([]);
    // A witness name that is not shown text is refused at the boundary, with where.
    expect(await refused(r.h, CHANNELS.rotationSign, { ...daveReq, confirmedSha256: parsed.payloadSha256, pin: PIN, witnesses: ['Dana\u202e'] })).toMatchObject({ code: 'IPC_INVALID', path: '$.witnesses[0]' });
    const signed = await ok<RotationSignedView>(r.h, CHANNELS.rotationSign, { ...daveReq, confirmedSha256: parsed.payloadSha256, pin: PIN, witnesses: ['Dana Witness'] });
    expect(signed.signer).toEqual({ name: 'Dave', tokenSerial: 'D001' });
    // The optional witness line (issue #16): in the view and in the response file.
    expect(signed.witnesses).toEqual(['Dana Witness']);
    expect(JSON.parse(readFileSync(signed.written.path, 'utf8')).witnesses).toEqual(['Dana Witness']);
    expect(signed.keyids).toEqual([dave.keyid]);
    expect(signed.status).toBe('0 of 2 old keys (of 3), 1 of 2 new keys (of 3); waiting for: Alice (old and new), Bob (old and new)');
    expect(JSON.stringify(signed)).not.toContain(PIN);
    const daveResponse = file(signed.written.name, new Uint8Array(readFileSync(signed.written.path)));
    // The co-sign session transcript beside the response (issue #16), as `tuf-ceremony sign` writes it:
    // sealed by Dave's token key in the same login (one login for both), the witness named, no PIN in it.
    expect(signed.transcript.name).toBe(`${signed.written.name}.transcript.jsonl`);
    expect(signed.transcript.path).toBe(join(r.out!, signed.transcript.name));
    expect(signed.transcript.sealKeyId).toBe(dave.keyid);
    const cosignT = new Uint8Array(readFileSync(signed.transcript.path));
    const cosign = verifyTranscript(cosignT, { expectedSealKeyId: dave.keyid });
    expect(cosign).toMatchObject({ sealed: true, header: { kind: 'co-sign', repository: 'example.com/rotation', planHash: sha256Hex(request.bytes) } });
    expect(cosign.entries.map((e) => e.step)).toEqual(['request.review', 'co-sign']);
    expect(cosign.entries[1]).toMatchObject({ actor: { name: 'Dave' }, token: { serial: 'D001', keyId: dave.keyid }, witnesses: [{ name: 'Dana Witness' }], outputs: [{ name: signed.written.name, sha256: sha256Hex(daveResponse.bytes) }] });
    expect(() => verifyTranscript(cosignT, { expectedSealKeyId: alice.listed.keyId })).toThrow(expect.objectContaining({ code: 'TRANSCRIPT_SEAL_KEY_UNEXPECTED' }));
    expect(Buffer.from(cosignT).includes(Buffer.from(PIN))).toBe(false);
    expect(Buffer.from(cosignT).includes(Buffer.from(WRONG_PIN))).toBe(false);

    // Alice and Bob sign with their (software) keys, as their own machines would.
    const respond = async (c: typeof alice) => file(`${c.name}.json`, serializeSignatureResponse(await signRequest(parsed, c.key)));
    const aliceResponse = await respond(alice);
    const bobResponse = await respond(bob);

    // Merge one at a time, any order; refusals name the file and keep the code.
    let merged = await ok<RotationMergeView>(r.h, CHANNELS.rotationMerge, { request, responses: [daveResponse] });
    expect(merged).toMatchObject({ final: false, previous: { signed: 0, threshold: 2 }, new: { signed: 1, threshold: 2 } });
    const dup = await refused(r.h, CHANNELS.rotationMerge, { request, responses: [daveResponse, daveResponse] });
    expect(dup.code).toBe('ROTATION_SIGNATURE_DUPLICATE');
    expect(dup.message.startsWith(`${daveResponse.name}: `)).toBe(true);
    const otherRequest = parseSigningRequest((await ok<RotationRequestView>(rig().h, CHANNELS.rotationBuildRequest, { ...build, change: { ...build.change, expires: '2036-01-02T00:00:00Z' }, write: true })).file!.bytes);
    const foreign = file('foreign.json', serializeSignatureResponse(await signRequest(otherRequest, alice.key)));
    expect((await refused(r.h, CHANNELS.rotationMerge, { request, responses: [daveResponse, foreign] })).code).toBe('ROTATION_RESPONSE_MISMATCH');
    const bad = JSON.parse(new TextDecoder().decode(bobResponse.bytes)) as { signatures: { sig: string }[] };
    bad.signatures[0]!.sig = (await signRequest(parsed, alice.key)).signatures[0]!.sig;
    expect((await refused(r.h, CHANNELS.rotationMerge, { request, responses: [file('bad.json', enc.encode(JSON.stringify(bad)))] })).code).toBe('ROTATION_SIGNATURE_INVALID');
    // Not final yet: writing is refused with the client's code.
    expect((await refused(r.h, CHANNELS.rotationWriteRoot, { request, responses: [daveResponse, bobResponse] })).code).toBe('ROOT_NOT_SIGNED_BY_PREVIOUS');
    merged = await ok<RotationMergeView>(r.h, CHANNELS.rotationMerge, { request, responses: [daveResponse, bobResponse, aliceResponse] });
    expect(merged.final).toBe(true);
    expect(merged.accepted.map((a) => [a.fileName, a.signer])).toEqual([
      [daveResponse.name, 'Dave'],
      ['Bob.json', 'Bob'],
      ['Alice.json', 'Alice'],
    ]);
    const w = await ok<RotationWriteRootView>(r.h, CHANNELS.rotationWriteRoot, { request, responses: [daveResponse, bobResponse, aliceResponse] });
    expect(w.written.name).toBe('2.root.json');
    // The merge session transcript beside it, as `tuf-ceremony merge` writes it: hash-chained, ended, unsealed.
    expect(w.transcript).toMatchObject({ name: '2.root.json.transcript.jsonl', path: join(r.out!, '2.root.json.transcript.jsonl') });
    expect(w.transcript.sealKeyId).toBeUndefined();
    const mergeT = new Uint8Array(readFileSync(w.transcript.path));
    expect(() => verifyTranscript(mergeT)).toThrow(expect.objectContaining({ code: 'TRANSCRIPT_NOT_SEALED' }));
    const mergeV = verifyTranscript(mergeT, { allowUnsealed: true });
    expect(mergeV).toMatchObject({ sealed: false, header: { kind: 'merge', planHash: sha256Hex(request.bytes) } });
    expect(mergeV.entries.map((e) => e.step)).toEqual(['merge', 'session.end']);
    expect(mergeV.entries[0]!.inputs!.map((i) => i.name)).toEqual([request.name, daveResponse.name, 'Bob.json', 'Alice.json']);
    expect(mergeV.entries[0]!.outputs).toEqual([{ name: '2.root.json', sha256: w.written.sha256 }]);
    expect((await refused(r.h, CHANNELS.rotationWriteRoot, { request, responses: [daveResponse, bobResponse, aliceResponse] })).code).toBe('OUTPUT_EXISTS');
    const v2 = parseMetadata(new Uint8Array(readFileSync(w.written.path)), 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    const v1 = parseMetadata(f.rootV1, 'root', { maxBytes: 1 << 20, source: 'root.json' });
    expect(verifyRootUpdate(v1, v2).bySelf.signed.length).toBe(3);
    expect(r.asked.length).toBeGreaterThan(0);
  });

  it('refuses before anything when no folder is chosen, or when the build would leave v1 clients behind', async () => {
    const f = await rootFixture('tuf');
    const r = rig(null);
    const previousRoot = file('root.json', f.rootV1);
    const base = { previousRoot, repository: 'x', names: [], change: { replace: [], remove: [], add: [], expires: EXPIRES_V2, expiresOnly: true }, write: true };
    expect((await refused(r.h, CHANNELS.rotationBuildRequest, base)).code).toBe('USAGE');
    const twoLost = { ...base, write: false, change: { ...base.change, expiresOnly: undefined, remove: f.custodians.slice(1).map((c) => ({ keyid: c.listed.keyId, reason: 'lost' })), threshold: 1 } };
    delete (twoLost.change as { expiresOnly?: boolean }).expiresOnly;
    expect((await refused(r.h, CHANNELS.rotationBuildRequest, twoLost)).code).toBe('ROTATION_UNFOLLOWABLE');
    const stranger = 'ab'.repeat(32);
    const named = await refused(r.h, CHANNELS.rotationBuildRequest, { ...base, write: false, names: [{ keyid: stranger, name: 'Mallory' }] });
    expect(named).toMatchObject({ code: 'ROTATION_CHANGE_INVALID', path: '$.names[0].keyid' });    // Names cannot forge key text, and two keys cannot share one (issue #12 point 7).
    const [alice, bob] = f.custodians;
    const forged = await refused(r.h, CHANNELS.rotationBuildRequest, { ...base, write: false, names: [{ keyid: alice!.listed.keyId, name: 'Alice (key 7017…, fingerprint 0000 1111 …)' }] });
    expect(forged.code).toBe('NAME_IMITATES_KEY_TEXT');
    const twice = await refused(r.h, CHANNELS.rotationBuildRequest, { ...base, write: false, names: [{ keyid: alice!.listed.keyId, name: 'Alice' }, { keyid: bob!.listed.keyId, name: 'alice' }] });
    expect(twice.code).toBe('NAME_DUPLICATE');
    const hidden = await refused(r.h, CHANNELS.rotationBuildRequest, { ...base, write: false, names: [{ keyid: alice!.listed.keyId, name: 'Ali\u00adce' }] });
    expect(hidden.code).toMatch(/ROTATION_CHANGE_INVALID|IPC_INVALID/);
  });

  it('validates every payload against its schema (unknown fields, caps, the PIN never quoted)', async () => {
    const r = rig();
    const big = new Uint8Array(4 * 1024 * 1024 + 1);
    const cases: [ChannelName, unknown, string][] = [
      [CHANNELS.rotationOpenRoot, { previousRoot: file('root.json', new Uint8Array(2)), extra: 1 }, '$.extra'],
      [CHANNELS.rotationOpenRoot, { previousRoot: file('root.json', new Uint8Array(1024 * 1024 + 1)) }, '$.previousRoot.bytes'],
      [CHANNELS.rotationReview, { request: file('r.json', big) }, '$.request.bytes'],
      [CHANNELS.rotationMerge, { request: file('r.json', new Uint8Array(2)), responses: [] }, '$.responses'],
      [CHANNELS.rotationMerge, { request: file('r.json', new Uint8Array(2)), responses: [file('x.json', new Uint8Array(256 * 1024 + 1))] }, '$.responses[0].bytes'],
      [CHANNELS.rotationSign, { request: file('r.json', new Uint8Array(2)), module: MODULE, token: { serial: 'D001', label: 'dave' }, keyLabel: 'k', confirmedSha256: 'zz', pin: PIN }, '$.confirmedSha256'],
      [CHANNELS.rotationSign, { request: file('r.json', new Uint8Array(2)), module: MODULE, token: { serial: 'D001', label: 'dave' }, keyLabel: 'k', confirmedSha256: '0'.repeat(64), pin: '' }, '$.pin'],
      [CHANNELS.rotationBuildRequest, { previousRoot: file('root.json', new Uint8Array(2)), repository: GUN, names: [], change: { replace: [], remove: [{ keyid: '0'.repeat(64), reason: 'misplaced' }], add: [], expires: EXPIRES_V2 }, write: false }, '$.change.remove[0].reason'],
      [CHANNELS.rotationKeyFromToken, { module: 'relative/lib.so', token: { serial: 'D001', label: 'dave' }, keyLabel: 'k', profile: 'tuf' }, '$.module'],
    ];
    for (const [channel, payload, path] of cases) {
      const e = await refused(r.h, channel, payload);
      expect([channel, e.code, e.path]).toEqual([channel, 'IPC_INVALID', path]);
      expect(e.message).not.toContain(PIN);
    }
  });

  it('Notary: the root names its GUN; names come from the transcript; a token key becomes a certificate only with its PIN', async () => {
    const f = await rootFixture('notary');
    // The real clock: Notary root certificates are checked against it (the fixture's were made just now).
    const r = rig(tempDir(), () => new Date());
    // A transcript whose custodian entries record the root key IDs (as the root ceremony writes them).
    const sink = memorySink();
    const writer = await TranscriptWriter.start(sink, { ...HEADER, profile: 'notary', repository: GUN }, { now: fixedClock() });
    for (const [i, c] of f.custodians.slice(0, 2).entries()) {
      await writer.append({ step: 'root.sign', actor: { name: `${c.name} Custodian`, role: 'custodian' }, token: { serial: `SER${i}`, keyId: c.listed.keyId }, digests: [{ label: 'root.json v1', sha256: '00'.repeat(32) }] });
    }
    const transcript = file('transcript.jsonl', sink.bytes());
    const root = await ok<RotationRootView>(r.h, CHANNELS.rotationOpenRoot, { previousRoot: file('root.json', f.rootV1), transcript });
    expect(root.repository).toBe(GUN);
    expect(root.keys.map((k) => [k.name, k.tokenSerial])).toEqual([
      ['Alice Custodian', 'SER0'],
      ['Bob Custodian', 'SER1'],
      [undefined, undefined],
    ]);
    expect(root.transcript).toMatchObject({ fileName: 'transcript.jsonl', repository: GUN, sealed: false, named: 2 });

    // The Shamir backup key (issue #16): its shamir.split entry records only its fingerprint; it is named.
    const third = f.custodians[2]!;
    await writer.append({ step: 'shamir.split', actor: { name: 'tuf-ceremony', role: 'app' }, digests: [{ label: 'software root key (ECDSA P-256) fingerprint', sha256: third.key.fingerprint }] });
    const withBackup = await ok<RotationRootView>(r.h, CHANNELS.rotationOpenRoot, { previousRoot: file('root.json', f.rootV1), transcript: file('transcript.jsonl', sink.bytes()) });
    expect(withBackup.keys.map((k) => [k.name, k.tokenSerial])).toEqual([
      ['Alice Custodian', 'SER0'],
      ['Bob Custodian', 'SER1'],
      ['Shamir backup', undefined],
    ]);
    expect(withBackup.transcript!.named).toBe(3);

    await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, { module: MODULE, token: { serial: 'D001', label: 'dave' }, algorithm: 'ecdsa-p256', keyLabel: 'root-dave', pin: PIN });
    const req = { module: MODULE, token: { serial: 'D001', label: 'dave' }, keyLabel: 'root-dave', profile: 'notary', gun: GUN };
    expect((await refused(r.h, CHANNELS.rotationKeyFromToken, req)).code).toBe('TOKEN_LOGIN_REQUIRED');
    const wrong = await refused(r.h, CHANNELS.rotationKeyFromToken, { ...req, pin: WRONG_PIN });
    expect(wrong.code).toBe('PIN_INCORRECT');
    expect(JSON.stringify(wrong)).not.toContain(WRONG_PIN);
    const dave = await ok<RotationNewKeyView>(r.h, CHANNELS.rotationKeyFromToken, { ...req, pin: PIN });
    expect(dave.keytype).toBe('ecdsa-x509');
    expect(dave.certificate!.subject).toBe(`CN=${GUN}`);
    // A root that would outlive the certificate is refused before anyone signs.
    const late = await refused(r.h, CHANNELS.rotationBuildRequest, {
      previousRoot: file('root.json', f.rootV1),
      repository: GUN,
      names: [],
      change: { replace: [], remove: [], add: [{ key: dave.keyFile, name: 'Dave' }], expires: '2099-01-01T00:00:00Z' },
      write: false,
    });
    expect(late).toMatchObject({ code: 'ROTATION_CHANGE_INVALID', path: '$.change.add[0].key' });
    // The certificate must name the repository the request is for (what Notary clients check).
    const otherGun = await refused(r.h, CHANNELS.rotationBuildRequest, {
      previousRoot: file('root.json', f.rootV1),
      repository: 'registry.example.com/another/repo',
      names: [],
      change: { replace: [], remove: [], add: [{ key: dave.keyFile, name: 'Dave' }], expires: EXPIRES_V2 },
      write: false,
    });
    expect(otherGun.code).toBe('CERTIFICATE_INVALID');
    expect(otherGun.message).toContain('not the repository "registry.example.com/another/repo"');
    expect(JSON.stringify(dave)).not.toContain(PIN);
    // The transcript's names are used in the request unless the administrator typed others.
    const built = await ok<RotationRequestView>(r.h, CHANNELS.rotationBuildRequest, {
      previousRoot: file('root.json', f.rootV1),
      transcript,
      repository: GUN,
      names: [{ keyid: f.custodians[2]!.listed.keyId, name: 'Carol' }],
      change: { replace: [{ old: f.custodians[2]!.listed.keyId, reason: 'compromised', key: dave.keyFile, name: 'Dave' }], remove: [], add: [], expires: EXPIRES_V2 },
      write: false,
    });
    expect(built.review.expectedSigners.map((x) => x.name)).toEqual(['Alice Custodian', 'Bob Custodian', 'Carol', 'Dave']);
    expect(built.review.changes[0]!.text).toMatch(/^key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Carol\" is replaced by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\" in the root role — reported COMPROMISED$/);
  });
});

describe('Rotation channels: a relabelled request (the repository is bound by the request ID)', () => {
  it('the review refuses the relabel as tampered; re-hashed, a signature made on it does not merge into the real request', async () => {
    const f = await rootFixture('tuf');
    const dave = await makeCustodian('tuf', 'Dave');
    const real = buildSigningRequest(buildRotationPayload(f.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: f.custodians[2]!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'lost' }] } }, { names: f.names }), { repository: 'registry.example.com/org/app' });
    const request = file('request.json', serializeSigningRequest(real));
    const doc = JSON.parse(new TextDecoder().decode(request.bytes)) as Record<string, unknown>;
    doc.repository = 'throw-away test repo';
    const r = rig();
    const tampered = await refused(r.h, CHANNELS.rotationReview, { request: file('relabelled.json', enc.encode(JSON.stringify(doc))) });
    expect([tampered.code, tampered.path]).toEqual(['ROTATION_REQUEST_TAMPERED', '$.requestId']);

    doc.requestId = requestIdForDocument(doc as never);
    const relabelled = file('relabelled.json', enc.encode(JSON.stringify(doc)));
    const review = await ok<RotationReviewView>(r.h, CHANNELS.rotationReview, { request: relabelled });
    expect(review.repository).toBe('throw-away test repo');
    expect(review.requestId).not.toBe(real.requestId);
    const response = file('alice.json', serializeSignatureResponse(await signRequest(parseSigningRequest(relabelled.bytes), f.custodians[0]!.key)));
    const mismatch = await refused(r.h, CHANNELS.rotationMerge, { request, responses: [response] });
    expect(mismatch.code).toBe('ROTATION_RESPONSE_MISMATCH');
    // A request whose names forge key text (re-hashed) is refused by the review before anything is shown.
    const forged = JSON.parse(new TextDecoder().decode(request.bytes)) as Record<string, unknown>;
    (forged.expectedSigners as Record<string, unknown>[])[0]!.name = 'Alice (key 7017…, fingerprint 0000 1111 …)';
    forged.requestId = requestIdForDocument(forged as never);
    const f2 = await refused(r.h, CHANNELS.rotationReview, { request: file('forged.json', enc.encode(JSON.stringify(forged))) });
    expect([f2.code, f2.path]).toEqual(['NAME_IMITATES_KEY_TEXT', '$.expectedSigners[0].name']);
    // The review names every key after its identification, quoted.
    const real2 = await ok<RotationReviewView>(r.h, CHANNELS.rotationReview, { request });
    expect(real2.changes[0]!.text).toMatch(/^key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named "Carol" is replaced by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named "Dave" in the root role — reported LOST/);
    expect(real2.digest.words).toHaveLength(16);
  });
});

describe('Rotation channels: a targets request (delegation added)', () => {
  it('review names the delegation and its key; the merge counts targets keys and writes <N+1>.targets.json, not a root', async () => {
    const f = await rootFixture('tuf');
    const second = makeRoleKey('tuf', 'targets 2');
    // targets.json v1, signed by the root's targets key.
    const targetsV1 = serializeMetadata('tuf', await signMetadata('tuf', { _type: 'targets', spec_version: '1.0.31', version: 1, expires: EXPIRES_V2, targets: {} }, [metadataSigner(f.targets.key, f.targets.listed)]));
    const ci = makeRoleKey('tuf', 'CI');
    const payload = buildTargetsPayload(f.rootV1, targetsV1, { expires: EXPIRES_V2, delegations: { add: [{ name: 'releases', keys: [{ json: ci.listed.json, name: 'CI' }], threshold: 1, paths: ['releases/*'] }] } }, { names: new Map([[f.targets.listed.keyId, 'Targets Alice']]) });
    const request = file('targets-request.json', serializeSigningRequest(buildTargetsSigningRequest(payload, { repository: 'example.com/targets' })));
    const r = rig();

    const review = await ok<RotationReviewView>(r.h, CHANNELS.rotationReview, { request });
    expect([review.role, review.fromVersion, review.toVersion]).toEqual(['targets', 1, 2]);
    expect(review.changes.map((c) => c.text).join('\n')).toMatch(/delegation releases ADDED, threshold 1 of 1: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"CI\"/);

    const parsed = parseSigningRequest(request.bytes);
    // A key that is not the root's targets key is refused with the merge's code.
    const envelope = await signMetadata('tuf', parsed.payload, [metadataSigner(second.key, second.listed)]);
    const stranger = file('stranger.json', serializeSignatureResponse({ requestId: parsed.requestId, payloadSha256: parsed.payloadSha256, signatures: envelope.signatures, signer: { name: 'Mallory' } }));
    expect((await refused(r.h, CHANNELS.rotationMerge, { request, responses: [stranger] })).code).toBe('ROTATION_SIGNER_UNKNOWN');
    const signed = file('alice.json', serializeSignatureResponse(await signRequest(parsed, f.targets.key)));
    const merged = await ok<RotationMergeView>(r.h, CHANNELS.rotationMerge, { request, responses: [signed] });
    expect(merged).toMatchObject({ role: 'targets', toVersion: 2, final: true, new: { signed: 1, threshold: 1 } });
    expect(merged.status).toBe('1 of 1 targets keys: threshold met, targets version 2 is complete');

    const w = await ok<RotationWriteRootView>(r.h, CHANNELS.rotationWriteRoot, { request, responses: [signed] });
    expect([w.role, w.version, w.written.name]).toEqual(['targets', 2, '2.targets.json']);
    expect(readdirSync(r.out!).sort()).toEqual(['2.targets.json', '2.targets.json.transcript.jsonl']);
    const v2 = parseMetadata(new Uint8Array(readFileSync(w.written.path)), 'targets', { maxBytes: 1 << 20, source: '2.targets.json' });
    const root = parseMetadata(f.rootV1, 'root', { maxBytes: 1 << 20, source: 'root.json' });
    expect(verifyRole(v2, 'targets', root.signed.roles.get('targets')!, root.signed.keys).verified).toBe(true);
    expect(v2.signed.delegations!.roles.map((x) => x.name)).toEqual(['releases']);
  });
});

describe.each(['notary', 'tuf'] as const)('Rotation channels: a delegated role\'s own file (renewal, %s)', (profile) => {
  it('the merge names the role and writes <N+1>.<role>.json, never <N+1>.targets.json; the written view names the role\'s file', async () => {
    const f = await revokeTagsFixture(profile);
    const payload = buildDelegatedPayload(f.fx.rootV1, f.targetsV1, f.releasesV1, f.rel, { expires: EXPIRES_V2 });
    const request = file('releases.request.json', serializeSigningRequest(buildDelegatedSigningRequest(payload, { repository: GUN })));
    const parsed = parseSigningRequest(request.bytes);
    const signed = file('ci.json', serializeSignatureResponse(await signRequest(parsed, f.ci.key)));
    const r = rig();
    const merged = await ok<RotationMergeView>(r.h, CHANNELS.rotationMerge, { request, responses: [signed] });
    expect(merged).toMatchObject({ role: 'targets', delegation: { name: f.rel, file: `${f.rel}.json` }, toVersion: 2, final: true });
    const w = await ok<RotationWriteRootView>(r.h, CHANNELS.rotationWriteRoot, { request, responses: [signed] });
    const name = `2.${f.rel.replace(/\//g, '_')}.json`;
    expect([w.delegation, w.version, w.written.name]).toEqual([{ name: f.rel, file: `${f.rel}.json` }, 2, name]);
    expect(readdirSync(r.out!).sort()).toEqual([name, `${name}.transcript.jsonl`]);
    // The file is the role's N+1, signed by its key as targets.json delegates it.
    const v2 = parseMetadata(new Uint8Array(readFileSync(w.written.path)), 'targets', { maxBytes: 1 << 20, source: name });
    const targets = parseMetadata(f.targetsV1, 'targets', { maxBytes: 1 << 20, source: 'targets.json' });
    const role = targets.signed.delegations!.roles.find((x) => x.name === f.rel)!;
    expect(verifyRole(v2, f.rel, role, targets.signed.delegations!.keys).verified).toBe(true);
    expect(v2.signed.version).toBe(2);
    // The merge transcript records the role's file, not targets.json.
    expect(readFileSync(join(r.out!, `${name}.transcript.jsonl`), 'utf8')).toContain(`${f.rel}.json v2 written: ${name}`);
  });
});

describe('Rotation channels: a request that also revokes tags (issue #14)', () => {
  it('the merge writes both files into one folder, or neither while one part is unsigned (MERGE_HALF_SIGNED)', async () => {
    const f = await revokeTagsFixture('tuf');
    const payload = buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2, delegations: { revokeKeys: [{ keyid: f.ci.listed.keyId, role: f.rel }] } });
    const built = buildTargetsSigningRequest(payload, { repository: 'example.com/tags', delegatedFiles: new Map([[f.rel, f.releasesV1]]), revokeTags: { role: f.rel, targets: ['releases/v2.tar.gz'] } });
    const request = file('revoke.request.json', serializeSigningRequest(built));
    const parsed = parseSigningRequest(request.bytes);
    const byTargets = file('tina.json', serializeSignatureResponse(await signRequest(parsed, f.fx.targets.key)));
    const byCi2 = file('ci2.json', serializeSignatureResponse(await signRequest(parsed, f.ci2.key)));
    const r = rig();
    // The co-signer's review on screen: both parts, in the core's words.
    const review = await ok<RotationReviewView>(r.h, CHANNELS.rotationReview, { request });
    const text = review.changes.map((c) => c.text).join('\n');
    expect(text).toContain(`Part 2 of 2 — ${f.rel}.json, signed by the keys of ${f.rel}`);
    expect(text).toContain('target "releases/v2.tar.gz" REVOKED');
    expect(text).toContain('What a client sees afterwards');
    expect((await refused(r.h, CHANNELS.rotationWriteRoot, { request, responses: [byTargets] })).code).toBe('MERGE_HALF_SIGNED');
    expect(readdirSync(r.out!)).toEqual([]);
    const w = await ok<RotationWriteRootView>(r.h, CHANNELS.rotationWriteRoot, { request, responses: [byTargets, byCi2] });
    expect([w.written.name, w.delegated?.role, w.delegated?.version, w.delegated?.written.name]).toEqual(['2.targets.json', f.rel, 2, '2.releases.json']);
    // Both files, and one merge session transcript naming both as outputs (unsealed, as `merge` writes it).
    expect(readdirSync(r.out!).sort()).toEqual(['2.releases.json', '2.targets.json', '2.targets.json.transcript.jsonl']);
    expect(w.transcript.name).toBe('2.targets.json.transcript.jsonl');
    const log = readFileSync(w.transcript.path, 'utf8');
    expect(log).toContain('2.releases.json');
    expect(log).toContain('(tags revoked), the bytes signed');
    const rel = parseMetadata(new Uint8Array(readFileSync(w.delegated!.written.path)), 'targets', { maxBytes: 1 << 20, source: '2.releases.json' });
    expect([...rel.signed.targets.keys()]).toEqual(['releases/v1.tar.gz']);
    // Every file is checked absent before any is written: with only the delegated role's file left in the
    // folder, a second merge is refused and writes neither targets.json nor a transcript.
    const releasesBefore = readFileSync(w.delegated!.written.path);
    rmSync(w.written.path);
    rmSync(w.transcript.path);
    expect((await refused(r.h, CHANNELS.rotationWriteRoot, { request, responses: [byTargets, byCi2] })).code).toBe('OUTPUT_EXISTS');
    expect(readdirSync(r.out!)).toEqual(['2.releases.json']);
    expect(readFileSync(w.delegated!.written.path).equals(releasesBefore)).toBe(true);
  });

  it("a part-2 co-signer on a token confirms part 2's hash words and signs it; part 1's words with that key are refused before the PIN", async () => {
    const f = await revokeTagsFixture('tuf');
    const r = rig();
    // Dave's key is made on his (fake) token and takes CI's place in the releases role: a part-2 signer.
    await ok<GeneratedKeyView>(r.h, CHANNELS.tokensGenerateKey, { module: MODULE, token: { serial: 'D001', label: 'dave' }, algorithm: 'ecdsa-p256', keyLabel: 'rel-dave', pin: PIN });
    const dave = await ok<RotationNewKeyView>(r.h, CHANNELS.rotationKeyFromToken, { module: MODULE, token: { serial: 'D001', label: 'dave' }, keyLabel: 'rel-dave', profile: 'tuf' });
    const daveJson = JSON.parse(new TextDecoder().decode(dave.keyFile.bytes)) as JsonObject;
    const payload = buildTargetsPayload(f.fx.rootV1, f.targetsV1, { expires: EXPIRES_V2, delegations: { rekey: [{ name: f.rel, keys: [{ json: f.ci2.listed.json }, { json: daveJson, name: 'Dave' }] }] } });
    const built = buildTargetsSigningRequest(payload, { repository: 'example.com/tags', delegatedFiles: new Map([[f.rel, f.releasesV1]]), revokeTags: { role: f.rel, targets: ['releases/v2.tar.gz'] } });
    const request = file('revoke.request.json', serializeSigningRequest(built));
    const parsed = parseSigningRequest(request.bytes);
    const part1 = parsed.payloadSha256;
    const part2 = parsed.revokeTags!.payloadSha256;
    expect(part2).not.toBe(part1);
    const daveReq = { request, module: MODULE, token: { serial: 'D001', label: 'dave' }, keyLabel: 'rel-dave' };

    // The check (no PIN) says which part this key signs, with that part's hash words.
    const logins = r.fake.countCalls('login');
    const check = await ok<RotationSignerCheckView>(r.h, CHANNELS.rotationCheckSigner, daveReq);
    expect(check.signs).toMatchObject({ file: 'releases.json', version: 2, part: { index: 2, of: 2 } });
    expect(check.signs.digest.sha256).toBe(part2);
    expect(check.signs.digest.words.length).toBeGreaterThan(0);
    expect(check.signer.keyids).toEqual([dave.keyid]);
    expect(check.signer.name).toBe('Dave');
    // The review's hash words are part 1's: not the ones this co-signer confirms.
    const review = await ok<RotationReviewView>(r.h, CHANNELS.rotationReview, { request });
    expect(review.digest.sha256).toBe(part1);

    // Part 1's words confirmed with a part-2 key: refused before the login, no signature made, nothing written.
    const signs = r.fake.countCalls('sign');
    const wrongPart = await refused(r.h, CHANNELS.rotationSign, { ...daveReq, confirmedSha256: part1, pin: PIN });
    expect(wrongPart).toMatchObject({ code: 'ROTATION_REQUEST_TAMPERED', path: '$.confirmedSha256' });
    expect(wrongPart.message).toContain('signs part 2 of 2 (releases.json v2');
    expect(wrongPart.message).toContain('no PIN was used');
    expect(JSON.stringify(wrongPart)).not.toContain(PIN);
    expect([r.fake.countCalls('login'), r.fake.countCalls('sign')]).toEqual([logins, signs]);
    expect(readdirSync(r.out!)).toEqual([]);

    // Part 2's words: signed, the response names part 2's bytes and counts for the role.
    const signed = await ok<RotationSignedView>(r.h, CHANNELS.rotationSign, { ...daveReq, confirmedSha256: check.signs.digest.sha256, pin: PIN });
    expect(signed.keyids).toEqual([dave.keyid]);
    expect(r.fake.countCalls('sign')).toBeGreaterThan(signs);
    const response = JSON.parse(readFileSync(signed.written.path, 'utf8')) as { payloadSha256: string };
    expect(response.payloadSha256).toBe(part2);
    // With the targets key's part 1, the merge writes both files.
    const byTargets = file('tina.json', serializeSignatureResponse(await signRequest(parsed, f.fx.targets.key)));
    const merged = await ok<RotationMergeView>(r.h, CHANNELS.rotationMerge, { request, responses: [byTargets, file(signed.written.name, new Uint8Array(readFileSync(signed.written.path)))] });
    expect(merged.final).toBe(true);
  });
});
