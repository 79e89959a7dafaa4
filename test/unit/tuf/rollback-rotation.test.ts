/**
 * TUF 5.3.11 against what is installed (review 15c L4, rows RB1–RB6): "If the timestamp and / or snapshot
 * keys have been rotated, then delete the trusted timestamp and snapshot metadata files" — a rotation of
 * either key resets the rollback checks of both roles (a publisher recovering from a lost timestamp key may
 * start timestamp and snapshot again at version 1), and nothing else: without a rotation every rollback is
 * still refused, and targets' own version is never reset.
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { trustedVersionsOf, verifyRepository, type RepositoryFiles, type TrustedVersions } from '../../../src/tuf/repository.js';
import { makeKey } from '../../support/keys.js';
import { buildRepo, FAR, metaEntry, metaKey, rootSigned, sign, targetsSigned, typeName, type BuiltRepo, type RootKeys } from '../../support/repo.js';

const enc = new TextEncoder();
const now = () => new Date();

function head(p: ProfileName, type: string, version: number): JsonObject {
  return { _type: typeName(p, type), ...(p === 'tuf' ? { spec_version: '1.0.31' } : {}), version, expires: FAR };
}

interface State {
  ts: number;
  snap: number;
  targets?: number;
  /** Leave the delegated role out of snapshot (and the delegation out of targets). */
  dropDelegated?: boolean;
  /** Root v2 with these keys (signed by the unchanged root keys), instead of root v1. */
  rotate?: RootKeys;
}

/** A whole repository state at the given versions, every file signed by the keys its root names. */
async function stateAt(r: BuiltRepo, s: State): Promise<RepositoryFiles> {
  const p = r.profile;
  const keys = s.rotate ?? r.keys;
  const roots = [r.roots[0]!];
  if (s.rotate) roots.push(await sign(p, rootSigned(p, 2, s.rotate, { root: 2 }), r.keys.root.slice(0, 2)));
  const root = roots[roots.length - 1]!;
  const tv = s.targets ?? 1;
  const delegation = s.dropDelegated ? undefined : { name: r.delegationName, keys: r.keys.delegate };
  const targets = await sign(p, targetsSigned(p, tv, { 'app.tar.gz': enc.encode(`app v${tv}`) }, delegation), keys.targets);
  const meta: JsonObject = { [metaKey(p, 'targets')]: metaEntry(p, targets, tv) };
  if (!s.dropDelegated) meta[metaKey(p, r.delegationName)] = metaEntry(p, r.delegated, 1);
  if (p === 'notary') meta.root = metaEntry(p, root, roots.length);
  const snapshot = await sign(p, { ...head(p, 'snapshot', s.snap), meta }, keys.snapshot);
  const timestamp = await sign(p, { ...head(p, 'timestamp', s.ts), meta: { [metaKey(p, 'snapshot')]: metaEntry(p, snapshot, s.snap) } }, keys.timestamp);
  return {
    root,
    versionedRoots: new Map(roots.map((b, i) => [i + 1, b])),
    targets,
    snapshot,
    timestamp,
    delegated: s.dropDelegated ? new Map() : new Map([[r.delegationName, r.delegated]]),
  };
}

/** What an import of `first` leaves installed: its versions and the timestamp/snapshot key fingerprints. */
async function installedAfter(r: BuiltRepo, first: State): Promise<TrustedVersions> {
  return trustedVersionsOf(verifyRepository(await stateAt(r, first), { trustedRoot: r.roots[0]!, now: now(), requireComplete: true }));
}

function refusal(f: () => unknown): CeremonyError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}

for (const profile of ['tuf', 'notary'] as const) {
  describe(`rollback against the installed state and TUF 5.3.11 (${profile})`, () => {
    const verify = (r: BuiltRepo, files: RepositoryFiles, installed: TrustedVersions) => () =>
      verifyRepository(files, { trustedRoot: r.roots[0]!, now: now(), installed, requireComplete: true });

    it('RB6: root v2 rotating only the timestamp key resets the snapshot version too (timestamp v1 naming snapshot v1 over an installed v5)', async () => {
      const r = await buildRepo(profile);
      const installed = await installedAfter(r, { ts: 5, snap: 5 });
      const rotated = { ...r.keys, timestamp: [await makeKey(profile, 'ed25519')] };
      const repo = verifyRepository(await stateAt(r, { ts: 1, snap: 1, rotate: rotated }), { trustedRoot: r.roots[0]!, now: now(), installed, requireComplete: true });
      expect([repo.root.signed.version, repo.timestamp!.md.signed.version, repo.snapshot!.md.signed.version]).toEqual([2, 1, 1]);
    });

    it('root v2 rotating only the snapshot key resets the timestamp version too', async () => {
      const r = await buildRepo(profile);
      const installed = await installedAfter(r, { ts: 5, snap: 5 });
      const rotated = { ...r.keys, snapshot: [await makeKey(profile, profile === 'notary' ? 'ecdsa-p256' : 'ed25519')] };
      const repo = verifyRepository(await stateAt(r, { ts: 1, snap: 1, rotate: rotated }), { trustedRoot: r.roots[0]!, now: now(), installed, requireComplete: true });
      expect([repo.timestamp!.md.signed.version, repo.snapshot!.md.signed.version]).toEqual([1, 1]);
    });

    it('a rotation does not reset targets: targets v1 over an installed v2 is still a rollback', async () => {
      const r = await buildRepo(profile);
      const installed = await installedAfter(r, { ts: 5, snap: 5, targets: 2 });
      const rotated = { ...r.keys, timestamp: [await makeKey(profile, 'ed25519')] };
      const err = refusal(verify(r, await stateAt(r, { ts: 1, snap: 1, targets: 1, rotate: rotated }), installed));
      expect(err.code).toBe('ROLLBACK');
      expect(err.message).toMatch(/targets\.json is version 1, older than the installed version 2/);
    });

    it('RB1: without a rotation, timestamp v1 over an installed v2 is refused', async () => {
      const r = await buildRepo(profile);
      const installed = await installedAfter(r, { ts: 2, snap: 1 });
      const err = refusal(verify(r, await stateAt(r, { ts: 1, snap: 1 }), installed));
      expect([err.code, err.path]).toEqual(['ROLLBACK', 'timestamp.json $.signed.version']);
    });

    it('RB2: without a rotation, timestamp v3 naming snapshot v1 over an installed snapshot v2 is refused', async () => {
      const r = await buildRepo(profile);
      const installed = await installedAfter(r, { ts: 2, snap: 2 });
      const err = refusal(verify(r, await stateAt(r, { ts: 3, snap: 1 }), installed));
      expect(err.code).toBe('ROLLBACK');
      // TUF's timestamp names the snapshot version; Notary's FileMeta has none, so the snapshot's own is refused.
      expect(err.path).toBe(profile === 'tuf' ? 'timestamp.json $.signed.meta' : 'snapshot.json $.signed.version');
    });

    it('RB3: without a rotation, targets v1 over an installed targets v2 is refused', async () => {
      const r = await buildRepo(profile);
      const installed = await installedAfter(r, { ts: 2, snap: 2, targets: 2 });
      const err = refusal(verify(r, await stateAt(r, { ts: 3, snap: 3, targets: 1 }), installed));
      expect(err.code).toBe('ROLLBACK');
      expect(err.path).toBe(profile === 'tuf' ? 'snapshot.json $.signed.meta' : 'targets.json $.signed.version');
    });

    if (profile === 'tuf') {
      it('RB4: without a rotation, a snapshot that no longer lists a delegated role is refused', async () => {
        const r = await buildRepo(profile);
        const installed = await installedAfter(r, { ts: 2, snap: 2 });
        const err = refusal(verify(r, await stateAt(r, { ts: 3, snap: 3, dropDelegated: true }), installed));
        expect(err.code).toBe('SNAPSHOT_META_REMOVED');
      });
    }
  });
}
