/**
 * The plan's `attestation` field (issue #13): what it reads into, each invalid form refused with
 * PLAN_INVALID at its JSON path, a Shamir key refused beside "every root key attested" (nothing can attest
 * a key made in memory), and the field covered by the intent hash like every reviewed byte.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { parsePlan } from '../../../src/ceremony/plan.js';
import { intentHash } from '../../../src/ceremony/plan-hash.js';
import { rehearsalPlan } from '../../../src/ceremony/rehearsal-plan.js';
import { refusal } from '../../support/refusal.js';

function plan(attestation: JsonValue | undefined, withShamir = false): JsonObject {
  const p = rehearsalPlan({ profile: 'tuf', repository: 'example.com/repo', now: new Date('2026-12-01T00:00:00Z') });
  if (!withShamir) delete p.shamir;
  if (attestation !== undefined) p.attestation = attestation;
  return p;
}
const bytes = (p: JsonObject): Uint8Array => new TextEncoder().encode(JSON.stringify(p, null, 2));

describe('plan.attestation', () => {
  it('reads required and the allowed PIN and touch policies; absent means nothing is required', () => {
    expect(parsePlan(bytes(plan(undefined)), { rehearsal: true }).attestation).toBeUndefined();
    expect(parsePlan(bytes(plan({ required: true })), { rehearsal: true }).attestation).toEqual({ required: true });
    expect(parsePlan(bytes(plan({ required: false, pinPolicy: ['once', 'always'], touchPolicy: ['always', 'cached'] })), { rehearsal: true }).attestation).toEqual({
      required: false,
      pinPolicy: ['once', 'always'],
      touchPolicy: ['always', 'cached'],
    });
    // A Shamir key beside attestation that is not required: allowed (it is stated as "no attestation").
    expect(parsePlan(bytes(plan({ required: false, touchPolicy: ['always'] }, true)), { rehearsal: true }).attestation?.required).toBe(false);
  });

  const INVALID: Array<[string, JsonValue, string, boolean?]> = [
    ['not an object', true, '$.attestation'],
    ['required missing', { pinPolicy: ['once'] }, '$.attestation.required'],
    ['required not a boolean', { required: 'yes' }, '$.attestation.required'],
    ['an unknown field', { required: true, waive: true }, '$.attestation.waive'],
    ['an unknown PIN policy', { required: true, pinPolicy: ['sometimes'] }, '$.attestation.pinPolicy[0]'],
    ['an unknown touch policy', { required: true, touchPolicy: ['always', 'twice'] }, '$.attestation.touchPolicy[1]'],
    ['an empty policy list', { required: true, touchPolicy: [] }, '$.attestation.touchPolicy'],
    ['a policy listed twice', { required: true, pinPolicy: ['once', 'once'] }, '$.attestation.pinPolicy[1]'],
    ['"unknown" as an allowed policy', { required: true, pinPolicy: ['unknown'] }, '$.attestation.pinPolicy[0]'],
    ['every root key attested beside a Shamir key', { required: true }, '$.attestation.required', true],
  ];
  it.each(INVALID.map(([what, value, path, shamir]) => ({ what, value, path, shamir })))('$what → PLAN_INVALID at $path', ({ value, path, shamir }) => {
    const err = refusal(() => parsePlan(bytes(plan(value, shamir)), { rehearsal: true }));
    expect([err.code, err.path]).toEqual(['PLAN_INVALID', path]);
  });

  it('is covered by the intent hash: a plan that loosens the policy has another hash', () => {
    const strict = intentHash(bytes(plan({ required: true, touchPolicy: ['always'] })));
    const loose = intentHash(bytes(plan({ required: true, touchPolicy: ['always', 'never'] })));
    const none = intentHash(bytes(plan(undefined)));
    expect(new Set([strict.sha256, loose.sha256, none.sha256]).size).toBe(3);
  });
});
