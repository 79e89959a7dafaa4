import { describe, expect, it } from 'vitest';
import { groupHex, groupWords } from '../../../src/crypto/digest-words.js';
import { isCeremonyError, type ErrorCode } from '../../../src/errors.js';
import { child } from '../../../src/json/fields.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import {
  buildRotationPayload,
  buildSigningRequest,
  requestIdForDocument,
  describeRequest,
  finalizeMerge,
  mergeResponses,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
  type RotationChange,
  type SignatureResponse,
  type SigningRequest,
} from '../../../src/rotation/index.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRootUpdate } from '../../../src/tuf/root-chain.js';
import { EXPIRES_V2, makeCustodian, makeRoleKey, rootFixture, type Custodian, type RootFixture } from './support.js';

function codeOf(fn: () => unknown): ErrorCode | string {
  try {
    fn();
  } catch (err) {
    return isCeremonyError(err) ? err.code : String(err);
  }
  return 'no error';
}

async function codeOfAsync(fn: () => Promise<unknown>): Promise<ErrorCode | string> {
  try {
    await fn();
  } catch (err) {
    return isCeremonyError(err) ? err.code : String(err);
  }
  return 'no error';
}

const enc = new TextEncoder();
const json = (bytes: Uint8Array): JsonObject => JSON.parse(Buffer.from(bytes).toString('utf8')) as JsonObject;

/** Round trip through the file form, as a co-signer receives it. */
function viaFile(request: SigningRequest): SigningRequest {
  return parseSigningRequest(serializeSigningRequest(request));
}

function responseViaFile(r: SignatureResponse): SignatureResponse {
  return parseSignatureResponse(serializeSignatureResponse(r));
}

interface Scenario {
  fx: RootFixture;
  dave: Custodian;
  erin: Custodian;
  request: SigningRequest;
}

/** 2-of-3 (Alice, Bob, Carol) → 2-of-3 (Alice, Dave, Erin): Bob and Carol replaced, Carol's key lost. */
async function replaceTwo(profile: ProfileName): Promise<Scenario> {
  const fx = await rootFixture(profile);
  const [alice, bob, carol] = fx.custodians as [Custodian, Custodian, Custodian];
  void alice;
  const dave = await makeCustodian(profile, 'Dave');
  const erin = await makeCustodian(profile, 'Erin');
  const payload = buildRotationPayload(
    fx.rootV1,
    {
      expires: EXPIRES_V2,
      root: {
        replace: [
          { old: bob.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' },
          { old: carol.listed.keyId, new: { json: erin.listed.json, name: 'Erin' }, reason: 'lost' },
        ],
      },
    },
    { names: fx.names },
  );
  return { fx, dave, erin, request: viaFile(buildSigningRequest(payload, { repository: 'registry.example.com/org/app' })) };
}

describe.each(['tuf', 'notary'] as const)('rotation payloads (%s)', (profile) => {
  it('replaces a custodian key, keeps everything else, version + 1', async () => {
    const fx = await rootFixture(profile);
    const dave = await makeCustodian(profile, 'Dave');
    const carol = fx.custodians[2]!;
    const p = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: carol.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'lost' }] } }, { names: fx.names });
    expect(p.root.version).toBe(2);
    expect(p.root.roles.get('root')!.keyids).toEqual([fx.custodians[0]!.listed.keyId, fx.custodians[1]!.listed.keyId, dave.listed.keyId]);
    expect(p.root.keys.has(carol.listed.keyId)).toBe(false);
    expect(p.root.roles.get('targets')!.keyids).toEqual([fx.targets.listed.keyId]);
    expect(p.unavailable).toEqual([carol.listed.keyId]);
    const req = buildSigningRequest(p, { repository: 'r' });
    expect(req.expectedSigners.map((s) => [s.name, s.from, Boolean(s.lost)])).toEqual([
      ['Alice', 'both', false],
      ['Bob', 'both', false],
      ['Carol', 'previous', true],
      ['Dave', 'new', false],
    ]);
  });

  it('adds and removes root keys, changes the threshold, rotates targets/snapshot/timestamp, renews expiry', async () => {
    const fx = await rootFixture(profile);
    const dave = await makeCustodian(profile, 'Dave');
    const t2 = makeRoleKey(profile, 'targets 2');
    const s2 = makeRoleKey(profile, 'snapshot 2');
    const ts2 = makeRoleKey(profile, 'timestamp 2');
    const p = buildRotationPayload(fx.rootV1, {
      expires: EXPIRES_V2,
      root: { add: [{ json: dave.listed.json, name: 'Dave' }], remove: [{ keyid: fx.custodians[0]!.listed.keyId, reason: 'retired' }], threshold: 3 },
      targets: { keys: [{ json: t2.listed.json }] },
      snapshot: { keys: [{ json: s2.listed.json }] },
      timestamp: { keys: [{ json: ts2.listed.json }] },
      consistentSnapshot: profile === 'tuf',
    });
    expect(p.root.roles.get('root')!.threshold).toBe(3);
    expect(p.root.roles.get('root')!.keyids).toHaveLength(3);
    expect(p.root.roles.get('targets')!.keyids).toEqual([t2.listed.keyId]);
    expect(p.root.keys.has(fx.targets.listed.keyId)).toBe(false);
    expect(p.root.expiresText).toBe(EXPIRES_V2);
    // renew only
    const renew = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 });
    expect(renew.root.roles.get('root')!.keyids).toEqual(fx.custodians.map((c) => c.listed.keyId));
    expect(describeRequest(buildSigningRequest(renew, { repository: 'r' })).changes).toEqual([{ kind: 'expires', from: expect.any(String), to: EXPIRES_V2 }]);
  });

  it('refuses before anyone signs', async () => {
    const fx = await rootFixture(profile);
    const [alice, bob, carol] = fx.custodians as [Custodian, Custodian, Custodian];
    const dave = await makeCustodian(profile, 'Dave');
    const erin = await makeCustodian(profile, 'Erin');
    const stranger = await makeCustodian(profile, 'Mallory');
    const table: [string, RotationChange, ErrorCode][] = [
      ['version skipped', { expires: EXPIRES_V2, version: 3 }, 'ROOT_VERSION_SKIPPED'],
      ['version replayed', { expires: EXPIRES_V2, version: 1 }, 'ROOT_VERSION_SKIPPED'],
      [
        'two of three keys lost at once: the old 2-of-3 cannot sign',
        {
          expires: EXPIRES_V2,
          root: {
            replace: [
              { old: bob.listed.keyId, new: { json: dave.listed.json }, reason: 'lost' },
              { old: carol.listed.keyId, new: { json: erin.listed.json }, reason: 'lost' },
            ],
          },
        },
        'ROTATION_UNFOLLOWABLE',
      ],
      ['unavailable custodians', { expires: EXPIRES_V2, unavailable: [alice.listed.keyId, bob.listed.keyId] }, 'ROTATION_UNFOLLOWABLE'],
      ['new threshold unreachable', { expires: EXPIRES_V2, root: { threshold: 4 } }, 'ROTATION_UNFOLLOWABLE'],
      ['new threshold 0', { expires: EXPIRES_V2, root: { threshold: 0 } }, 'ROTATION_UNFOLLOWABLE'],
      ['removing below the threshold', { expires: EXPIRES_V2, root: { remove: [{ keyid: alice.listed.keyId, reason: 'retired' }, { keyid: bob.listed.keyId, reason: 'retired' }] } }, 'ROTATION_UNFOLLOWABLE'],
      ['replacing a key the root does not list', { expires: EXPIRES_V2, root: { replace: [{ old: stranger.listed.keyId, new: { json: dave.listed.json }, reason: 'lost' }] } }, 'ROTATION_CHANGE_INVALID'],
      ['adding a key already there', { expires: EXPIRES_V2, root: { add: [{ json: alice.listed.json }] } }, 'ROTATION_CHANGE_INVALID'],
      ['a bad expiry', { expires: 'next year' }, 'DATE_INVALID'],
    ];
    for (const [what, change, code] of table) expect([what, codeOf(() => buildRotationPayload(fx.rootV1, change))]).toEqual([what, code]);
    if (profile === 'notary') {
      // Notary root keys are certificates.
      const bare = makeRoleKey(profile, 'bare');
      expect(codeOf(() => buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { add: [{ json: bare.listed.json }] } }))).toBe('KEY_TYPE_UNSUPPORTED');
    }
  });
});

describe.each(['tuf', 'notary'] as const)('signing requests and responses (%s)', (profile) => {
  it('round-trips, strictly', async () => {
    const { request } = await replaceTwo(profile);
    const bytes = serializeSigningRequest(request);
    const doc = json(bytes);
    expect(Object.keys(doc).sort()).toEqual(['expectedSigners', 'format', 'payload', 'policy', 'previousRoot', 'profile', 'repository', 'requestId', 'role', 'version']);
    expect(doc.format).toBe('tuf-ceremony-signing-request');
    expect(doc.requestId).toBe(requestIdForDocument(doc));
    const back = parseSigningRequest(bytes);
    expect(back.requestId).toBe(request.requestId);
    expect(Buffer.from(back.payloadBytes).equals(Buffer.from(request.payloadBytes))).toBe(true);

    const refusals: [string, (d: JsonObject) => void, ErrorCode, string][] = [
      ['unknown field', (d) => (d.extra = 1), 'SCHEMA_INVALID', '$.extra'],
      ['unknown policy field', (d) => ((d.policy as JsonObject).extra = 1), 'SCHEMA_INVALID', '$.policy.extra'],
      ['unknown signer field', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).extra = 1), 'SCHEMA_INVALID', '$.expectedSigners[0].extra'],
      ['another format', (d) => (d.format = 'tuf-ceremony-signature-response'), 'SCHEMA_INVALID', '$.format'],
      ['format version 2', (d) => (d.version = 2), 'SCHEMA_INVALID', '$.version'],
      ['role snapshot (requests are for root or targets)', (d) => (d.role = 'snapshot'), 'SCHEMA_INVALID', '$.role'],
      ['role targets on a root request (no previousTargets)', (d) => (d.role = 'targets'), 'SCHEMA_INVALID', '$.previousTargets'],
      ['bad request ID', (d) => (d.requestId = 'ABC'), 'SCHEMA_INVALID', '$.requestId'],
      ['payload changed after export', (d) => ((d.payload as JsonObject).expires = '2099-01-01T00:00:00Z'), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['previous root changed after export', (d) => (d.previousRoot = Buffer.concat([request.previousRootBytes, enc.encode('\n')]).toString('base64')), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['policy changed', (d) => (((d.policy as JsonObject).new as JsonObject).threshold = 1), 'ROTATION_REQUEST_TAMPERED', '$.policy'],
      ['expected signer moved to the other side (re-hashed)', (d) => ((((d.expectedSigners as JsonObject[])[0] as JsonObject).from = 'previous'), (d.requestId = requestIdForDocument(d))), 'ROTATION_REQUEST_TAMPERED', '$.expectedSigners[0]'],
      // Everything the review shows beyond the payload is bound into the request ID.
      ['repository relabelled', (d) => (d.repository = 'throw-away test repo'), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['expected signer renamed', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).name = 'Mallory'), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['a key newly reported lost', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).lost = true), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['profile changed (the previous root says which)', (d) => (d.profile = profile === 'tuf' ? 'notary' : 'tuf'), 'SCHEMA_INVALID', '$.profile'],
    ];
    for (const [what, edit, code, path] of refusals) {
      const d = json(bytes);
      edit(d);
      let got: unknown;
      try {
        parseSigningRequest(enc.encode(JSON.stringify(d)));
      } catch (err) {
        got = err;
      }
      expect([what, isCeremonyError(got) ? got.code : String(got), isCeremonyError(got) ? got.path : undefined]).toEqual([what, code, path]);
    }
  });

  it('refuses a request whose payload skips a version (re-hashed, so not "tampered")', async () => {
    const { request } = await replaceTwo(profile);
    const d = json(serializeSigningRequest(request));
    (d.payload as JsonObject).version = 3;
    d.requestId = requestIdForDocument(d);
    expect(codeOf(() => parseSigningRequest(enc.encode(JSON.stringify(d))))).toBe('ROOT_VERSION_SKIPPED');
  });

  it('responses are strict', async () => {
    const { fx, request } = await replaceTwo(profile);
    const r = serializeSignatureResponse(await signRequest(request, fx.custodians[0]!.key));
    expect(Object.keys(json(r)).sort()).toEqual(['format', 'payloadSha256', 'requestId', 'signatures', 'signer', 'version']);
    const edits: [(d: JsonObject) => void, string][] = [
      [(d) => (d.extra = true), '$.extra'],
      [(d) => (((d.signatures as JsonObject[])[0] as JsonObject).extra = 'x'), '$.signatures[0].extra'],
      [(d) => ((d.signer as JsonObject).pin = '1234'), '$.signer.pin'],
      [(d) => (d.signatures = []), '$.signatures'],
      [(d) => (d.payloadSha256 = 'nothex'), '$.payloadSha256'],
    ];
    for (const [edit, path] of edits) {
      const d = json(r);
      edit(d);
      let got: unknown;
      try {
        parseSignatureResponse(enc.encode(JSON.stringify(d)));
      } catch (err) {
        got = err;
      }
      expect(isCeremonyError(got, 'SCHEMA_INVALID') && got.path).toBe(path);
    }
  });
});

describe.each(['tuf', 'notary'] as const)('merge (%s)', (profile) => {
  it('in every order of three responses: same verdict, final, accepted by verifyRootUpdate', async () => {
    const { fx, dave, request } = await replaceTwo(profile);
    const [alice, bob] = fx.custodians as [Custodian, Custodian];
    const responses = [
      responseViaFile(await signRequest(request, alice.key)),
      responseViaFile(await signRequest(request, bob.key, { token: { serial: '0042' } })),
      responseViaFile(await signRequest(request, dave.key)),
    ];
    expect(responses[0]!.signer.name).toBe('Alice');
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    const previous = parseMetadata(fx.rootV1, 'root', { maxBytes: 1 << 20, source: 'root v1' });
    for (const order of orders) {
      const rs = order.map((i) => responses[i]!);
      const result = finalizeMerge(request, rs);
      expect(result.final).toBe(true);
      expect(result.previous.signed.sort()).toEqual([alice.listed.keyId, bob.listed.keyId].sort());
      expect(result.new.signed.sort()).toEqual([alice.listed.keyId, dave.listed.keyId].sort());
      const next = parseMetadata(result.root, 'root', { maxBytes: 1 << 20, source: 'root v2' });
      expect(verifyRootUpdate(previous, next).version).toBe(2);
      expect(result.status).toMatch(/^2 of 2 old keys \(of 3\), 2 of 2 new keys \(of 3\): both thresholds met/);
      // every prefix of two is partial or final, never an error
      const two = mergeResponses(request, rs.slice(0, 2));
      expect(typeof two.final).toBe('boolean');
    }
  });

  it('reports partial results as a value: "2 of 2 old keys, 1 of 2 new keys; waiting for: …"', async () => {
    const { fx, request } = await replaceTwo(profile);
    const [alice, bob] = fx.custodians as [Custodian, Custodian];
    const one = mergeResponses(request, [await signRequest(request, alice.key)]);
    expect(one.final).toBe(false);
    expect(one.root).toBeUndefined();
    expect(one.status).toBe('1 of 2 old keys (of 3), 1 of 2 new keys (of 3); waiting for: Bob (old), Dave (new), Erin (new)');
    const two = mergeResponses(request, [await signRequest(request, bob.key), await signRequest(request, alice.key)]);
    expect(two.previous.verified).toBe(true);
    expect(two.new.verified).toBe(false);
    expect(two.waitingFor.map((w) => `${w.name}/${w.side}`)).toEqual(['Dave/new', 'Erin/new']);
  });

  it('refusal table', async () => {
    const { fx, dave, erin, request } = await replaceTwo(profile);
    const [alice, bob, carol] = fx.custodians as [Custodian, Custodian, Custodian];
    const stranger = await makeCustodian(profile, 'Mallory');
    const a = await signRequest(request, alice.key);
    const b = await signRequest(request, bob.key);
    const d = await signRequest(request, dave.key);
    const e = await signRequest(request, erin.key);
    // Carol's key was reported lost, but a signature by it still counts for the old root (it is listed there).
    const c = await signRequest(request, carol.key);
    // another request: the same change with another expiry
    const other = buildSigningRequest(
      buildRotationPayload(fx.rootV1, { expires: '2040-01-01T00:00:00Z', root: { replace: [{ old: carol.listed.keyId, new: { json: erin.listed.json }, reason: 'lost' }] } }),
      { repository: 'r' },
    );
    const forOther = await signRequest(other, alice.key);
    // a signature by a stranger's key, dressed as a response to this request
    const strangerSig = getProfile(profile).encodeSignature(stranger.listed.keyId, stranger.listed.key, await stranger.key.sign(request.payloadBytes, 'sha256'));
    const byStranger: SignatureResponse = { ...a, signatures: [strangerSig], signer: { name: 'Mallory' } };
    // Bob's key over other bytes, claimed for this payload
    const otherBytes = await signRequest(other, bob.key);
    const badSig: SignatureResponse = { ...b, signatures: [{ ...b.signatures[0]!, sig: otherBytes.signatures[0]!.sig }] };
    const table: [string, () => unknown, ErrorCode][] = [
      ['signed by old keys only', () => finalizeMerge(request, [b, c]), 'ROOT_NOT_SIGNED_BY_SELF'],
      ['signed by new keys only', () => finalizeMerge(request, [d, e]), 'ROOT_NOT_SIGNED_BY_PREVIOUS'],
      ['duplicated signer', () => mergeResponses(request, [a, d, a]), 'ROTATION_SIGNATURE_DUPLICATE'],
      ['signer not in either root', () => mergeResponses(request, [a, byStranger]), 'ROTATION_SIGNER_UNKNOWN'],
      ['response for another request', () => mergeResponses(request, [a, forOther]), 'ROTATION_RESPONSE_MISMATCH'],
      ['response over other bytes', () => mergeResponses(request, [{ ...a, payloadSha256: other.payloadSha256 }]), 'ROTATION_RESPONSE_MISMATCH'],
      ['invalid signature', () => mergeResponses(request, [a, badSig]), 'ROTATION_SIGNATURE_INVALID'],
    ];
    for (const [what, fn, code] of table) expect([what, codeOf(fn)]).toEqual([what, code]);
    expect(await codeOfAsync(() => signRequest(request, stranger.key))).toBe('ROTATION_SIGNER_UNKNOWN');
    // Carol's key was lost: named for the review, never waited for (a signature by it still counts, as above).
    expect(request.expectedSigners.find((s) => s.keyid === carol.listed.keyId)).toEqual({ keyid: carol.listed.keyId, name: 'Carol', from: 'previous', lost: true, reason: 'lost' });
  });
});

describe.each(['tuf', 'notary'] as const)('describeRequest (%s)', (profile) => {
  it('names the replaced custodian and the replacement, thresholds, expiry, and the hash as hex and words', async () => {
    const fx = await rootFixture(profile);
    const dave = await makeCustodian(profile, 'Dave');
    const carol = fx.custodians[2]!;
    const t2 = makeRoleKey(profile, 'targets 2');
    const payload = buildRotationPayload(
      fx.rootV1,
      {
        expires: EXPIRES_V2,
        root: { replace: [{ old: carol.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'compromised' }], threshold: 3 },
        targets: { keys: [{ json: t2.listed.json }] },
      },
      { names: fx.names },
    );
    const request = viaFile(buildSigningRequest(payload, { repository: 'registry.example.com/org/app' }));
    const d = describeRequest(request);
    // Each key by its identification first, the name after it and quoted (issue #12 point 7).
    expect(d.text).toMatch(/root: key [0-9a-f]{12}… \(fingerprint (?:[0-9a-f]{4} ){7}[0-9a-f]{4}\) named "Carol" is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named "Dave"/);
    expect(d.text).toContain('root threshold changes from 2 of 3 to 3 of 3');
    expect(d.text).toContain(`root expiry changes from ${payload.previous.signed.expiresText} to ${EXPIRES_V2}`);
    expect(d.text).toMatch(/targets: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) \(the old/);
    expect(d.text).toMatch(/needs 2 of 3 old keys \(key [0-9a-f]{8}… "Alice", key [0-9a-f]{8}… "Bob", key [0-9a-f]{8}… "Carol"\) and 3 of 3 new keys \(key [0-9a-f]{8}… "Alice", key [0-9a-f]{8}… "Bob", key [0-9a-f]{8}… "Dave"\)/);
    expect(d.digest.sha256).toBe(request.payloadSha256);
    // 128 bits compared aloud: 16 words in four groups of four, 32 hex digits.
    expect(d.digest.words).toHaveLength(16);
    expect(d.digest.hex).toBe(request.payloadSha256.slice(0, 32));
    expect(d.text).toContain(`short hash ${groupHex(d.digest.hex)} — read aloud: ${groupWords(d.digest.words)}`);
    expect(d.changes.filter((c) => c.kind === 'key-replaced').map((c) => c.role)).toEqual(['root', 'targets']);
  });
});

describe.each(['tuf', 'notary'] as const)('names of new targets / snapshot / timestamp keys (%s)', (profile) => {
  async function rekeyRoles() {
    const fx = await rootFixture(profile);
    const t2 = makeRoleKey(profile, 'targets 2026');
    const s2 = makeRoleKey(profile, 'snapshot 2026');
    const ts2 = makeRoleKey(profile, 'timestamp');
    const payload = buildRotationPayload(
      fx.rootV1,
      {
        expires: EXPIRES_V2,
        targets: { keys: [{ json: t2.listed.json, name: 'targets 2026' }] },
        snapshot: { keys: [{ json: s2.listed.json, name: 'snapshot 2026' }] },
        // Unnamed: listed by key ID and fingerprint only.
        timestamp: { keys: [{ json: ts2.listed.json }] },
      },
      { names: fx.names },
    );
    const request = buildSigningRequest(payload, { repository: 'example-repo' });
    return { fx, t2, s2, ts2, request };
  }

  it('carries them in keyNames, bound into the request ID, and the review names them', async () => {
    const { fx, t2, s2, request } = await rekeyRoles();
    expect(request.keyNames).toEqual(new Map([[t2.listed.keyId, 'targets 2026'], [s2.listed.keyId, 'snapshot 2026']]));
    const bytes = serializeSigningRequest(request);
    const doc = json(bytes);
    expect(doc.keyNames).toEqual({ [s2.listed.keyId]: 'snapshot 2026', [t2.listed.keyId]: 'targets 2026' });
    expect(doc.requestId).toBe(requestIdForDocument(doc));
    expect(doc.requestId).not.toBe(requestIdForDocument({ ...doc, keyNames: {} }));
    const back = parseSigningRequest(bytes);
    expect([back.requestId, back.keyNames]).toEqual([request.requestId, request.keyNames]);

    const text = describeRequest(back).text;
    expect(text).toMatch(new RegExp(`targets: key ${fx.targets.listed.keyId.slice(0, 12)}… \\(fingerprint [0-9a-f ]+\\) is REPLACED by key ${t2.listed.keyId.slice(0, 12)}… \\(fingerprint [0-9a-f ]+\\) named "targets 2026"`));
    expect(text).toMatch(new RegExp(`snapshot: key [0-9a-f]{12}… \\(fingerprint [0-9a-f ]+\\) is REPLACED by key ${s2.listed.keyId.slice(0, 12)}… \\(fingerprint [0-9a-f ]+\\) named "snapshot 2026"`));
    expect(text).toMatch(/timestamp: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) \(the old/);

    const rehash = (d: JsonObject): JsonObject => {
      d.requestId = requestIdForDocument(d);
      return d;
    };
    const alice = fx.custodians[0]!.listed.keyId;
    const edits: [string, (d: JsonObject) => void, ErrorCode, string][] = [
      ['renamed after export', (d) => ((d.keyNames as JsonObject)[t2.listed.keyId] = 'Mallory'), 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['names dropped', (d) => delete d.keyNames, 'ROTATION_REQUEST_TAMPERED', '$.requestId'],
      ['not an object', (d) => (d.keyNames = ['targets 2026']), 'SCHEMA_INVALID', '$.keyNames'],
      ['key ID not hex', (d) => ((d.keyNames as JsonObject).XYZ = 'x'), 'SCHEMA_INVALID', '$.keyNames.XYZ'],
      ['empty name', (d) => ((d.keyNames as JsonObject)[t2.listed.keyId] = ''), 'SCHEMA_INVALID', child('$.keyNames', t2.listed.keyId)],
      ['name too long', (d) => ((d.keyNames as JsonObject)[t2.listed.keyId] = 'x'.repeat(201)), 'SCHEMA_INVALID', child('$.keyNames', t2.listed.keyId)],
      ['a root key named here (re-hashed)', (d) => rehash(Object.assign(d, { keyNames: { ...(d.keyNames as JsonObject), [alice]: 'Alice' } })), 'ROTATION_REQUEST_TAMPERED', child('$.keyNames', alice)],
      ['an unknown key (re-hashed)', (d) => rehash(Object.assign(d, { keyNames: { ...(d.keyNames as JsonObject), ['ab'.repeat(32)]: 'x' } })), 'ROTATION_REQUEST_TAMPERED', child('$.keyNames', 'ab'.repeat(32))],
    ];
    const got = edits.map(([what, edit]) => {
      const d = json(bytes);
      edit(d);
      let err: unknown;
      try {
        parseSigningRequest(enc.encode(JSON.stringify(d)));
      } catch (e) {
        err = e;
      }
      return [what, isCeremonyError(err) ? err.code : String(err), isCeremonyError(err) ? err.path : undefined];
    });
    expect(got).toEqual(edits.map(([what, , code, path]) => [what, code, path]));
  });

  it('a response to a relabelled request (ID recomputed) does not merge: each signer saw the names the administrator made', async () => {
    const { fx, t2, request } = await rekeyRoles();
    const d = json(serializeSigningRequest(request));
    (d.keyNames as JsonObject)[t2.listed.keyId] = 'Alice personal (trust me)';
    d.requestId = requestIdForDocument(d);
    const relabelled = parseSigningRequest(enc.encode(JSON.stringify(d)));
    expect(describeRequest(relabelled).text).toContain('"Alice personal (trust me)"');
    const response = await signRequest(relabelled, fx.custodians[0]!.key);
    expect(codeOf(() => mergeResponses(request, [response]))).toBe('ROTATION_RESPONSE_MISMATCH');
  });
});
