/**
 * The optional witness line on co-signing (issue #16): names given when signing are recorded in the
 * signature response (`witnesses`, a plain list of names a session transcript can carry), survive the
 * file and the bundle, do not disturb the merge, and a response whose list is malformed is refused with
 * where.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildRotationPayload,
  buildSigningRequest,
  mergeResponses,
  parseSignatureResponse,
  readSignatureResponse,
  serializeSignatureResponse,
  signRequest,
  wrapSignatureResponse,
  type SigningRequest,
} from '../../../src/rotation/index.js';
import { checkWitnessNames, MAX_WITNESSES } from '../../../src/rotation/request.js';
import { refusal } from '../../support/refusal.js';
import { EXPIRES_V2, rootFixture, type RootFixture } from './support.js';

let fx: RootFixture;
let request: SigningRequest;

beforeAll(async () => {
  fx = await rootFixture('tuf');
  request = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names: fx.names }), { repository: 'example.com/witness' });
});

/** A response's JSON with `witnesses` set to `value` (undefined: removed). */
function withWitnesses(bytes: Uint8Array, value: unknown): Uint8Array {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  if (value === undefined) delete doc.witnesses;
  else doc.witnesses = value;
  return new TextEncoder().encode(JSON.stringify(doc));
}

describe('witnesses on a signature response', () => {
  it('recorded when given (trimmed, blank lines dropped), through the file and the bundle; absent when none', async () => {
    const response = await signRequest(request, fx.custodians[0]!.key, { witnesses: ['  Dana Witness ', '', 'Eve Auditor'] });
    expect(response.witnesses).toEqual(['Dana Witness', 'Eve Auditor']);
    const bytes = serializeSignatureResponse(response);
    expect(JSON.parse(new TextDecoder().decode(bytes)).witnesses).toEqual(['Dana Witness', 'Eve Auditor']);
    expect(parseSignatureResponse(bytes).witnesses).toEqual(['Dana Witness', 'Eve Auditor']);
    const bundle = wrapSignatureResponse(response, request, new Date('2026-11-25T10:00:00Z'));
    expect(readSignatureResponse(bundle, 'r.bundle', request).response.witnesses).toEqual(['Dana Witness', 'Eve Auditor']);
    // The merge counts signatures, not witnesses.
    expect(mergeResponses(request, [response]).status).toBe(mergeResponses(request, [await signRequest(request, fx.custodians[0]!.key)]).status);

    const none = await signRequest(request, fx.custodians[1]!.key);
    expect(none.witnesses).toBeUndefined();
    expect(new TextDecoder().decode(serializeSignatureResponse(none))).not.toContain('witnesses');
  });

  it('refusals: a malformed list in a response file, and too many or unshowable names when signing', async () => {
    const good = serializeSignatureResponse(await signRequest(request, fx.custodians[0]!.key, { witnesses: ['Dana'] }));
    const table: Array<[unknown, string, string]> = [
      ['Dana', 'SCHEMA_INVALID', '$.witnesses'],
      [[], 'SCHEMA_INVALID', '$.witnesses'],
      [[''], 'SCHEMA_INVALID', '$.witnesses[0]'],
      [[' Dana'], 'SCHEMA_INVALID', '$.witnesses[0]'],
      [[7], 'SCHEMA_INVALID', '$.witnesses[0]'],
      [['Da\u202ena'], 'SCHEMA_INVALID', '$.witnesses[0]'],
      [Array.from({ length: MAX_WITNESSES + 1 }, (_, i) => `W${i}`), 'SCHEMA_INVALID', '$.witnesses'],
    ];
    for (const [value, code, path] of table) {
      const err = refusal(() => parseSignatureResponse(withWitnesses(good, value)));
      expect([err.code, err.path], JSON.stringify(value)).toEqual([code, path]);
    }
    expect(refusal(() => checkWitnessNames(['x'.repeat(201)], '$.witnesses')).path).toBe('$.witnesses[0]');
    await expect(signRequest(request, fx.custodians[0]!.key, { witnesses: Array.from({ length: MAX_WITNESSES + 1 }, (_, i) => `W${i}`) })).rejects.toMatchObject({ code: 'SCHEMA_INVALID' });
  });
});
