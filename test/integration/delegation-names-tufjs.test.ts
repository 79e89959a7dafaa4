/**
 * Why verifyRepository refuses one role name delegated at two levels with other keys (DELEGATION_AMBIGUOUS,
 * src/tuf/delegation-names.ts), and ignores a self-delegation or a cycle's back edge: what tuf-js's
 * Updater (preorder depth-first walk for one target path, a visited set per walk, a trusted set by role
 * name across lookups) does with the same repositories, served on 127.0.0.1.
 *
 *   two levels: targets.json delegates `a` (paths "a/*") to A1 and `b` (every two-segment path) to B;
 *               b.json delegates `a` (every two-segment path) to A2; a.json is signed by A1 and lists a/x.
 *               A client looking up a/x first trusts a.json (under A1); one looking up b/y first reaches a
 *               through b, checks it under A2 and fails; one that looked up a/x before answers b/y from
 *               its trusted set: no error.
 *   cycle:      targets → a (A1) → b (B) → a (A2); a.json signed by A1: every lookup reaches a through
 *               targets first, the back edge is never used.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json/types.js';
import { signSnapshotAfterTargets, signTimestampAfterSnapshot } from '../../src/rotation/index.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { serveFiles, type Served } from '../support/file-server.js';
import { targetsSigned } from '../support/repo.js';
import { tempDirs } from '../support/temp-dirs.js';
import { makeRoleKey, rootFixture, signAs, type Custodian, type RootFixture } from '../unit/rotation/support.js';

const tmp = tempDirs();
const enc = new TextEncoder();
const YEAR = formatExpires(new Date(Math.floor(Date.now() / 1000) * 1000 + 365 * 86_400_000));

interface Published {
  http: Served;
  delegated: Map<string, Uint8Array>;
  targets: Uint8Array;
  snapshot: Uint8Array;
  timestamp: Uint8Array;
}

describe('tuf-js and one role name delegated twice', () => {
  let fx: RootFixture;
  let a1: Custodian;
  let a2: Custodian;
  let b: Custodian;
  const served: Served[] = [];

  const role = (name: string, key: Custodian, paths: string[]): JsonObject => ({ name, keyids: [key.listed.keyId], threshold: 1, terminating: false, paths });
  const delegating = (roles: [JsonObject, Custodian][], targets: Record<string, Uint8Array> = {}): JsonObject => ({
    ...targetsSigned('tuf', 1, targets, undefined, YEAR),
    delegations: { keys: Object.fromEntries(roles.map(([, k]) => [k.listed.keyId, k.listed.json])), roles: roles.map(([r]) => r) },
  });

  async function publish(targetsSignedJson: JsonObject, files: Record<string, { signed: JsonObject; by: Custodian }>): Promise<Published> {
    const targets = await signAs('tuf', targetsSignedJson, [fx.targets]);
    const delegated = new Map<string, Uint8Array>();
    for (const [name, f] of Object.entries(files)) delegated.set(name, await signAs('tuf', f.signed, [f.by]));
    const snap = await signSnapshotAfterTargets({ root: fx.rootV1, targets, delegated, expires: YEAR }, [metadataSigner(fx.snapshot.key, fx.snapshot.listed)]);
    const ts = await signTimestampAfterSnapshot({ root: fx.rootV1, snapshot: snap.bytes, expires: YEAR }, [metadataSigner(fx.timestamp.key, fx.timestamp.listed)]);
    const map = new Map<string, Uint8Array>([
      ['/metadata/1.root.json', fx.rootV1],
      ['/metadata/root.json', fx.rootV1],
      ['/metadata/targets.json', targets],
      ['/metadata/snapshot.json', snap.bytes],
      ['/metadata/timestamp.json', ts.bytes],
      ['/targets/a/x', enc.encode('a/x, built')],
    ]);
    for (const [name, bytes] of delegated) map.set(`/metadata/${name}.json`, bytes);
    const http = await serveFiles(map);
    served.push(http);
    return { http, delegated, targets, snapshot: snap.bytes, timestamp: ts.bytes };
  }

  function updater(p: Published): Updater {
    const metadataDir = tmp('tufjs-names-md-');
    writeFileSync(join(metadataDir, 'root.json'), fx.rootV1);
    return new Updater({ metadataDir, targetDir: tmp('tufjs-names-tg-'), metadataBaseUrl: `${p.http.base}/metadata`, targetBaseUrl: `${p.http.base}/targets`, config: { fetchRetries: 0 } });
  }

  /** Each lookup in order on one client: 'found', 'not found', or 'error'. */
  async function lookups(p: Published, paths: string[]): Promise<string[]> {
    const u = updater(p);
    await u.refresh();
    const out: string[] = [];
    for (const path of paths) {
      try {
        out.push((await u.getTargetInfo(path)) ? 'found' : 'not found');
      } catch {
        out.push('error');
      }
    }
    return out;
  }

  function ours(p: Published): string {
    try {
      verifyRepository({ versionedRoots: new Map(), root: fx.rootV1, targets: p.targets, snapshot: p.snapshot, timestamp: p.timestamp, delegated: p.delegated }, { trustedRoot: fx.rootV1, now: new Date(), requireComplete: true });
      return 'verified';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    }
  }

  beforeAll(async () => {
    fx = await rootFixture('tuf');
    a1 = makeRoleKey('tuf', 'A1');
    a2 = makeRoleKey('tuf', 'A2');
    b = makeRoleKey('tuf', 'B');
  });
  afterAll(async () => {
    for (const s of served) await s.close();
  });

  it('same name at two levels, other keys: tuf-js’s answer depends on the path and the order of lookups; ours refuses', async () => {
    const p = await publish(delegating([[role('a', a1, ['a/*']), a1], [role('b', b, ['*/*']), b]]), {
      a: { signed: targetsSigned('tuf', 1, { 'a/x': enc.encode('a/x, built') }, undefined, YEAR), by: a1 },
      b: { signed: delegating([[role('a', a2, ['*/*']), a2]]), by: b },
    });
    expect(await lookups(p, ['a/x'])).toEqual(['found']);
    expect(await lookups(p, ['b/y'])).toEqual(['error']);
    expect(await lookups(p, ['a/x', 'b/y'])).toEqual(['found', 'not found']);
    expect(await lookups(p, ['b/y', 'a/x'])).toEqual(['error', 'found']);
    expect(ours(p)).toBe('DELEGATION_AMBIGUOUS');
  });

  it('a cycle a → b → a whose back edge has other keys: tuf-js never uses it, whatever is looked up; ours verifies', async () => {
    const p = await publish(delegating([[role('a', a1, ['*/*']), a1]]), {
      a: { signed: delegating([[role('b', b, ['*/*']), b]], { 'a/x': enc.encode('a/x, built') }), by: a1 },
      b: { signed: delegating([[role('a', a2, ['*/*']), a2]]), by: b },
    });
    expect(await lookups(p, ['b/y', 'a/x'])).toEqual(['not found', 'found']);
    expect(await lookups(p, ['a/x', 'b/y'])).toEqual(['found', 'not found']);
    expect(ours(p)).toBe('verified');
  });

  it('a self-delegation with other keys: tuf-js never uses it; ours verifies', async () => {
    const p = await publish(delegating([[role('a', a1, ['*/*']), a1]]), {
      a: { signed: delegating([[role('a', a2, ['*/*']), a2]], { 'a/x': enc.encode('a/x, built') }), by: a1 },
    });
    expect(await lookups(p, ['b/y', 'a/x'])).toEqual(['not found', 'found']);
    expect(ours(p)).toBe('verified');
  });
});
