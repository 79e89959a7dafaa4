/**
 * Text a co-signer is shown comes from an untrusted file whose request ID anyone can recompute: names,
 * the repository and the response's signer must not carry characters that hide or reorder what a
 * terminal or screen shows (ANSI escapes, C1 controls, bidi overrides, line separators, lone surrogates);
 * text from metadata that the review prints (target paths, role names, field names) is escaped.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCeremonyError, type ErrorCode } from '../../../src/errors.js';
import { checkShownText, child, quoteShown } from '../../../src/json/fields.js';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import {
  buildRotationPayload,
  buildSigningRequest,
  buildTargetsPayload,
  buildTargetsSigningRequest,
  requestIdForDocument,
  describeRequest,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
} from '../../../src/rotation/index.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';
import { EXPIRES_V2, makeRoleKey, rootFixture } from './support.js';

const enc = new TextEncoder();
const json = (bytes: Uint8Array): JsonObject => JSON.parse(Buffer.from(bytes).toString('utf8')) as JsonObject;

/** One of each class checkShownText refuses, as [what, text]. */
const BAD: [string, string][] = [
  ['ANSI escape (ESC, cursor up + erase line)', 'Alice\u001b[1A\u001b[2K'],
  ['NUL', 'Al\u0000ice'],
  ['newline', 'Alice\nBob signed too'],
  ['DEL', 'Alice\u007f'],
  ['C1 CSI', 'Alice\u009b2K'],
  ['bidi override U+202E', 'Alice\u202eecilA'],
  ['bidi embedding U+202A', '\u202aAlice'],
  ['bidi isolate U+2066', 'Alice\u2066'],
  ['pop isolate U+2069', 'Alice\u2069'],
  ['left-to-right mark U+200E', 'Alice\u200e'],
  ['right-to-left mark U+200F', 'Alice\u200f'],
  ['line separator U+2028', 'Alice\u2028Bob'],
  ['paragraph separator U+2029', 'Alice\u2029Bob'],
  ['lone high surrogate', 'Alice\ud800'],
  ['lone low surrogate', '\udc00Alice'],
];
/** What a JSON document can carry: our strict parser already refuses lone surrogates (JSON_MALFORMED). */
const BAD_IN_JSON = BAD.filter(([what]) => !what.includes('surrogate'));

function codeAndPath(fn: () => unknown): [ErrorCode | string, string | undefined] {
  try {
    fn();
  } catch (err) {
    return isCeremonyError(err) ? [err.code, err.path] : [String(err), undefined];
  }
  return ['no error', undefined];
}

describe('checkShownText', () => {
  it('keeps ordinary text, accents, CJK and emoji (surrogate pairs)', () => {
    for (const ok of ['Alice', 'Zoë Müller-Łukasz', '山田 太郎', 'Dave 🔑', 'targets 2026']) expect(checkShownText(ok, '$.x', 200)).toBe(ok);
  });

  it('refuses each class of character that hides or reorders text, and empty or over-long text, with the code and path given', () => {
    const table: [string, string, ErrorCode][] = [...BAD.map(([what, text]): [string, string, ErrorCode] => [what, text, 'SCHEMA_INVALID']), ['empty', '', 'SCHEMA_INVALID'], ['201 characters', 'x'.repeat(201), 'SCHEMA_INVALID']];
    expect(table.map(([what, text]) => [what, ...codeAndPath(() => checkShownText(text, '$.signer.name', 200))])).toEqual(table.map(([what, , code]) => [what, code, '$.signer.name']));
    expect(codeAndPath(() => checkShownText('a\u202eb', '$.n', 10, 'ROTATION_CHANGE_INVALID'))).toEqual(['ROTATION_CHANGE_INVALID', '$.n']);
  });

  it('quoteShown escapes what JSON.stringify leaves raw', () => {
    for (const [what, text] of BAD) expect([what, checkShownText(quoteShown(text), '$', 1000)]).toEqual([what, quoteShown(text)]);
    expect(quoteShown('a\u202eb\u009b')).toBe('"a\\u202eb\\u009b"');
    expect(quoteShown('v1.2')).toBe(JSON.stringify('v1.2'));
  });
});

function parsedWith(d: JsonObject): () => unknown {
  return () => parseSigningRequest(enc.encode(JSON.stringify(d)));
}

describe.each(['tuf', 'notary'] as const)('request and response parsers refuse unshowable names (%s)', (profile: ProfileName) => {
  it('root requests: expected-signer names, key names and the repository (request ID recomputed, so not "tampered")', async () => {
    const fx = await rootFixture(profile);
    const t2 = makeRoleKey(profile, 'targets 2026');
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, targets: { keys: [{ json: t2.listed.json, name: 'targets 2026' }] } }, { names: fx.names });
    const request = buildSigningRequest(payload, { repository: 'registry.example.com/org/app' });
    const bytes = serializeSigningRequest(request);
    expect(parseSigningRequest(bytes).requestId).toBe(request.requestId);
    const rehash = (d: JsonObject): JsonObject => {
      d.requestId = requestIdForDocument(d);
      return d;
    };
    const got: unknown[] = [];
    const want: unknown[] = [];
    for (const [what, text] of BAD_IN_JSON) {
      const signer = json(bytes);
      ((signer.expectedSigners as JsonObject[])[0] as JsonObject).name = text;
      got.push([what, 'signer', ...codeAndPath(parsedWith(rehash(signer)))]);
      want.push([what, 'signer', 'SCHEMA_INVALID', '$.expectedSigners[0].name']);
      const key = json(bytes);
      (key.keyNames as JsonObject)[t2.listed.keyId] = text;
      got.push([what, 'keyNames', ...codeAndPath(parsedWith(rehash(key)))]);
      want.push([what, 'keyNames', 'SCHEMA_INVALID', child('$.keyNames', t2.listed.keyId)]);
      const repo = json(bytes);
      repo.repository = text;
      got.push([what, 'repository', ...codeAndPath(parsedWith(repo))]);
      want.push([what, 'repository', 'SCHEMA_INVALID', '$.repository']);
    }
    expect(got).toEqual(want);
  });

  it('responses: signer.name and signer.token.serial', async () => {
    const fx = await rootFixture(profile);
    const request = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { threshold: 3 } }, { names: fx.names }), { repository: 'r' });
    const r = json(serializeSignatureResponse(await signRequest(request, fx.custodians[0]!.key, { token: { serial: 'abc123' } })));
    expect(parseSignatureResponse(enc.encode(JSON.stringify(r))).signer).toEqual({ name: 'Alice', token: { serial: 'abc123' } });
    const got = BAD_IN_JSON.flatMap(([what, text]) => {
      const n = structuredClone(r);
      (n.signer as JsonObject).name = text;
      const s = structuredClone(r);
      ((s.signer as JsonObject).token as JsonObject).serial = text;
      return [
        [what, ...codeAndPath(() => parseSignatureResponse(enc.encode(JSON.stringify(n))))],
        [what, ...codeAndPath(() => parseSignatureResponse(enc.encode(JSON.stringify(s))))],
      ];
    });
    expect(got).toEqual(BAD_IN_JSON.flatMap(([what]) => [
      [what, 'SCHEMA_INVALID', '$.signer.name'],
      [what, 'SCHEMA_INVALID', '$.signer.token.serial'],
    ]));
  });

  it('responses: signer.token names the pair (serial, label), checked as shown text; older responses with the serial only are read', async () => {
    const fx = await rootFixture(profile);
    const request = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { threshold: 3 } }, { names: fx.names }), { repository: 'r' });
    // On a TPM every token's serial is 0000000000000000: the label says which one signed (issue #11).
    const r = json(serializeSignatureResponse(await signRequest(request, fx.custodians[0]!.key, { token: { serial: '0000000000000000', label: 'alice' } })));
    expect((r.signer as JsonObject).token).toEqual({ serial: '0000000000000000', label: 'alice' });
    expect(parseSignatureResponse(enc.encode(JSON.stringify(r))).signer).toEqual({ name: 'Alice', token: { serial: '0000000000000000', label: 'alice' } });
    const old = structuredClone(r);
    delete ((old.signer as JsonObject).token as JsonObject).label;
    expect(parseSignatureResponse(enc.encode(JSON.stringify(old))).signer).toEqual({ name: 'Alice', token: { serial: '0000000000000000' } });
    const extra = structuredClone(r);
    ((extra.signer as JsonObject).token as JsonObject).slot = '1';
    expect(codeAndPath(() => parseSignatureResponse(enc.encode(JSON.stringify(extra))))[0]).toBe('SCHEMA_INVALID');
    const got = BAD_IN_JSON.map(([what, text]) => {
      const n = structuredClone(r);
      ((n.signer as JsonObject).token as JsonObject).label = text;
      return [what, ...codeAndPath(() => parseSignatureResponse(enc.encode(JSON.stringify(n))))];
    });
    expect(got).toEqual(BAD_IN_JSON.map(([what]) => [what, 'SCHEMA_INVALID', '$.signer.token.label']));
  });
});

describe.each(['tuf', 'notary'] as const)('targets requests (%s)', (profile: ProfileName) => {
  async function targetsRequest(targetName: string) {
    const fx = await rootFixture(profile);
    const body = enc.encode('app 1.2');
    const hashes = { sha256: createHash('sha256').update(body).digest(profile === 'tuf' ? 'hex' : 'base64') };
    const signed: JsonObject = { _type: profile === 'tuf' ? 'targets' : 'Targets', version: 1, expires: EXPIRES_V2, targets: { [targetName]: { length: body.length, hashes }, 'v1.3': { length: body.length, hashes } } };
    if (profile === 'tuf') signed.spec_version = '1.0.31';
    const targetsV1 = serializeMetadata(profile, await signMetadata(profile, signed, [metadataSigner(fx.targets.key, fx.targets.listed)]));
    const payload = buildTargetsPayload(fx.rootV1, targetsV1, { expires: EXPIRES_V2, revokeTargets: [targetName] });
    const request = buildTargetsSigningRequest(payload, { repository: 'registry.example.com/org/app', names: new Map([[fx.targets.listed.keyId, 'Alice (targets)']]) });
    return { fx, request, bytes: serializeSigningRequest(request) };
  }

  it('expected-signer names (request ID recomputed)', async () => {
    const { bytes } = await targetsRequest('v1.2');
    const got = BAD_IN_JSON.map(([what, text]) => {
      const d = json(bytes);
      ((d.expectedSigners as JsonObject[])[0] as JsonObject).name = text;
      d.requestId = requestIdForDocument(d);
      return [what, ...codeAndPath(parsedWith(d))];
    });
    expect(got).toEqual(BAD_IN_JSON.map(([what]) => [what, 'SCHEMA_INVALID', '$.expectedSigners[0].name']));
  });

  it('a revoked target path from targets.json N is printed escaped, never raw', async () => {
    // Notary metadata carries no C0 control (src/tuf/sign.ts): a C1 CSI and a bidi override there.
    const evil = profile === 'tuf' ? 'v1.2\u001b[1A\u001b[2K\u202e' : 'v1.2\u009b2K\u202e';
    const { bytes } = await targetsRequest(evil);
    const text = describeRequest(parseSigningRequest(bytes)).text;
    expect(text).toContain(profile === 'tuf' ? 'target "v1.2\\u001b[1A\\u001b[2K\\u202e" REVOKED' : 'target "v1.2\\u009b2K\\u202e" REVOKED');
    expect(text).not.toMatch(/[\u001b\u009b\u202e]/);
  });
});

it('a TUF delegated role name with a bidi override (allowed by the TUF name rule) is shown quoted and escaped', async () => {
  const fx = await rootFixture('tuf');
  const ci = makeRoleKey('tuf', 'CI');
  const role = 'rel\u202eesaeler';
  const signed: JsonObject = {
    _type: 'targets',
    spec_version: '1.0.31',
    version: 1,
    expires: EXPIRES_V2,
    targets: {},
    delegations: { keys: { [ci.listed.keyId]: ci.listed.json }, roles: [{ name: role, keyids: [ci.listed.keyId], threshold: 1, paths: ['releases/*'], terminating: false }] },
  };
  const targetsV1 = serializeMetadata('tuf', await signMetadata('tuf', signed, [metadataSigner(fx.targets.key, fx.targets.listed)]));
  const payload = buildTargetsPayload(fx.rootV1, targetsV1, { expires: EXPIRES_V2, delegations: { remove: [role] } });
  const text = describeRequest(parseSigningRequest(serializeSigningRequest(buildTargetsSigningRequest(payload, { repository: 'r' })))).text;
  expect(text).toContain('delegation "rel\\u202eesaeler" REMOVED');
  expect(text).not.toContain('\u202e');
});

it('a request built here (names from a plan or the app, never parsed) refuses unshowable names, and the review escapes them all the same', async () => {
  const fx = await rootFixture('tuf');
  const names = new Map(fx.names);
  names.set(fx.custodians[0]!.listed.keyId, 'Alice\u202e\u001b[2K');
  const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names });
  expect(codeAndPath(() => buildSigningRequest(payload, { repository: 'r' }))).toEqual(['ROTATION_CHANGE_INVALID', '$.expectedSigners[0].name']);
  // A request object changed in memory after it was built: describe still escapes what it prints.
  const request = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names: fx.names }), { repository: 'r' });
  request.expectedSigners[0]!.name = 'Alice\u202e\u001b[2K';
  const text = describeRequest(request).text;
  expect(text).toContain('"Alice\\u202e\\u001b[2K"');
  expect(text).not.toMatch(/[\u001b\u202e]/);
});
