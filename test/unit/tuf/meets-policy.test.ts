/**
 * Review-12 H2: the other delegations of a name (DelegationNames.check) are checked with meetsPolicy, which
 * must say exactly what verifyRole(…).verified says — the same signatures counted, each public key once,
 * the same SIGNATURE_ENCODING refusal first — while checking each (signature, key) pair of the file once
 * however many delegations name it, under whichever keys each delegation lists for a key ID.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import { parseKeyTable, type ListedKey } from '../../../src/tuf/keys.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { meetsPolicy, newDocumentChecks, newSignatureMemo, verifyRole } from '../../../src/tuf/verify.js';
import { reverifyShape } from '../../support/delegation-shapes.js';
import { makeKey } from '../../support/keys.js';
import { parseBytes, sign, targetsSigned } from '../../support/repo.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const tuf = getProfile('tuf');

function outcomeOf(f: () => boolean): string {
  try {
    return String(f());
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    return `${err.code} ${err.path ?? ''}`;
  }
}

describe('meetsPolicy', () => {
  it('says what verifyRole says, on random delegations of one file (keys swapped between IDs, strangers, a bad and a malformed signature)', async () => {
    const keys = await Promise.all([0, 1, 2, 3, 4, 5].map(() => makeKey('tuf', 'ed25519')));
    // Signed by keys 0–2; key 3's signature is well formed but wrong; key 4's is not an Ed25519 signature
    // at all; under key 5's ID is key 0's signature again (one key, counted once, when a table lists key 0
    // for ID 5).
    const good = parseBytes(await sign('tuf', targetsSigned('tuf', 1, {}), keys.slice(0, 4)));
    const sigs = good.signatures as JsonObject[];
    const last = sigs[3]!;
    last.sig = `${(last.sig as string).slice(0, -2)}${(last.sig as string).endsWith('00') ? '01' : '00'}`;
    sigs.push({ keyid: keys[5]!.keyId, sig: sigs[0]!.sig! }, { keyid: keys[4]!.keyId, sig: 'abcd' });
    const withMalformed = new TextEncoder().encode(JSON.stringify(good));
    const withoutMalformed = new TextEncoder().encode(JSON.stringify({ ...good, signatures: sigs.slice(0, 5) }));
    for (const bytes of [withMalformed, withoutMalformed]) {
      const md = parseMetadata(bytes, 'targets', { maxBytes: 1 << 20, source: 'x.json' });
      const checks = newDocumentChecks(newSignatureMemo(md));
      const id = fc.integer({ min: 0, max: 5 });
      fc.assert(
        fc.property(
          // The delegating file's keys table: key ID i → key table[i] (another key's, at times), or absent.
          fc.array(fc.option(id, { nil: undefined }), { minLength: 6, maxLength: 6 }),
          fc.uniqueArray(id, { maxLength: 6 }),
          fc.integer({ min: 1, max: 4 }),
          (table, keyIdxs, threshold) => {
            const json: JsonObject = {};
            table.forEach((k, i) => {
              if (k !== undefined) json[keys[i]!.keyId] = keys[k]!.json;
            });
            const listed: Map<string, ListedKey> = parseKeyTable(tuf, json, '$.keys');
            const policy = { keyids: keyIdxs.map((i) => keys[i]!.keyId), threshold };
            expect(outcomeOf(() => meetsPolicy(md, policy, listed, checks))).toBe(outcomeOf(() => verifyRole(md, 'x', policy, listed).verified));
          },
        ),
        { seed: 1207, numRuns: 2500 },
      );
    }
  });

  it('refuses a memo made for another document', async () => {
    const k = await makeKey('tuf', 'ed25519');
    const a = parseMetadata(await sign('tuf', targetsSigned('tuf', 1, {}), [k]), 'targets', { maxBytes: 1 << 20, source: 'a.json' });
    const b = parseMetadata(await sign('tuf', targetsSigned('tuf', 2, {}), [k]), 'targets', { maxBytes: 1 << 20, source: 'b.json' });
    expect(() => meetsPolicy(b, { keyids: [k.keyId], threshold: 1 }, new Map(), newDocumentChecks(newSignatureMemo(a)))).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }) as Error,
    );
  });
});

describe('a file named by many delegations is checked once per (signature, key) pair (review-12 H2)', () => {
  it('40 parents delegate X again with the same 5 keys: X’s 5 signatures are checked 5 times, not 5 × 41', async () => {
    const { trustedRoot, files } = await reverifyShape(40, 5, false);
    const spy = vi.spyOn(tuf, 'verify');
    const repo = verifyRepository(files, { trustedRoot, now: new Date(), requireComplete: true });
    expect(repo.delegated.get('X')?.delegatedBy).toBe('r');
    // The pinned root against itself: 2. Timestamp, snapshot, targets, r and the 40 p_i: one each. X: 5 (before
    // review-12 H2: 5 more for each of the 40 later delegations, 205).
    expect(spy).toHaveBeenCalledTimes(2 + 4 + 40 + 5);
  });

  it('each parent lists key ID E with a key of its own: E’s signature is checked once per distinct key, the others once', async () => {
    const { trustedRoot, files } = await reverifyShape(10, 3, true);
    const spy = vi.spyOn(tuf, 'verify');
    verifyRepository(files, { trustedRoot, now: new Date(), requireComplete: true });
    expect(spy).toHaveBeenCalledTimes(2 + 4 + 10 + 3 + 10);
  });
});
