import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/json/types.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { trustedVersionsOf, verifyRepository } from '../../../src/tuf/repository.js';
import { verifyRole } from '../../../src/tuf/verify.js';
import { makeKey } from '../../support/keys.js';
import { buildRepo, parseBytes, rootSigned, sign } from '../../support/repo.js';

const now = () => new Date();

for (const profile of ['tuf', 'notary'] as const) {
  describe(`verifyRepository (${profile})`, () => {
    it('walks a root chain one version at a time and reports who signed each step', async () => {
      const r = await buildRepo(profile, { rootVersions: 3 });
      const repo = verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: now() });
      expect(repo.root.signed.version).toBe(3);
      expect(repo.rootChain.map((s) => s.version)).toEqual([2, 3]);
      for (const step of repo.rootChain) {
        expect(step.byPrevious.verified).toBe(true);
        expect(step.bySelf.verified).toBe(true);
        expect(step.bySelf.signed.length).toBeGreaterThanOrEqual(2);
      }
      // Pinning the middle of the chain works too.
      expect(verifyRepository(r.files(), { trustedRoot: r.roots[1]!, now: now() }).rootChain).toHaveLength(1);
    });

    it('shows "2 of 3, waiting for …" as a result, not only as an exception', async () => {
      const r = await buildRepo(profile);
      const root = parseMetadata(r.roots[0]!, 'root', { maxBytes: 1 << 20, source: 'root.json' });
      const result = verifyRole(root, 'root', root.signed.roles.get('root')!, root.signed.keys);
      expect(result).toMatchObject({ threshold: 2, verified: true, invalid: [], strangers: [] });
      expect(result.signed).toHaveLength(2);
      expect(result.missing).toEqual([r.keys.root[2]!.keyId]);
    });

    it('counts a key once even when its signature also appears under a stranger key ID', async () => {
      const r = await buildRepo(profile);
      const k = r.keys.root[0]!;
      const signed = parseBytes(r.roots[0]!).signed as JsonObject;
      // Only one root key signs, but its signature is also listed under another (unlisted) ID.
      const bytes = await sign(profile, signed, [k, { ...k, keyId: 'ab'.repeat(32) }]);
      const root = parseMetadata(bytes, 'root', { maxBytes: 1 << 20, source: 'root.json' });
      const result = verifyRole(root, 'root', root.signed.roles.get('root')!, root.signed.keys);
      expect(result.signed).toEqual([k.keyId]);
      expect(result.strangers).toEqual(['ab'.repeat(32)]);
      expect(result.verified).toBe(false);
    });

    it('keeps unknown signed fields: they are signed over and preserved', async () => {
      const r = await buildRepo(profile);
      const signed = { ...(parseBytes(r.roots[0]!).signed as JsonObject), x_site_note: 'kept' };
      const bytes = await sign(profile, signed, r.keys.root.slice(0, 2));
      const repo = verifyRepository({ versionedRoots: new Map(), delegated: new Map(), root: bytes }, { trustedRoot: bytes, now: now() });
      expect(repo.root.signed.unrecognized).toEqual({ x_site_note: 'kept' });
    });

    it('a rotated timestamp key resets the installed timestamp version (TUF 5.3.11)', async () => {
      const r = await buildRepo(profile);
      const repo = verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: now() });
      const installed = { ...trustedVersionsOf(repo), timestamp: 50 };
      expect(() => verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: now(), installed })).toThrow(/older than the installed/);
      const rotated = { ...installed, timestampKeys: ['00'] };
      expect(verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: now(), installed: rotated }).timestamp).toBeDefined();
    });

    it('verifies a ceremony output that has root and targets only, and says what is absent', async () => {
      const r = await buildRepo(profile);
      const repo = verifyRepository({ versionedRoots: new Map(), delegated: new Map(), root: r.roots[0]!, targets: r.targets }, { trustedRoot: r.roots[0]!, now: now() });
      expect(repo.absent).toEqual(['timestamp', 'snapshot', r.delegationName]);
      expect(() =>
        verifyRepository({ versionedRoots: new Map(), delegated: new Map(), root: r.roots[0]!, targets: r.targets }, { trustedRoot: r.roots[0]!, now: now(), requireComplete: true }),
      ).toThrow(expect.objectContaining({ code: 'META_MISSING' }));
    });
  });
}

describe('profiles do not mix', () => {
  it('refuses a Notary root offered as the next version of a TUF root', async () => {
    const tuf = await buildRepo('tuf');
    const k = await makeKey('notary', 'ecdsa-x509');
    const notaryRoot = await sign('notary', rootSigned('notary', 2, { root: [k], targets: [k], snapshot: [k], timestamp: [k] }), [k]);
    expect(() => verifyRepository({ versionedRoots: new Map([[2, notaryRoot]]), delegated: new Map() }, { trustedRoot: tuf.roots[0]!, now: now() })).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/ROLE_TYPE_MISMATCH|ROOT_CHAIN_BROKEN|KEY_TYPE_UNSUPPORTED|SCHEMA_INVALID/) }),
    );
  });
});
