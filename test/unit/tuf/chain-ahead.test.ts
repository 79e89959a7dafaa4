/**
 * Issue #18: a root chain's signature checks made ahead of its walk, in batches (VerifyOptions.signatureBatch,
 * tuf/root-chain-plan.ts), while the walk that applies the thresholds stays sequential. The batch here checks
 * as a worker thread does (io/signature-worker.ts): from the key's SPKI bytes and the profile's verify
 * scheme, not with the profile's own decoded key, so the walk's `profile.verify` calls count what it had to
 * verify itself. Whatever a batch answers — everything, nothing, or only what verifies — the walk's results
 * and refusals are those of a walk without one.
 */
import { createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifySignature } from '../../../src/crypto/public-key.js';
import { CeremonyError } from '../../../src/errors.js';
import { canonicalBytes } from '../../../src/json/canonical.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRepository, type RepositoryFiles, type VerifiedRepository } from '../../../src/tuf/repository.js';
import { plannedRootUpdateChecks } from '../../../src/tuf/root-chain-plan.js';
import type { SignatureBatch, SignatureCheck } from '../../../src/tuf/signature-batch.js';
import { newSignatureMemo, verifyRole } from '../../../src/tuf/verify.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { makeKey, type TestKey, type TestKeyKind } from '../../support/keys.js';
import { buildRepo, rootSigned, sign, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

afterEach(() => {
  vi.restoreAllMocks();
});

/** Checks as a worker thread makes them, and every batch it was given (sizes). */
function spkiBatch(): SignatureBatch & { sizes: number[]; announced: number[]; events: string[] } {
  const sizes: number[] = [];
  const announced: number[] = [];
  const events: string[] = [];
  return {
    sizes,
    announced,
    events,
    expect: (checks: number) => void announced.push(checks),
    submit(checks: readonly SignatureCheck[]) {
      sizes.push(checks.length);
      events.push(`submit ${sizes.length}`);
      const n = sizes.length;
      return () => {
        events.push(`finish ${n}`);
        return Uint8Array.from(checks, (c) => {
        const key = createPublicKey({ key: Buffer.from(c.key.spki), format: 'der', type: 'spki' });
        return verifySignature(key, c.profile.verifyWith(c.key).scheme, c.signature, c.data) ? 1 : 0;
        });
      };
    },
  };
}

const nothingChecked: SignatureBatch = { submit: (checks) => () => new Uint8Array(checks.length) };

/** What a verification shows, or how it was refused. */
function outcome(files: RepositoryFiles, trustedRoot: Uint8Array, signatureBatch?: SignatureBatch): unknown {
  try {
    const repo: VerifiedRepository = verifyRepository(files, { trustedRoot, now: new Date(), ...(signatureBatch ? { signatureBatch } : {}) });
    return {
      version: repo.root.signed.version,
      chain: JSON.stringify(repo.rootChain),
      root: repo.rootResult,
      roles: [repo.timestamp?.result, repo.snapshot?.result, repo.targets?.result, [...repo.delegated.values()].map((d) => d.result)],
    };
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    return { code: err.code, message: err.message, path: err.path };
  }
}

type Envelope = { signed: { version: number }; signatures: { keyid: string; sig: string }[] };
const decode = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as Envelope;
const encode = (env: unknown) => new TextEncoder().encode(JSON.stringify(env));
/** A signature with its first hex digit changed: it no longer verifies. */
const flipped = (sig: string) => (sig[0] === '0' ? '1' : '0') + sig.slice(1);
/** Every signature of `env` made not to verify (no threshold met). */
const corruptAll = (env: Envelope) => env.signatures.forEach((sig) => (sig.sig = flipped(sig.sig)));

/** `repo`'s files with root version `v` replaced (root.json too when it is the last). */
function withRoot(repo: BuiltRepo, v: number, bytes: Uint8Array): RepositoryFiles {
  const files = repo.files();
  files.versionedRoots.set(v, bytes);
  if (v === repo.roots.length) return { ...files, root: bytes };
  return files;
}

describe('root chain checked ahead in batches (issue #18)', () => {
  it.each([
    ['tuf', 'ed25519'],
    ['tuf', 'ecdsa-p256'],
    ['tuf', 'rsa'],
    ['notary', 'ecdsa-x509'],
  ] as [ProfileName, TestKeyKind][])('%s %s: the walk verifies nothing a batch verified, and shows the same results', async (profile, rootKind) => {
    const r = await buildRepo(profile, { rootVersions: 5, rootKind });
    const plain = outcome(r.files(), r.roots[0]!);
    const spy = vi.spyOn(getProfile(profile), 'verify');
    const batch = spkiBatch();
    expect(outcome(r.files(), r.roots[0]!, batch)).toEqual(plain);
    // The pin against itself (2) and the four other roles (4); none of the chain's 3 × 4 checks.
    expect(spy).toHaveBeenCalledTimes(2 + 4);
    expect(batch.sizes).toEqual([3 * 4]);
    expect(batch.announced).toEqual([4 * 2]);
    // A batch that checked nothing: the walk verifies as without one (2 + 3 × 4 + 4).
    spy.mockClear();
    expect(outcome(r.files(), r.roots[0]!, nothingChecked)).toEqual(plain);
    expect(spy).toHaveBeenCalledTimes(2 + 3 * 4 + 4);
  });

  it('a chain of one step (or none) is walked without a batch', async () => {
    const r = await buildRepo('tuf', { rootVersions: 2 });
    const batch = spkiBatch();
    outcome(r.files(), r.roots[0]!, batch);
    outcome(r.files(), r.roots[1]!, batch);
    expect(batch.sizes).toEqual([]);
  });

  it('every corrupted signature and every truncated root: the same result or refusal (code, message, path) with and without a batch', async () => {
    const r = await buildRepo('tuf', { rootVersions: 5 });
    let refusals = 0;
    for (let v = 2; v <= 5; v++) {
      const env = decode(r.roots[v - 1]!);
      const variants: Uint8Array[] = [];
      env.signatures.forEach((sig, i) => {
        const bad = structuredClone(env);
        bad.signatures[i]!.sig = flipped(sig.sig);
        variants.push(encode(bad));
        const short = structuredClone(env);
        short.signatures[i]!.sig = sig.sig.slice(2);
        variants.push(encode(short));
      });
      const bytes = r.roots[v - 1]!;
      variants.push(bytes.subarray(0, bytes.length >> 1));
      const other = structuredClone(env);
      other.signed.version = v + 1;
      variants.push(encode(other));
      for (const variant of variants) {
        const files = withRoot(r, v, variant);
        const plain = outcome(files, r.roots[0]!);
        if ((plain as { code?: string }).code) refusals++;
        expect(outcome(files, r.roots[0]!, spkiBatch())).toEqual(plain);
        expect(outcome(files, r.roots[0]!, nothingChecked)).toEqual(plain);
      }
    }
    // The table reaches refusals (a bad signature of the removed key's alone is not one: thresholds still met).
    expect(refusals).toBeGreaterThan(10);
  });

  it('a root signed over the other canonical spelling (tuf-js’s UTF-16 key order): the batch’s checks over the usual bytes fail, and the walk still accepts it as without a batch', async () => {
    const r = await buildRepo('tuf', { rootVersions: 1 });
    // Key order differs between code points and UTF-16 code units: U+1F600 (D83D…) vs U+E000.
    const signed = { ...rootSigned('tuf', 2, r.keys, { root: 2 }), x_order: { '\u{1F600}': 1, '\uE000': 2 } } as JsonObject;
    const data = canonicalBytes(signed, 'tuf-utf16');
    const signatures = await Promise.all(r.keys.root.map(async (k) => getProfile('tuf').encodeSignature(k.keyId, k.key, await k.sign(data))));
    const v2 = encode({ signed, signatures });
    const v3 = await sign('tuf', rootSigned('tuf', 3, r.keys, { root: 2 }), r.keys.root);
    const files = { versionedRoots: new Map([[1, r.roots[0]!], [2, v2], [3, v3]]), root: v3, delegated: new Map() };
    const plain = outcome(files, r.roots[0]!);
    expect(plain).toMatchObject({ version: 3 });
    const batch = spkiBatch();
    expect(outcome(files, r.roots[0]!, batch)).toEqual(plain);
    // v2 (intermediate, all three keys kept): two checks meet both thresholds if they verify; v3: all three.
    expect(batch.sizes).toEqual([2 + 3]);
  });

  it('two defects in one window: the first in version order is the refusal, with and without a batch (a later root that does not parse is not refused first)', async () => {
    const r = await buildRepo('tuf', { rootVersions: 5 });
    const env = decode(r.roots[1]!);
    // v2: every signature corrupted (no threshold met); v4: truncated (does not parse).
    corruptAll(env);
    const files = withRoot(r, 2, encode(env));
    files.versionedRoots.set(4, r.roots[3]!.subarray(0, 40));
    const plain = outcome(files, r.roots[0]!);
    expect(plain).toMatchObject({ code: 'ROOT_NOT_SIGNED_BY_PREVIOUS', path: '2.root.json $.signatures' });
    expect(outcome(files, r.roots[0]!, spkiBatch())).toEqual(plain);
    expect(outcome(files, r.roots[0]!, nothingChecked)).toEqual(plain);
  });

  it('a key ID that names another key in the next root (same ID, other public key): the same results with and without a batch, intermediate or last', async () => {
    const r = await buildRepo('tuf', { rootVersions: 1, rootThreshold: 2 });
    const [k0, k1, k2] = r.keys.root as [TestKey, TestKey, TestKey];
    const k9 = await makeKey('tuf', 'ed25519');
    const impostor = { ...k9, keyId: k1.keyId };
    // v2 lists k9's key under k1's ID, signed by k0, k2 and k9-as-k1 (its own threshold 3); v3 by v2's keys.
    const v2 = await sign('tuf', rootSigned('tuf', 2, { ...r.keys, root: [k0, impostor, k2] }, { root: 3 }), [k0, impostor, k2]);
    const v3 = await sign('tuf', rootSigned('tuf', 3, { ...r.keys, root: [k0, impostor, k2] }, { root: 2 }), [k0, impostor, k2]);
    for (const roots of [[r.roots[0]!, v2], [r.roots[0]!, v2, v3]]) {
      const files = { versionedRoots: new Map(roots.map((b, i) => [i + 1, b])), root: roots[roots.length - 1]!, delegated: new Map() };
      const plain = outcome(files, r.roots[0]!);
      expect(plain).toMatchObject({ version: roots.length });
      expect(outcome(files, r.roots[0]!, spkiBatch())).toEqual(plain);
    }
    // And a batch that answered "verified" for k1's index under the wrong key would show: the previous
    // role's k1 did not sign v2 (k9 did, under its ID), so it is invalid there.
    const step = outcome({ versionedRoots: new Map([[1, r.roots[0]!], [2, v2]]), root: v2, delegated: new Map() }, r.roots[0]!, spkiBatch()) as { chain: string };
    expect(JSON.parse(step.chain)[0].byPrevious.invalid).toEqual([k1.keyId]);
  });

  it('a batch that throws checks nothing: the walk verifies and refuses as without one', async () => {
    const r = await buildRepo('tuf', { rootVersions: 4 });
    const throwing: SignatureBatch = {
      submit: () => {
        throw new RangeError('no shared memory');
      },
    };
    const throwingLater: SignatureBatch = {
      submit: () => () => {
        throw new RangeError('a worker failed');
      },
    };
    const plain = outcome(r.files(), r.roots[0]!);
    expect(outcome(r.files(), r.roots[0]!, throwing)).toEqual(plain);
    expect(outcome(r.files(), r.roots[0]!, throwingLater)).toEqual(plain);
    const env = decode(r.roots[2]!);
    corruptAll(env);
    const bad = withRoot(r, 3, encode(env));
    expect(outcome(bad, r.roots[0]!, throwingLater)).toEqual(outcome(bad, r.roots[0]!));
  });

  it('the checks announced are those of the versions present: a root.json claiming a far version announces only the steps the input holds', async () => {
    const r = await buildRepo('tuf', { rootVersions: 3 });
    const far = await sign('tuf', rootSigned('tuf', 1_000_000, r.keys, { root: 2 }), r.keys.root);
    const batch = spkiBatch();
    const files = { versionedRoots: new Map([[1, r.roots[0]!], [2, r.roots[1]!]]), root: far, delegated: new Map() };
    expect(outcome(files, r.roots[0]!, batch)).toMatchObject({ code: 'ROOT_VERSION_SKIPPED' });
    // Version 2 and root.json: 2 steps present of the pinned threshold 2, not 999,999 × 2.
    expect(batch.announced).toEqual([2 * 2]);
  });

  it('a memo belongs to one document: given for another, it is refused', async () => {
    const r = await buildRepo('tuf', { rootVersions: 3 });
    const v1 = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const v2 = parseMetadata(r.roots[1]!, 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    const memo = newSignatureMemo(v1);
    expect(() => verifyRole(v2, 'root', v2.signed.roles.get('root')!, v2.signed.keys, { memo })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  it('plans what the walk checks: an intermediate step its thresholds in shared-keys-first order, the last step every root key’s signature', async () => {
    const r = await buildRepo('tuf', { rootVersions: 3 });
    const [v1, v2, v3] = r.roots.map((b, i) => parseMetadata(b, 'root', { maxBytes: 1 << 20, source: `${i + 1}.root.json` })) as [never, never, never];
    // v2: signed by the new key, a kept key and the removed key (threshold 2 each role). Intermediate: the
    // kept key's counts for both roles, then the removed key's (old role) and the new key's (new role): 3.
    const intermediate = plannedRootUpdateChecks({ trusted: v1, next: v2, intermediate: true });
    expect(intermediate).toHaveLength(3);
    const full = plannedRootUpdateChecks({ trusted: v2, next: v3, intermediate: false });
    expect(full.map((c) => c.index).sort()).toEqual([0, 1, 2]);
  });

  it('a chain longer than one window is checked in several batches, each bounded; a refusal in the first window comes before a root that does not parse in the second', async () => {
    const r = await buildRepo('tuf', { rootVersions: 300, rootThreshold: 1, rootKeyCount: 1 });
    const env = decode(r.roots[9]!);
    corruptAll(env);
    const twoDefects = withRoot(r, 10, encode(env));
    twoDefects.versionedRoots.set(290, r.roots[289]!.subarray(0, 40));
    const refusal = outcome(twoDefects, r.roots[0]!);
    expect(refusal).toMatchObject({ code: 'ROOT_NOT_SIGNED_BY_PREVIOUS', path: '10.root.json $.signatures' });
    expect(outcome(twoDefects, r.roots[0]!, spkiBatch())).toEqual(refusal);
    const batch = spkiBatch();
    const plain = outcome(r.files(), r.roots[0]!);
    expect(outcome(r.files(), r.roots[0]!, batch)).toEqual(plain);
    expect((plain as { version: number }).version).toBe(300);
    // 299 steps: windows of 256 and 43 versions; each step's new root signed by its new key and the old one.
    expect(batch.sizes).toHaveLength(2);
    // Announced once, before the first window: 299 steps of at least the pinned threshold (1) each.
    expect(batch.announced).toEqual([299]);
    // The second window is parsed and submitted before the first one's outcomes are asked for: other
    // threads check it while the walk waits for and walks the first.
    expect(batch.events).toEqual(['submit 1', 'submit 2', 'finish 1', 'finish 2']);
    expect(batch.sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(299);
  }, 60_000);
});

describe('import checks the chain ahead too', () => {
  it('importRepository hands its batch to the verification, and installs what it installs without one', async () => {
    const r = await buildRepo('tuf', { rootVersions: 6 });
    const installed: Record<string, string>[] = [];
    for (const signatureBatch of [undefined, spkiBatch()]) {
      const trustDir = tmp('tufc-chain-ahead-import-');
      const result = await importRepository({ files: r.files(), source: 'repo' }, { trustDir, trustedRoot: r.roots[0]!, now: new Date(), ...(signatureBatch ? { signatureBatch } : {}) });
      expect(result.versions.root).toBe(6);
      installed.push(Object.fromEntries(result.files.filter((f) => f !== 'imports.log').map((f) => [f, readFileSync(join(result.folder, f), 'hex')])));
      if (signatureBatch) expect(signatureBatch.sizes).toEqual([3 * 5]);
      expect(readdirSync(result.folder).length).toBeGreaterThan(0);
    }
    expect(installed[1]).toEqual(installed[0]);
  });
});
