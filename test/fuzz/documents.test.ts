/**
 * Property-based fuzzing (issue #12) of the other documents that cross the air gap or come from the day's
 * operator: signature responses (parser, plain or bundled, then merged against their request), ceremony
 * transcripts (the offline verifier, sealed and unsealed), site bindings (against their plan) and rotation
 * plans (parser, then resolved into a signing request). Each starts from a VALID document made by the
 * project's own code, so the mutations explore near-valid input; each mutation is accepted or refused
 * with a registered CeremonyError code — never another exception, never INTERNAL (support.ts).
 *
 * Fixed seeds and modest runs here; `npm run fuzz` runs longer with a random seed.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyTranscript } from '../../src/audit/verify.js';
import { parsePlan } from '../../src/ceremony/plan.js';
import { intentHash } from '../../src/ceremony/plan-hash.js';
import { rehearsalPlan, REHEARSAL_CUSTODIANS } from '../../src/ceremony/rehearsal-plan.js';
import { parseSiteBindings } from '../../src/ceremony/site-bindings.js';
import { canonicalBytes } from '../../src/json/canonical.js';
import { parseJsonStrict } from '../../src/json/parse.js';
import type { JsonObject, JsonValue } from '../../src/json/types.js';
import { inspectRotationBundle, readSignatureResponse, wrapSignatureResponse } from '../../src/rotation/bundle.js';
import {
  buildRotationPayload,
  buildSigningRequest,
  mergeResponses,
  parseRotationPlan,
  parseSignatureResponse,
  planRotation,
  serializeSignatureResponse,
  signRequest,
  type SigningRequest,
} from '../../src/rotation/index.js';
import { makeKey } from '../support/keys.js';
import { lines, join, rehash, writeSample } from '../unit/audit/fixtures.js';
import { EXPIRES_V2, GUN, rootFixture, type RootFixture } from '../unit/rotation/support.js';
import { acceptedOrRefused, byteMutation, jsonBytes, jsonMutation, mutateBytes, mutateJson, params, type JsonMutation, type Mutation } from './support.js';

// Signature checks in many runs: generous on a loaded machine (no timing is asserted).
vi.setConfig({ testTimeout: 180_000 });

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** One byte or one JSON mutation of `bytes` (a JSON document); undefined when the JSON one cannot be encoded. */
const anyMutation = fc.oneof(byteMutation.map((m) => ({ m })), jsonMutation.map((j) => ({ j })));
function mutated(bytes: Uint8Array, mut: { m: Mutation } | { j: JsonMutation }): Uint8Array | undefined {
  if ('m' in mut) return mutateBytes(bytes, mut.m);
  try {
    return jsonBytes(mutateJson(parseJsonStrict(bytes, { maxBytes: 1 << 22, path: '$' }), mut.j));
  } catch {
    return undefined; // a value canonical JSON cannot hold: nothing to send
  }
}

/**
 * The mutations explore near-valid input: some are still accepted (a member added where unknown fields are
 * allowed, a byte in a free-text field) and the refusals come from more than one check, not only the parser's
 * first line. Without this a fuzz case whose start was already refused would pass and test nothing.
 */
function explored(seen: ReadonlySet<string>): void {
  expect(seen).toContain('accepted');
  expect(seen.size).toBeGreaterThan(2);
}

describe('signature responses (parser, plain and as read by sign/merge, then merged)', () => {
  let fx: RootFixture;
  let request: SigningRequest;
  let response: Uint8Array;
  let bundled: Uint8Array;
  beforeAll(async () => {
    fx = await rootFixture('tuf');
    request = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { threshold: 2 } }, { names: fx.names }), { repository: GUN });
    const signed = await signRequest(request, fx.custodians[0]!.key, { token: { serial: '12345678', label: 'alice' } });
    response = serializeSignatureResponse(signed);
    bundled = wrapSignatureResponse(signed, { profile: 'tuf', repository: GUN }, new Date('2026-01-01T00:00:00Z'));
    // The start is valid: parsed and merged (one of two signatures so far).
    expect(mergeResponses(request, [parseSignatureResponse(response)]).signers.length).toBeGreaterThan(0);
  });

  it('byte and JSON mutations', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(anyMutation, (mut) => {
        const bytes = mutated(response, mut);
        if (!bytes) return;
        seen.add(acceptedOrRefused(() => mergeResponses(request, [parseSignatureResponse(bytes)])));
        acceptedOrRefused(() => readSignatureResponse(bytes, 'response.json', { profile: 'tuf', repository: GUN }));
      }),
      params(1240, 200),
    );
    explored(seen);
  });

  it('byte mutations of the response bundle (as sign/merge and inspect read it)', () => {
    expect(readSignatureResponse(bundled, 'response.tcb', { profile: 'tuf', repository: GUN }).response.requestId).toBe(request.requestId);
    fc.assert(
      fc.property(fc.array(byteMutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const bytes = ms.reduce((b, m) => mutateBytes(b, m), bundled);
        acceptedOrRefused(() => mergeResponses(request, [readSignatureResponse(bytes, 'response.tcb', { profile: 'tuf', repository: GUN }).response]));
        acceptedOrRefused(() => inspectRotationBundle(bytes, 'response.tcb'));
      }),
      params(1241, 150),
    );
  });
});

describe('transcripts (offline verifier, sealed and unsealed)', () => {
  let sealed: Uint8Array;
  beforeAll(async () => {
    sealed = await writeSample({ signer: await makeKey('tuf', 'ed25519') });
    expect(verifyTranscript(sealed).sealed).toBe(true);
  });

  const seen = new Set<string>();
  const verifyBoth = (bytes: Uint8Array) => {
    seen.add(acceptedOrRefused(() => verifyTranscript(bytes)));
    acceptedOrRefused(() => verifyTranscript(bytes, { allowUnsealed: true }));
  };

  it('byte mutations anywhere in the file', () => {
    fc.assert(
      fc.property(fc.array(byteMutation, { minLength: 1, maxLength: 3 }), (ms) => {
        verifyBoth(ms.reduce((b, m) => mutateBytes(b, m), sealed));
      }),
      params(1250, 200),
    );
  });

  it('JSON mutations of one record, re-hashed or not (a forger who edits one line and fixes its hash)', () => {
    const ls = lines(sealed);
    fc.assert(
      fc.property(fc.nat(), jsonMutation, fc.boolean(), (which, m, fix) => {
        const i = which % ls.length;
        let record: JsonValue;
        try {
          record = mutateJson(JSON.parse(ls[i]!) as JsonValue, m);
          if (fix && record && typeof record === 'object' && !Array.isArray(record)) record = rehash(record);
        } catch {
          return; // rehash of a record the mutation left without its fields: not a line anyone can write
        }
        let line: string;
        try {
          line = new TextDecoder().decode(canonicalBytes(record, 'json'));
        } catch {
          return;
        }
        const out = [...ls];
        out[i] = line;
        verifyBoth(join(out));
      }),
      params(1251, 200),
    );
    explored(seen);
  });
});

describe('site bindings (against their plan)', () => {
  const planBytes = canonicalBytes(rehearsalPlan({ profile: 'tuf', repository: 'fuzz/bindings', now: new Date() }), 'json');
  const plan = parsePlan(planBytes, { rehearsal: true });
  const planSha = intentHash(planBytes).sha256;
  const [a, b, c] = REHEARSAL_CUSTODIANS;
  const bindings: JsonObject = {
    format: 'tuf-ceremony-site-bindings',
    version: 1,
    planSha256: planSha,
    module: { preset: 'softhsm2' },
    custodians: {
      [a]: { pin: 'prompt', token: { serial: '1111' } },
      [b]: { pin: { env: 'BOB_PIN' }, token: { label: 'bob' }, module: { path: '/usr/lib/softhsm/libsofthsm2.so' } },
      [c]: { pin: 'prompt', token: { serial: '0123456789abcdef', label: 'carol' }, module: { preset: 'ykcs11', parameters: "configdir='sql:/srv/nssdb'" } },
    },
  };
  const bytes = canonicalBytes(bindings, 'json');

  it('the start is valid', () => {
    expect(parseSiteBindings(bytes, plan, planSha).custodians.size).toBe(3);
  });

  it('byte and JSON mutations', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(anyMutation, (mut) => {
        const b2 = mutated(bytes, mut);
        if (!b2) return;
        seen.add(acceptedOrRefused(() => parseSiteBindings(b2, plan, planSha)));
      }),
      params(1260, 300),
    );
    explored(seen);
  });
});

describe('rotation plans (parser, then resolved against their files into a signing request)', () => {
  let fx: RootFixture;
  let files: Map<string, Uint8Array>;
  let planBytes: Uint8Array;
  beforeAll(async () => {
    fx = await rootFixture('tuf');
    files = new Map([['root.json', fx.rootV1]]);
    const [alice, bob, carol] = fx.custodians;
    const plan: JsonObject = {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'tuf',
      repository: GUN,
      previousRoot: { file: 'root.json', sha256: sha(fx.rootV1), version: 1 },
      custodians: [
        { name: 'Alice', keyid: alice!.listed.keyId },
        { name: 'Bob', keyid: bob!.listed.keyId },
        { name: 'Carol', keyid: carol!.listed.keyId },
      ],
      expires: EXPIRES_V2,
      root: { threshold: 2 },
    };
    planBytes = canonicalBytes(plan, 'json');
    expect(planRotation(planBytes, files, new Date()).request.root.version).toBe(2);
  });

  it('byte and JSON mutations', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(anyMutation, (mut) => {
        const b = mutated(planBytes, mut);
        if (!b) return;
        acceptedOrRefused(() => parseRotationPlan(b));
        seen.add(acceptedOrRefused(() => planRotation(b, files, new Date())));
      }),
      params(1270, 150),
    );
    explored(seen);
  });
});
