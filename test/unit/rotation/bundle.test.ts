/**
 * Signing requests and signature responses as bundles (src/rotation/bundle.ts): round trips in both forms,
 * and the refusals — a manifest that lies, the wrong kind, a bundle whose label disagrees with what it
 * holds, extra files, a request changed inside a freshly made bundle, a response for another request.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import type { JsonObject } from '../../../src/json/types.js';
import {
  buildRotationPayload,
  buildSigningRequest,
  inspectRotationBundle,
  mergeResponses,
  readSignatureResponse,
  readSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
  wrapSignatureResponse,
  wrapSigningRequest,
  type SignatureResponse,
  type SigningRequest,
} from '../../../src/rotation/index.js';
import { refusal } from '../../support/refusal.js';
import { EXPIRES_V1, EXPIRES_V2, GUN, makeCustodian, rootFixture, type RootFixture } from './support.js';

const CREATED = new Date('2026-11-25T10:00:00Z');
let fx: RootFixture;
let request: SigningRequest;
let other: SigningRequest;
let response: SignatureResponse;

function tamper(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  expect(text).toContain(from);
  return new Uint8Array(Buffer.from(text.replace(from, to), 'latin1'));
}

beforeAll(async () => {
  fx = await rootFixture('notary');
  const dave = await makeCustodian('notary', 'Dave');
  const carol = fx.custodians[2]!;
  request = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: carol.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names: fx.names }), { repository: GUN });
  // Another request over the same root: renew only.
  other = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V1.replace(/^(\d{4})/, (y) => String(Number(y) + 2)) }, { names: fx.names }), { repository: GUN });
  response = await signRequest(request, fx.custodians[0]!.key);
});

describe('request and response bundles', () => {
  it('round-trip: the bundle carries the exact document bytes; plain documents are read as before', () => {
    const bundle = wrapSigningRequest(request, CREATED);
    const got = readSigningRequest(bundle, 'request.tufbundle');
    expect(got.bundle?.kind).toBe('signing-request');
    expect(got.bundle?.files.map((f) => f.name)).toEqual(['request.json']);
    expect(Buffer.from(got.bundle!.files[0]!.bytes).equals(Buffer.from(serializeSigningRequest(request)))).toBe(true);
    expect(got.request.requestId).toBe(request.requestId);
    expect(readSigningRequest(serializeSigningRequest(request)).bundle).toBeUndefined();

    const rb = wrapSignatureResponse(response, request, CREATED);
    const r = readSignatureResponse(rb, 'alice.tufbundle', request);
    expect(r.bundle?.kind).toBe('signature-response');
    expect(r.response).toEqual(response);
    expect(mergeResponses(request, [r.response]).signers).toEqual([{ name: 'Alice', keyids: [fx.custodians[0]!.listed.keyId] }]);
    expect(readSignatureResponse(serializeSignatureResponse(response)).response).toEqual(response);
  });

  it('inspect shows the bundle hash, then the same review as the plain request', () => {
    const ins = inspectRotationBundle(wrapSigningRequest(request, CREATED), 'request.tufbundle')!;
    expect(ins.kind).toBe('signing-request');
    expect(ins.text.split('\n')[0]).toMatch(/^request\.tufbundle: signing-request bundle for notary repository registry\.example\.com\/org\/app, created 2026-11-25T10:00:00Z; bundle short hash /);
    expect(ins.text).toMatch(/key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Carol\" is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\"/);
    expect(inspectRotationBundle(serializeSigningRequest(request), 'request.json')).toBeUndefined();
  });

  it('a request bundle whose manifest lies about its file → BUNDLE_MANIFEST_MISMATCH', () => {
    // Same length, other bytes: Carol renamed in the file, manifest untouched.
    const lying = tamper(wrapSigningRequest(request, CREATED), '"name": "Carol"', '"name": "Karol"');
    expect(refusal(() => readSigningRequest(lying, 'request.tufbundle')).code).toBe('BUNDLE_MANIFEST_MISMATCH');
  });

  it('a request changed and re-bundled with a matching manifest → ROTATION_REQUEST_TAMPERED', () => {
    // A later expiry slipped into the payload: still a well-formed request, no longer the one signed off.
    const later = EXPIRES_V2.replace(/^(\d{4})/, (y) => String(Number(y) + 1));
    const doc = tamper(serializeSigningRequest(request), `"expires": "${EXPIRES_V2}"`, `"expires": "${later}"`);
    const rebundled = encodeBundle({ kind: 'signing-request', profile: 'notary', repository: GUN, created: '2026-11-25T10:00:00Z', files: [{ name: 'request.json', bytes: doc }] });
    expect(refusal(() => readSigningRequest(rebundled, 'request.tufbundle')).code).toBe('ROTATION_REQUEST_TAMPERED');
  });

  it('the wrong kind → BUNDLE_KIND_UNEXPECTED', () => {
    const responseBundle = wrapSignatureResponse(response, request, CREATED);
    const err = refusal(() => readSigningRequest(responseBundle, 'alice.tufbundle'));
    expect([err.code, err.path]).toEqual(['BUNDLE_KIND_UNEXPECTED', '$.kind']);
    expect(refusal(() => readSignatureResponse(wrapSigningRequest(request, CREATED), 'request.tufbundle')).code).toBe('BUNDLE_KIND_UNEXPECTED');
    const trust = encodeBundle({ kind: 'trust-bundle', profile: 'notary', repository: GUN, created: '2026-11-25T10:00:00Z', files: [{ name: 'root.json', bytes: fx.rootV1 }] });
    expect(refusal(() => readSigningRequest(trust, 'trust.tufbundle')).code).toBe('BUNDLE_KIND_UNEXPECTED');
  });

  it('a bundle labelled with another repository than its request → BUNDLE_CONTENT_INVALID', () => {
    const mislabelled = encodeBundle({ kind: 'signing-request', profile: 'notary', repository: 'registry.example.com/other/app', created: '2026-11-25T10:00:00Z', files: [{ name: 'request.json', bytes: serializeSigningRequest(request) }] });
    const err = refusal(() => readSigningRequest(mislabelled, 'request.tufbundle'));
    expect([err.code, err.path]).toEqual(['BUNDLE_CONTENT_INVALID', '$.repository']);
    const resp = wrapSignatureResponse(response, { profile: 'notary', repository: 'registry.example.com/other/app' }, CREATED);
    expect(refusal(() => readSignatureResponse(resp, 'alice.tufbundle', request)).code).toBe('BUNDLE_CONTENT_INVALID');
  });

  it('a request bundle with another file riding along, or none → BUNDLE_CONTENT_INVALID', () => {
    const extra = encodeBundle({
      kind: 'signing-request',
      profile: 'notary',
      repository: GUN,
      created: '2026-11-25T10:00:00Z',
      files: [
        { name: 'request.json', bytes: serializeSigningRequest(request) },
        { name: 'notes.txt', bytes: new TextEncoder().encode('sign this too') },
      ],
    });
    expect(refusal(() => readSigningRequest(extra, 'request.tufbundle')).code).toBe('BUNDLE_CONTENT_INVALID');
    const empty = encodeBundle({ kind: 'signature-response', profile: 'notary', repository: GUN, created: '2026-11-25T10:00:00Z', files: [] });
    expect(refusal(() => readSignatureResponse(empty, 'empty.tufbundle')).code).toBe('BUNDLE_CONTENT_INVALID');
  });

  it('a response bundle for another request is refused by merge → ROTATION_RESPONSE_MISMATCH', async () => {
    const forOther = wrapSignatureResponse(await signRequest(other, fx.custodians[1]!.key), other, CREATED);
    const r = readSignatureResponse(forOther, 'bob.tufbundle', request).response; // same repository: the bundle itself is fine
    const err = refusal(() => mergeResponses(request, [response, r]));
    expect(err.code).toBe('ROTATION_RESPONSE_MISMATCH');
  });

  it('a response bundle holding a request (kind right, content wrong) → SCHEMA_INVALID from the strict parser', () => {
    const wrong = encodeBundle({ kind: 'signature-response', profile: 'notary', repository: GUN, created: '2026-11-25T10:00:00Z', files: [{ name: 'response.json', bytes: serializeSigningRequest(request) }] });
    const err = refusal(() => readSignatureResponse(wrong, 'x.tufbundle'));
    expect([err.code, err.path]).toEqual(['SCHEMA_INVALID', '$.format']);
  });

  it('is deterministic for the same content and time', () => {
    const a = wrapSigningRequest(request, CREATED);
    const b = wrapSigningRequest(request, CREATED);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const json = (inspectRotationBundle(a, 'r')!.json.bundle as JsonObject).kind;
    expect(json).toBe('signing-request');
  });
});
