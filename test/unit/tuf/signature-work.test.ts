/**
 * One verification's signature work is bounded (signature-work.ts): every check is charged before it is
 * made, in checks and in bytes hashed, and the first past a limit is refused with SIGNATURE_WORK_EXCEEDED
 * at the document it was for. The limits are exact (a repository needing n checks passes with a limit of
 * n and is refused with n − 1), outcomes a batch checked ahead are charged when the walk reads them (the
 * same refusal with or without threads), and a real repository is far below the defaults.
 */
import { createPublicKey } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifySignature } from '../../../src/crypto/public-key.js';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import { verifyRepository, type RepositoryFiles } from '../../../src/tuf/repository.js';
import type { SignatureBatch, SignatureCheck } from '../../../src/tuf/signature-batch.js';
import { DEFAULT_SIGNATURE_WORK, SignatureWork, type SignatureWorkLimits } from '../../../src/tuf/signature-work.js';
import { completed, reverifyShape } from '../../support/delegation-shapes.js';
import { makeKey } from '../../support/keys.js';
import { buildRepo, keysTable, sign, targetsSigned } from '../../support/repo.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const tuf = getProfile('tuf');

/** How a verification ends: "ok", or the refusal's code and path. */
function outcome(files: RepositoryFiles, trustedRoot: Uint8Array, signatureWork?: SignatureWorkLimits, signatureBatch?: SignatureBatch): string {
  try {
    verifyRepository(files, { trustedRoot, now: new Date(), requireComplete: true, ...(signatureWork ? { signatureWork } : {}), ...(signatureBatch ? { signatureBatch } : {}) });
    return 'ok';
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    return `${err.code} ${err.path ?? ''}`;
  }
}

/** Checks as a worker thread makes them (from the key's SPKI), answering every one. */
const spkiBatch: SignatureBatch = {
  submit: (checks: readonly SignatureCheck[]) => () =>
    Uint8Array.from(checks, (c) => (verifySignature(createPublicKey({ key: Buffer.from(c.key.spki), format: 'der', type: 'spki' }), c.profile.verifyWith(c.key).scheme, c.signature, c.data) ? 1 : 0)),
};

describe('SignatureWork', () => {
  it('charges checks and bytes, and refuses the first check past either limit, naming the document', () => {
    const w = new SignatureWork({ checks: 3, bytes: 100 });
    w.charge(40, 'a.json');
    w.charge(60, 'b.json');
    expect([w.checks, w.bytes]).toEqual([2, 100]);
    let err: unknown;
    try {
      w.charge(1, 'c.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CeremonyError);
    expect((err as CeremonyError).code).toBe('SIGNATURE_WORK_EXCEEDED');
    expect((err as CeremonyError).path).toBe('c.json $.signatures');
    expect((err as CeremonyError).message).toMatch(/^c\.json: .*more than 100 bytes hashed by signature checks/);
    // A refused check is not counted: the tally is what was actually done.
    expect([w.checks, w.bytes]).toEqual([2, 100]);
    const n = new SignatureWork({ checks: 2, bytes: 1 << 30 });
    n.charge(1, 'a.json');
    n.charge(1, 'a.json');
    expect(() => n.charge(1, 'd.json')).toThrow(/d\.json: verifying this input takes more than 2 signature checks/);
  });
});

describe('one verification’s signature work is bounded (review-12 H2 variant)', () => {
  it('each parent lists the key ID of a junk signature with a key of its own: refused at the check past the limit, exactly', async () => {
    // 10 parents each list key ID E with its own key: E's signature is a new (signature, key) pair each time.
    const { trustedRoot, files } = await reverifyShape(10, 3, true);
    const spy = vi.spyOn(tuf, 'verify');
    expect(outcome(files, trustedRoot)).toBe('ok');
    const needed = spy.mock.calls.length;
    // The pinned root (2), timestamp, snapshot, targets, r, the 10 parents, X's 3 keys, E under 10 keys.
    expect(needed).toBe(2 + 4 + 10 + 3 + 10);
    expect(outcome(files, trustedRoot, { checks: needed, bytes: DEFAULT_SIGNATURE_WORK.bytes })).toBe('ok');
    // One fewer: the last check needed is E's signature under the last parent's key, over X.json.
    spy.mockClear();
    expect(outcome(files, trustedRoot, { checks: needed - 1, bytes: DEFAULT_SIGNATURE_WORK.bytes })).toBe('SIGNATURE_WORK_EXCEEDED X.json $.signatures');
    // Refused before that check was made.
    expect(spy).toHaveBeenCalledTimes(needed - 1);
  });

  it('the bytes limit: a large file checked under many keys is refused once the bytes hashed pass it', async () => {
    const { trustedRoot, files } = await reverifyShape(6, 1, true);
    // X is checked under its own key, then E's junk signature under each of the 6 parents' keys: the
    // bytes limit one short of the total is passed by the last of those checks, over X.json.
    const spy = vi.spyOn(tuf, 'verify');
    expect(outcome(files, trustedRoot)).toBe('ok');
    const total = spy.mock.calls.reduce((n, c) => n + (c[2] as Uint8Array).length, 0);
    expect(outcome(files, trustedRoot, { checks: DEFAULT_SIGNATURE_WORK.checks, bytes: total })).toBe('ok');
    expect(outcome(files, trustedRoot, { checks: DEFAULT_SIGNATURE_WORK.checks, bytes: total - 1 })).toBe('SIGNATURE_WORK_EXCEEDED X.json $.signatures');
  });

  it('one role whose delegator lists many keys, each with a signature in the file: refused at that file', async () => {
    const r = await buildRepo('tuf');
    const many = await Promise.all(Array.from({ length: 24 }, () => makeKey('tuf', 'ed25519')));
    const role: JsonObject = { name: 'wide', keyids: many.map((k) => k.keyId), threshold: 24, terminating: false, paths: ['*'] };
    const targets = await sign('tuf', { ...targetsSigned('tuf', 1, {}), delegations: { keys: keysTable(many), roles: [role] } }, r.keys.targets);
    const wide = await sign('tuf', targetsSigned('tuf', 1, {}), many);
    const files = await completed(r, targets, new Map([['wide', wide]]));
    expect(outcome(files, r.roots[0]!)).toBe('ok');
    // The pin (2) and the three top-level roles (3) come first: wide's 24 checks pass a limit of 20.
    expect(outcome(files, r.roots[0]!, { checks: 20, bytes: DEFAULT_SIGNATURE_WORK.bytes })).toBe('SIGNATURE_WORK_EXCEEDED wide.json $.signatures');
    expect(outcome(files, r.roots[0]!, { checks: 2 + 3 + 24, bytes: DEFAULT_SIGNATURE_WORK.bytes })).toBe('ok');
  });

  it('the root chain: the same refusal at the same root with and without a batch checking ahead (its outcomes charged as the walk reads them)', async () => {
    const r = await buildRepo('tuf', { rootVersions: 6 });
    const spy = vi.spyOn(tuf, 'verify');
    expect(outcome(r.files(), r.roots[0]!)).toBe('ok');
    const needed = spy.mock.calls.length;
    for (let limit = needed - 10; limit <= needed; limit++) {
      const limits = { checks: limit, bytes: DEFAULT_SIGNATURE_WORK.bytes };
      const without = outcome(r.files(), r.roots[0]!, limits);
      expect(outcome(r.files(), r.roots[0]!, limits, spkiBatch), `limit ${limit}`).toBe(without);
      expect(without).toEqual(limit === needed ? 'ok' : expect.stringMatching(/^SIGNATURE_WORK_EXCEEDED \S+\.json \$\.signatures$/));
    }
    // A limit the chain passes mid-way is refused at a root of the chain, not later.
    expect(outcome(r.files(), r.roots[0]!, { checks: 4, bytes: DEFAULT_SIGNATURE_WORK.bytes }, spkiBatch)).toMatch(/^SIGNATURE_WORK_EXCEEDED \d\.root\.json \$\.signatures$/);
  });

  it('a batch checking ahead on other threads is never given more work than the limits leave', async () => {
    const r = await buildRepo('tuf', { rootVersions: 8 });
    let submitted = { checks: 0, bytes: 0 };
    const counting: SignatureBatch = {
      submit(checks) {
        for (const c of checks) {
          submitted.checks += 1;
          submitted.bytes += c.data.length;
        }
        return spkiBatch.submit(checks);
      },
    };
    const spy = vi.spyOn(tuf, 'verify');
    expect(outcome(r.files(), r.roots[0]!)).toBe('ok');
    const needed = spy.mock.calls.length;
    const neededBytes = spy.mock.calls.reduce((n, c) => n + (c[2] as Uint8Array).length, 0);
    for (let limit = 1; limit <= needed; limit++) {
      submitted = { checks: 0, bytes: 0 };
      outcome(r.files(), r.roots[0]!, { checks: limit, bytes: DEFAULT_SIGNATURE_WORK.bytes }, counting);
      expect(submitted.checks, `limit ${limit}`).toBeLessThanOrEqual(limit);
    }
    for (const bytes of [neededBytes / 4, neededBytes / 2, neededBytes - 1]) {
      submitted = { checks: 0, bytes: 0 };
      outcome(r.files(), r.roots[0]!, { checks: DEFAULT_SIGNATURE_WORK.checks, bytes: Math.floor(bytes) }, counting);
      expect(submitted.bytes).toBeLessThanOrEqual(bytes);
    }
    // Within the limits, the batch checks the whole chain ahead (the walk verifies none of it itself).
    submitted = { checks: 0, bytes: 0 };
    expect(outcome(r.files(), r.roots[0]!, undefined, counting)).toBe('ok');
    expect(submitted.checks).toBeGreaterThan(0);
  });

  it('the default limits leave a real repository untouched (a Notary repository with a rotated root too)', async () => {
    for (const profile of ['tuf', 'notary'] as const) {
      const r = await buildRepo(profile, { rootVersions: 3 });
      expect(outcome(r.files(), r.roots[0]!)).toBe('ok');
    }
  });
});

describe('refusal messages stay short (review-13b L1)', () => {
  it('a role of many keys: the message names the first 8 missing key IDs and how many more; the result keeps them all', async () => {
    const { describeResult } = await import('../../../src/tuf/verify.js');
    const missing = Array.from({ length: 20_000 }, (_, i) => i.toString(16).padStart(64, '0'));
    const r = { role: 'a', threshold: 1, signed: [], missing, invalid: [], strangers: [], verified: false };
    const text = describeResult(r);
    expect(text).toBe(`0 of 1 required signatures for a; waiting for ${missing.slice(0, 8).map((id) => id.slice(0, 8)).join(', ')} and 19992 more`);
    expect(r.missing.length).toBe(20_000);
    expect(describeResult({ ...r, missing: missing.slice(0, 8) })).not.toMatch(/more/);
  });
});
