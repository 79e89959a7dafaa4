/**
 * Issue #5 acceptance, tuf profile: the tuf-js client (Updater, served on 127.0.0.1) finds a target through
 * a delegation added by our co-signing flow (buildTargetsPayload → signing request file → signature
 * response file → finalizeMerge, then snapshot + timestamp from targets-snapshot.ts), and no longer after
 * the delegation's key is revoked or the delegation removed:
 *
 *   v2  targets delegates `releases` (paths "releases/*") to Dev 1 and Dev 2, 1 of 2; Dev 1 signs
 *       releases.json: tuf-js finds releases/app-2.0.tgz and downloads it;
 *   v3  Dev 1's key revoked: releases.json (signed by Dev 1) is refused by tuf-js; Dev 2 re-signs it and the
 *       target is found again;
 *   v4  the delegation removed: tuf-js (a client that had trusted v3, and a fresh one) no longer finds it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json/types.js';
import {
  buildTargetsPayload,
  buildTargetsSigningRequest,
  finalizeMerge,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
  signSnapshotAfterTargets,
  signTimestampAfterSnapshot,
  type TargetsChange,
} from '../../src/rotation/index.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { serializeMetadata, signMetadata } from '../../src/tuf/sign.js';
import { hashesOf, targetsSigned } from '../support/repo.js';
import { makeRoleKey, rootFixture, type Custodian, type RootFixture } from '../unit/rotation/support.js';
import { serveFiles, type Served } from '../support/file-server.js';

const enc = new TextEncoder();
const YEAR = formatExpires(new Date(Math.floor(Date.now() / 1000) * 1000 + 365 * 86_400_000));
const RELEASE = 'releases/app-2.0.tgz';

async function signWith(signed: JsonObject, c: Custodian): Promise<Uint8Array> {
  return serializeMetadata('tuf', await signMetadata('tuf', signed, [metadataSigner(c.key, c.listed)]));
}

describe('tuf-js follows delegations changed by our co-signing flow', () => {
  let fx: RootFixture;
  let dev1: Custodian;
  let dev2: Custodian;
  let http: Served;
  const files = new Map<string, Uint8Array>();
  const dirs: string[] = [];
  /** A client that keeps its metadata directory across the steps (it trusted the delegation before). */
  let kept: string;
  const current: { targets?: Uint8Array; snapshot?: Uint8Array; timestamp?: Uint8Array; releases?: Uint8Array } = {};

  /** Request → response (via their files) → merge, signed by the targets key. */
  async function changeTargets(change: TargetsChange): Promise<Uint8Array> {
    const payload = buildTargetsPayload(fx.rootV1, current.targets!, change, { names: new Map([[fx.targets.listed.keyId, 'Alice (targets)'], [dev1.listed.keyId, 'Dev 1'], [dev2.listed.keyId, 'Dev 2']]) });
    const request = parseSigningRequest(serializeSigningRequest(buildTargetsSigningRequest(payload, { repository: 'tuf-js-delegations' })));
    const response = parseSignatureResponse(serializeSignatureResponse(await signRequest(request, fx.targets.key)));
    return finalizeMerge(request, [response]).root;
  }

  /** Snapshot N+1 and timestamp N+1 for what is current, then serve it all. */
  async function publish(delegated: ReadonlyMap<string, Uint8Array> = new Map()): Promise<void> {
    const snap = await signSnapshotAfterTargets(
      { root: fx.rootV1, targets: current.targets!, ...(current.snapshot ? { previousSnapshot: current.snapshot } : {}), delegated, expires: YEAR },
      [metadataSigner(fx.snapshot.key, fx.snapshot.listed)],
    );
    const ts = await signTimestampAfterSnapshot({ root: fx.rootV1, snapshot: snap.bytes, ...(current.timestamp ? { previousTimestamp: current.timestamp } : {}), expires: YEAR }, [
      metadataSigner(fx.timestamp.key, fx.timestamp.listed),
    ]);
    current.snapshot = snap.bytes;
    current.timestamp = ts.bytes;
    files.set('/metadata/targets.json', current.targets!);
    files.set('/metadata/snapshot.json', snap.bytes);
    files.set('/metadata/timestamp.json', ts.bytes);
    for (const [role, bytes] of delegated) files.set(`/metadata/${role}.json`, bytes);
  }

  async function releasesFile(version: number, signer: Custodian): Promise<Uint8Array> {
    return signWith(targetsSigned('tuf', version, { [RELEASE]: files.get(`/targets/${RELEASE}`)! }, undefined, YEAR), signer);
  }

  function updater(dir?: string): Updater {
    const metadataDir = dir ?? mkdtempSync(join(tmpdir(), 'tufjs-deleg-md-'));
    if (!dir) {
      dirs.push(metadataDir);
      writeFileSync(join(metadataDir, 'root.json'), fx.rootV1);
    }
    const targetDir = mkdtempSync(join(tmpdir(), 'tufjs-deleg-tg-'));
    dirs.push(targetDir);
    return new Updater({ metadataDir, targetDir, metadataBaseUrl: `${http.base}/metadata`, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
  }

  async function find(u: Updater): Promise<string | undefined> {
    await u.refresh();
    const info = await u.getTargetInfo(RELEASE);
    if (!info) return undefined;
    const dir = mkdtempSync(join(tmpdir(), 'tufjs-deleg-dl-'));
    dirs.push(dir);
    return readFileSync(await u.downloadTarget(info, join(dir, 'file')), 'utf8');
  }

  beforeAll(async () => {
    fx = await rootFixture('tuf');
    dev1 = makeRoleKey('tuf', 'Dev 1');
    dev2 = makeRoleKey('tuf', 'Dev 2');
    files.set('/metadata/1.root.json', fx.rootV1);
    files.set('/metadata/root.json', fx.rootV1);
    files.set('/targets/app.tar.gz', enc.encode('app 1.0'));
    files.set(`/targets/${RELEASE}`, enc.encode('app 2.0, released by a delegate'));
    current.targets = await signWith(targetsSigned('tuf', 1, { 'app.tar.gz': files.get('/targets/app.tar.gz')! }, undefined, YEAR), fx.targets);
    await publish();
    http = await serveFiles(files);
    kept = mkdtempSync(join(tmpdir(), 'tufjs-deleg-kept-'));
    dirs.push(kept);
    writeFileSync(join(kept, 'root.json'), fx.rootV1);
  });

  afterAll(async () => {
    if (http) await http.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('before: the target is not found (nothing delegates releases/*)', async () => {
    expect(await find(updater(kept))).toBeUndefined();
    expect(await find(updater())).toBeUndefined();
  });

  it('v2 delegates releases/* to Dev 1 and Dev 2 (1 of 2): tuf-js finds the target through Dev 1’s releases.json', async () => {
    current.targets = await changeTargets({
      expires: YEAR,
      delegations: { add: [{ name: 'releases', keys: [{ json: dev1.listed.json }, { json: dev2.listed.json }], threshold: 1, paths: ['releases/*'] }] },
    });
    current.releases = await releasesFile(1, dev1);
    await publish(new Map([['releases', current.releases]]));
    expect(await find(updater(kept))).toBe('app 2.0, released by a delegate');
    expect(await find(updater())).toBe('app 2.0, released by a delegate');
    // Our verifier agrees, from the same root.
    const repo = verifyRepository(
      { versionedRoots: new Map(), root: fx.rootV1, targets: current.targets, snapshot: current.snapshot!, timestamp: current.timestamp!, delegated: new Map([['releases', current.releases]]) },
      { trustedRoot: fx.rootV1, now: new Date(), requireComplete: true },
    );
    expect(repo.delegated.get('releases')!.md.signed.targets.get(RELEASE)!.hashes).toEqual(hashesOf('tuf', files.get(`/targets/${RELEASE}`)!));
  });

  it('v3 revokes Dev 1’s key: tuf-js refuses Dev 1’s releases.json; Dev 2 re-signs it and the target is found again', async () => {
    current.targets = await changeTargets({ expires: YEAR, delegations: { revokeKeys: [{ keyid: dev1.listed.keyId, role: 'releases' }] } });
    // releases.json is unchanged (still Dev 1's): snapshot keeps its entry, the client refuses its signatures.
    await publish();
    await expect(find(updater(kept))).rejects.toThrow(/Unable to load targets.*releases/s);
    await expect(find(updater())).rejects.toThrow(/Unable to load targets.*releases/s);
    current.releases = await releasesFile(2, dev2);
    await publish(new Map([['releases', current.releases]]));
    expect(await find(updater(kept))).toBe('app 2.0, released by a delegate');
  });

  it('v4 removes the delegation: neither the client that trusted it nor a fresh one finds the target', async () => {
    current.targets = await changeTargets({ expires: YEAR, delegations: { remove: ['releases'] } });
    await publish();
    // snapshot keeps listing releases.json (TUF 5.5.5: the client that trusted it refuses a snapshot that drops it).
    expect(Object.keys((JSON.parse(Buffer.from(current.snapshot!).toString('utf8')) as { signed: { meta: JsonObject } }).signed.meta).sort()).toEqual(['releases.json', 'targets.json']);
    expect(await find(updater(kept))).toBeUndefined();
    expect(await find(updater())).toBeUndefined();
    // The top-level target is still there.
    const u = updater();
    await u.refresh();
    expect(await u.getTargetInfo('app.tar.gz')).toBeDefined();
  });
});
