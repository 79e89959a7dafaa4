/**
 * Review-13b H2: reviewing a targets signing request that re-keys a delegated role of K keys, and carries the
 * role's current file with K signatures, verified that file in full once per removed key — (K−1)·K
 * signature checks, none charged to any limit. The request's parse now verifies it once (K checks, charged
 * to the request's SignatureWork) and the review reads who signed it from there.
 */
import { sign as nodeSign } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import { buildTargetsPayload, buildTargetsSigningRequest, describeRequest, parseSigningRequest, serializeSigningRequest } from '../../../src/rotation/index.js';
import { buildBatchRequest, parseBatchRequest, serializeBatchRequest } from '../../../src/rotation/batch.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { SignatureWork } from '../../../src/tuf/signature-work.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';
import { makeKey } from '../../support/keys.js';
import { keysTable } from '../../support/repo.js';
import { EXPIRES_V1, EXPIRES_V2, rootFixture } from './support.js';
import { batchRequests, people } from './batch-support.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const tuf = getProfile('tuf');

/**
 * The reviewer's shape (review-13b-repro heavy-shapes.ts heavyRequest), small: targets.json N delegates "rel"
 * to K keys (threshold 1); rel.json is signed for real by keys 0 and 1 and carries a valid-looking signature
 * over another message under each other key (each costs a full check); the payload re-keys "rel" to key 0,
 * so K−1 keys are removed — key 1, which signed the file, and K−2 which did not.
 */
async function rekeyRequest(K: number): Promise<Uint8Array> {
  const fx = await rootFixture('tuf');
  const kx = await Promise.all(Array.from({ length: K }, () => makeKey('tuf', 'ed25519')));
  const common = { _type: 'targets', version: 1, expires: EXPIRES_V1, spec_version: '1.0.31' };
  const role = { name: 'rel', keyids: kx.map((k) => k.keyId), threshold: 1, terminating: false, paths: ['releases/*'] };
  const targetsV1 = serializeMetadata('tuf', await signMetadata('tuf', { ...common, targets: {}, delegations: { keys: keysTable(kx), roles: [role] } }, [metadataSigner(fx.targets.key, fx.targets.listed)]));
  const body: JsonObject = { ...common, targets: { 'releases/a': { length: 1, hashes: { sha256: '00'.repeat(32) } } } };
  const env = JSON.parse(Buffer.from(serializeMetadata('tuf', await signMetadata('tuf', body, [kx[0]!, kx[1]!]))).toString()) as { signatures: JsonObject[] };
  const junk = Buffer.from(nodeSign(null, Buffer.from('another message'), kx[2]!.privateKey)).toString('hex');
  for (const k of kx.slice(2)) env.signatures.push({ keyid: k.keyId, sig: junk });
  const relV1 = new TextEncoder().encode(JSON.stringify(env));
  const payload = buildTargetsPayload(fx.rootV1, targetsV1, { expires: EXPIRES_V2, delegations: { rekey: [{ name: 'rel', keys: [{ json: kx[0]!.json }] }] } });
  return serializeSigningRequest(buildTargetsSigningRequest(payload, { repository: 'example', delegatedFiles: new Map([['rel', relV1]]) }));
}

/** Signature checks made by parsing the request, and by reviewing it, and the review's lines. */
function checksOf(bytes: Uint8Array): { parse: number; review: number; lines: string[] } {
  const spy = vi.spyOn(tuf, 'verify');
  const request = parseSigningRequest(bytes);
  const parse = spy.mock.calls.length;
  spy.mockClear();
  const lines = describeRequest(request).lines;
  const review = spy.mock.calls.length;
  spy.mockRestore();
  return { parse, review, lines };
}

describe('reviewing a re-key request checks each carried signature once (review-13b H2)', () => {
  it('checks grow with K, not K²; the review makes none, and still says which removed key signed the file', async () => {
    const at10 = checksOf(await rekeyRequest(10));
    const at20 = checksOf(await rekeyRequest(20));
    // The parse checks rel.json's K signatures once (plus the root and targets.json N: the same at any K).
    expect(at20.parse - at10.parse).toBe(10);
    // Before: (K−1)·K in the review alone — 380 at K = 20.
    expect([at10.review, at20.review]).toEqual([0, 0]);
    const held = at20.lines.filter((l) => l.includes("rel's current file"));
    expect(held).toHaveLength(19);
    expect(held.filter((l) => l.includes('(version 1, signed by this key)'))).toHaveLength(1);
    expect(held.filter((l) => l.includes('(version 1, not signed by this key)'))).toHaveLength(18);
    expect(at20.lines.filter((l) => / LOSES /.test(l))).toHaveLength(19);
  });

  it('a request needing more checks than its limit is refused with SIGNATURE_WORK_EXCEEDED at the carried file', async () => {
    const bytes = await rekeyRequest(20);
    const needed = checksOf(bytes).parse;
    expect(parseSigningRequest(bytes, 'request', new SignatureWork({ checks: needed, bytes: 1 << 30 })).delegatedSigners?.get('rel')?.size).toBe(2);
    let err: unknown;
    try {
      parseSigningRequest(bytes, 'request', new SignatureWork({ checks: needed - 1, bytes: 1 << 30 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CeremonyError);
    expect([(err as CeremonyError).code, (err as CeremonyError).path]).toEqual(['SIGNATURE_WORK_EXCEEDED', '$.delegatedFiles.rel']);
    expect((err as CeremonyError).message).toMatch(/rel\.json: verifying this input takes more than \d+ signature checks/);
  });

  it('a batch holding a targets request refuses it by its role before checking any of its signatures', async () => {
    const roots = await batchRequests('tuf', ['app-1', 'app-2'], people('tuf'));
    const doc = JSON.parse(new TextDecoder().decode(serializeBatchRequest(buildBatchRequest(roots)))) as { requests: JsonObject[] };
    doc.requests[1] = JSON.parse(new TextDecoder().decode(await rekeyRequest(20))) as JsonObject;
    const spy = vi.spyOn(tuf, 'verify');
    let err: unknown;
    try {
      parseBatchRequest(new TextEncoder().encode(JSON.stringify(doc)));
    } catch (e) {
      err = e;
    }
    expect([(err as CeremonyError).code, (err as CeremonyError).path]).toEqual(['SCHEMA_INVALID', '$.requests[1].role']);
    expect((err as CeremonyError).message).toContain('a batch carries root changes only');
    expect(spy).not.toHaveBeenCalled();
  });
});
