/**
 * A plan cannot lock its publishers out (src/ceremony/publisher-lockout.ts, issue #14): publishers' own
 * targets keys with a ceremony-held snapshot key are refused at review with the reason notary-server gives
 * (measured with notary 0.7 / Docker 20.10); handing the snapshot key to the server is accepted.
 */
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../src/ceremony/plan.js';
import type { JsonObject } from '../../../src/json/types.js';
import { refusal } from '../../support/refusal.js';

const HEX = 'cd'.repeat(32);

function plan(snapshot: JsonObject, publishers: JsonObject[] | undefined): Uint8Array {
  const targets: JsonObject = { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets-2026' }, expires: '2029-05-01T00:00:00Z' };
  if (publishers) targets.publishers = publishers;
  return new TextEncoder().encode(
    JSON.stringify({
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'notary',
      repository: 'docker.io/org/app',
      custodians: [
        { name: 'Alice', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-alice' },
        { name: 'Bob', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-bob' },
      ],
      root: { threshold: 2, expires: '2036-05-01T00:00:00Z' },
      targets,
      snapshot,
      timestamp: { keyFile: 'timestamp.key', sha256: HEX },
    }),
  );
}

const HELD = { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot-2026' }, expires: '2029-05-01T00:00:00Z' };
const SERVER = { keyFile: 'snapshot.key', sha256: HEX };
const CI = [{ name: 'CI', keyFile: 'ci.pem', sha256: HEX }];

describe('plans that would lock publishers out', () => {
  it('refuses publishers with a ceremony-held snapshot key, naming the measured reason and the way out', () => {
    const err = refusal(() => parsePlan(plan(HELD, CI)));
    expect([err.code, err.path]).toEqual(['PLAN_INVALID', '$.snapshot']);
    expect(err.message).toContain('no snapshot was included in update and server does not hold current snapshot key');
    expect(err.message).toContain('server-keys get --role snapshot');
  });

  it('accepts publishers when the server holds the snapshot key, and a held snapshot key without publishers', () => {
    expect(parsePlan(plan(SERVER, CI)).targets.publishers).toHaveLength(1);
    expect(parsePlan(plan(HELD, undefined)).snapshot.key.kind).toBe('token');
  });
});
