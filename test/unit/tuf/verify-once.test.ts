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
import { verifyRole } from '../../../src/tuf/verify.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import type { JsonObject } from '../../../src/json/types.js';
import { makeKey, type TestKey } from '../../support/keys.js';
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
    // Signatures in signing order (new key, kept, kept): a kept key's signature counts for both roles, so
    // it is checked first and meets both thresholds of 1 — 1 verification where the full step made 3.
    expect(spy).toHaveBeenCalledTimes(1);
    expect(quick.byPrevious.signed).toEqual([r.keys.root[1]!.keyId]);
    expect(quick.bySelf.signed).toEqual([r.keys.root[1]!.keyId]);
  });

  it('an intermediate step checks the signatures of keys in both roles first: 3 verifications for the bench shape (new, kept, removed at threshold 2)', async () => {
    const r = await buildRepo('tuf', { rootVersions: 3 });
    const v1 = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const v2 = parseMetadata(r.roots[1]!, 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    const spy = vi.spyOn(getProfile('tuf'), 'verify');
    const quick = verifyRootUpdate(v1, v2, { intermediate: true });
    expect(quick.byPrevious.verified && quick.bySelf.verified).toBe(true);
    expect(spy).toHaveBeenCalledTimes(3);
  });
});

/** `bytes` with signature `index` replaced by another valid-looking signature (a bit flipped): it no longer verifies. */
function corruptSignature(bytes: Uint8Array, index: number): Uint8Array {
  const env = JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed: unknown; signatures: { keyid: string; sig: string }[] };
  const sig = env.signatures[index]!;
  sig.sig = (sig.sig[0] === '0' ? '1' : '0') + sig.sig.slice(1);
  return new TextEncoder().encode(JSON.stringify(env));
}

describe('invalid signatures and thresholds (TUF 5.3.4)', () => {
  // TUF 5.3.4 requires version N+1 to be signed by a threshold of the keys of version N and a threshold of
  // its own keys; it does not require every signature in the file to verify (python-tuf and tuf-js count
  // the valid ones and ignore the rest). So a signature left unchecked once both thresholds are met cannot
  // change the verdict: an intermediate root is accepted with or without it, and the root people see (the
  // last one) is checked in full, its bad signature listed as invalid.
  it('an invalid signature after both thresholds are met: an intermediate root is accepted without checking it (partial); the final root lists it as invalid', async () => {
    // Threshold 1; v2 signed by its three keys (two kept from v1): the kept keys' first signature meets both thresholds.
    const r = await buildRepo('tuf', { rootVersions: 1, rootThreshold: 1 });
    const v2Good = await sign('tuf', rootSigned('tuf', 2, r.keys, { root: 1 }), r.keys.root);
    const v2Bytes = corruptSignature(v2Good, 2);
    const v1 = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const v2 = parseMetadata(v2Bytes, 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    const quick = verifyRootUpdate(v1, v2, { intermediate: true });
    expect(quick.bySelf).toMatchObject({ verified: true, partial: true, invalid: [] });
    const full = verifyRootUpdate(v1, v2);
    expect(full.bySelf).toMatchObject({ verified: true, invalid: [r.keys.root[2]!.keyId] });
    expect(full.bySelf.partial).toBeUndefined();
    expect(full.bySelf.signed).toHaveLength(2);

    // Through verifyRepository: v2 intermediate (then v3), or v2 final: accepted either way, and the final
    // root's result names the bad signature.
    const v3Bytes = await sign('tuf', rootSigned('tuf', 3, r.keys, { root: 1 }), r.keys.root.slice(0, 1));
    const files = (roots: Uint8Array[]) => ({ versionedRoots: new Map(roots.map((b, i) => [i + 1, b])), root: roots[roots.length - 1]!, delegated: new Map() });
    const asIntermediate = verifyRepository(files([r.roots[0]!, v2Bytes, v3Bytes]), { trustedRoot: r.roots[0]!, now: new Date() });
    expect(asIntermediate.root.signed.version).toBe(3);
    expect(asIntermediate.rootChain[0]!.bySelf.partial).toBe(true);
    const asFinal = verifyRepository(files([r.roots[0]!, v2Bytes]), { trustedRoot: r.roots[0]!, now: new Date() });
    expect(asFinal.rootResult).toMatchObject({ verified: true, invalid: [r.keys.root[2]!.keyId] });
  });

  it('an invalid signature before the thresholds are met is not counted, in an intermediate root as in a final one', async () => {
    // Threshold 2 of 3; v2 signed by all three keys with the first (a kept key's) corrupted: the other two still meet 2.
    const r = await buildRepo('tuf', { rootVersions: 1, rootThreshold: 2 });
    const v2Good = await sign('tuf', rootSigned('tuf', 2, r.keys, { root: 2 }), r.keys.root);
    const v1 = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const v2 = parseMetadata(corruptSignature(v2Good, 0), 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    for (const intermediate of [true, false]) {
      const step = verifyRootUpdate(v1, v2, { intermediate });
      expect(step.bySelf).toMatchObject({ verified: true, invalid: [r.keys.root[0]!.keyId] });
      expect(step.bySelf.signed).toEqual([r.keys.root[1]!.keyId, r.keys.root[2]!.keyId]);
    }
    // Two corrupted: 1 of 2 left — refused, intermediate or not.
    const v2Bad = parseMetadata(corruptSignature(corruptSignature(v2Good, 0), 2), 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    for (const intermediate of [true, false]) {
      expect(() => verifyRootUpdate(v1, v2Bad, { intermediate })).toThrow(expect.objectContaining({ code: 'ROOT_NOT_SIGNED_BY_PREVIOUS' }));
    }
  });

  it('a kept key’s invalid signature is verified once and refused by both checks (the memo keeps the failure too)', async () => {
    // v2 keeps all three v1 root keys; k0's signature is corrupted. Full step: 3 verifications, not 6.
    const r = await buildRepo('tuf', { rootVersions: 1, rootThreshold: 2 });
    const v2Good = await sign('tuf', rootSigned('tuf', 2, r.keys, { root: 2 }), r.keys.root);
    const v1 = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const v2 = parseMetadata(corruptSignature(v2Good, 0), 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    const spy = vi.spyOn(getProfile('tuf'), 'verify');
    const step = verifyRootUpdate(v1, v2);
    expect(spy).toHaveBeenCalledTimes(3);
    expect(spy.mock.results.map((x) => x.value)).toEqual([false, true, true]);
    for (const result of [step.byPrevious, step.bySelf]) {
      expect(result).toMatchObject({ verified: true, invalid: [r.keys.root[0]!.keyId], signed: [r.keys.root[1]!.keyId, r.keys.root[2]!.keyId] });
    }
    // With a second signature corrupted, both checks fall short: refused, still without verifying twice.
    spy.mockClear();
    const v2Bad = parseMetadata(corruptSignature(corruptSignature(v2Good, 0), 1), 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    expect(() => verifyRootUpdate(v1, v2Bad)).toThrow(expect.objectContaining({ code: 'ROOT_NOT_SIGNED_BY_PREVIOUS' }));
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('one key that signed twice (under its ID and under another ID that names the same public key) counts once, intermediate or not', async () => {
    // v2's root role: threshold 2 over [k0, k1, k2]; the keys table also lists k0's public key under a second
    // ID (given to the targets role). Signatures by k0 under both IDs: one key, so 1 of 2 — refused.
    const r = await buildRepo('tuf', { rootVersions: 1, rootThreshold: 2 });
    const k0 = r.keys.root[0]!;
    const alias = { ...k0, keyId: 'f'.repeat(64) };
    const signed = rootSigned('tuf', 2, { ...r.keys, targets: [alias] }, { root: 2 });
    const v2Bytes = await sign('tuf', signed, [k0, alias]);
    const v1 = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const v2 = parseMetadata(v2Bytes, 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    for (const intermediate of [true, false]) {
      expect(() => verifyRootUpdate(v1, v2, { intermediate })).toThrow(expect.objectContaining({ code: 'ROOT_NOT_SIGNED_BY_PREVIOUS' }));
    }
    const self = verifyRole(v2, 'root', v2.signed.roles.get('root')!, v2.signed.keys);
    expect(self).toMatchObject({ verified: false, signed: [k0.keyId], strangers: [alias.keyId] });
  });
});

describe('keys already parsed in the same verification (issue #18)', () => {
  it('a chain decodes each kept key once: an identical entry in the next root is the previous root’s key', async () => {
    const r = await buildRepo('tuf', { rootVersions: 4 });
    const spy = vi.spyOn(getProfile('tuf'), 'parseKey');
    verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() });
    // The pin: 3 root keys + targets, snapshot, timestamp (6); root.json, parsed on its own before the walk
    // (6); v2–v4: the one new root key each (3); the delegation's key in targets.json (1). Before: 6 per root.
    expect(spy).toHaveBeenCalledTimes(6 + 6 + 3 + 1);
  });

  it('a key ID kept with other key JSON (another public key under the same ID) is parsed anew, not taken from the previous root', async () => {
    const r = await buildRepo('tuf', { rootVersions: 1, rootThreshold: 2 });
    const [k0, k1, k2] = r.keys.root as [TestKey, TestKey, TestKey];
    const k9 = await makeKey('tuf', 'ed25519');
    // v2 lists k9's public key under k1's ID and needs all three of its root keys (threshold 3).
    const impostor = { ...k9, keyId: k1.keyId };
    const v2Bytes = await sign('tuf', rootSigned('tuf', 2, { ...r.keys, root: [k0, impostor, k2] }, { root: 3 }), [k0, k2, impostor]);
    const v1 = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const v2 = parseMetadata(v2Bytes, 'root', { maxBytes: 1 << 20, source: '2.root.json', knownKeys: v1.signed.keys });
    expect(v2.signed.keys.get(k1.keyId)!.key.fingerprint).not.toBe(v1.signed.keys.get(k1.keyId)!.key.fingerprint);
    expect(v2.signed.keys.get(k0.keyId)).toBe(v1.signed.keys.get(k0.keyId));
    const step = verifyRootUpdate(v1, v2);
    expect(step.bySelf).toMatchObject({ verified: true, invalid: [] });
    expect(step.bySelf.signed).toHaveLength(3);
    // v1's k1 did not sign: the previous role counts k0 and k2.
    expect(step.byPrevious).toMatchObject({ verified: true, invalid: [k1.keyId] });
  });

  it('a kept key ID whose entry changed in any field (an extra field) is parsed anew, and a bad change refused as in a first parse', async () => {
    const r = await buildRepo('tuf', { rootVersions: 1, rootThreshold: 1 });
    const v1 = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const k0 = r.keys.root[0]!;
    const signed = rootSigned('tuf', 2, r.keys, { root: 1 });
    const withPrivate = structuredClone(signed) as JsonObject;
    ((withPrivate.keys as JsonObject)[k0.keyId] as { keyval: JsonObject }).keyval.private = 'ab';
    const bytes = await sign('tuf', withPrivate, r.keys.root);
    expect(() => parseMetadata(bytes, 'root', { maxBytes: 1 << 20, source: '2.root.json', knownKeys: v1.signed.keys })).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
    expect(() => parseMetadata(bytes, 'root', { maxBytes: 1 << 20, source: '2.root.json' })).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
  });
});
