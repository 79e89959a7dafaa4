/**
 * Issue #18: each signature is verified once per document. TUF 5.3.4 checks a new root against the
 * previous root role and against its own: a key kept across the rotation signed the same bytes once, so
 * its signature is checked once; intermediate roots stop at their thresholds; the final root's self check
 * (the chain's last step) is not repeated. Counted on the real profile's verify (a spy that passes through).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getProfile } from '../../../src/profiles/index.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { verifyRootUpdate } from '../../../src/tuf/root-chain.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { buildRepo, rootSigned, sign } from '../../support/repo.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('signature verification counts (issue #18)', () => {
  it('a 4-version chain and the top-level roles: 2 + 3 per step + 1 per role, with full lists for the final root', async () => {
    const r = await buildRepo('tuf', { rootVersions: 4 });
    const spy = vi.spyOn(getProfile('tuf'), 'verify');
    const repo = verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() });
    // Trusted v1 against itself: 2. Each of v2–v4 carries 3 signatures (the new key, a kept key, the
    // removed key): 3 verifications, not 4 (the kept key's is shared by both checks). Timestamp, snapshot,
    // targets and the delegated role: 1 each. Before issue #18: 2 + 3 × 4 + 2 (final root again) + 4 = 20.
    expect(spy).toHaveBeenCalledTimes(2 + 3 * 3 + 4);
    expect(repo.rootChain).toHaveLength(3);
    const last = repo.rootChain[2]!;
    expect(repo.rootResult).toBe(last.bySelf);
    expect(last.bySelf.partial).toBeUndefined();
    expect(last.bySelf.signed).toHaveLength(2);
    expect(last.bySelf.missing).toHaveLength(1);
    expect(last.byPrevious.signed).toHaveLength(2);
  });

  it('an intermediate step stops at the threshold and says so (partial); the same step in full lists every signer', async () => {
    // Threshold 1 of 3; root v2 re-signed by all three of its keys (two of them kept from v1).
    const r = await buildRepo('tuf', { rootVersions: 2, rootThreshold: 1 });
    const v2Bytes = await sign('tuf', rootSigned('tuf', 2, r.keys, { root: 1 }), r.keys.root);
    const v1 = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const v2 = parseMetadata(v2Bytes, 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    const full = verifyRootUpdate(v1, v2);
    expect(full.bySelf.partial).toBeUndefined();
    expect(full.bySelf.signed).toHaveLength(3);
    expect(full.byPrevious.signed).toHaveLength(2);
    const spy = vi.spyOn(getProfile('tuf'), 'verify');
    const quick = verifyRootUpdate(v1, v2, { intermediate: true });
    expect(quick.byPrevious).toMatchObject({ verified: true, partial: true });
    expect(quick.bySelf).toMatchObject({ verified: true, partial: true });
    expect(quick.bySelf.signed).toHaveLength(1);
    // Signatures in signing order (new key, kept, kept): the first kept key's meets the previous role's
    // threshold, the new key's the root's own: 2 verifications where the full step made 3.
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
