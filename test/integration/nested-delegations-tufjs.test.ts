/**
 * A delegate's file that delegates further (TUF 4.5), re-signed by our flow (delegated-payload.ts →
 * signing request file → signature response file → finalizeMerge): the tuf-js client (Updater, served on
 * 127.0.0.1) still follows the nested role afterwards (TUF 5.6.7), and our verifyRepository agrees.
 *
 *   v1  targets.json delegates `releases` (paths "releases/*") to CI; releases.json v1 lists
 *       releases/v1.tar.gz and delegates `nightly` (paths "releases/nightly-*") to QA; nightly.json lists
 *       releases/nightly-7.tar.gz;
 *   v2  releases.json renewed: both targets found, the nightly one through the carried nested role;
 *   v3  releases.json adds releases/v2.tar.gz: all three found, by a client that kept its metadata and a
 *       fresh one;
 *   v5  nightly widened to every two-segment path (v4, by hand), then renewed by our flow (the review
 *       warns): nightly's docs/readme.txt is not found — a client trusts a nested role only inside its
 *       delegator's paths (TUF 5.6.7);
 *   v7  nightly given a threshold of 2 with its one key (v6, by hand), then renewed by our flow (the review
 *       warns, as clients accept the file): releases' own targets still found, nightly's never trusted.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json/types.js';
import {
  describeRequest,
  finalizeMerge,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
  signSnapshotAfterTargets,
  signTimestampAfterSnapshot,
} from '../../src/rotation/index.js';
import { buildDelegatedPayload, type DelegatedChange } from '../../src/rotation/delegated-payload.js';
import { buildDelegatedSigningRequest } from '../../src/rotation/request.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { targetsSigned } from '../support/repo.js';
import { serveFiles, type Served } from '../support/file-server.js';
import { tempDirs } from '../support/temp-dirs.js';
import { makeRoleKey, rootFixture, signAs, type Custodian, type RootFixture } from '../unit/rotation/support.js';

const tmp = tempDirs();
const enc = new TextEncoder();
const YEAR = formatExpires(new Date(Math.floor(Date.now() / 1000) * 1000 + 365 * 86_400_000));
const LATER = formatExpires(new Date(Math.floor(Date.now() / 1000) * 1000 + 2 * 365 * 86_400_000));
const V1 = 'releases/v1.tar.gz';
const V2 = 'releases/v2.tar.gz';
const NIGHTLY = 'releases/nightly-7.tar.gz';
/** Listed by nightly, outside what releases is trusted for. */
const DOCS = 'docs/readme.txt';

describe('tuf-js follows a nested delegation carried through our re-signing of the delegate\'s file', () => {
  let fx: RootFixture;
  let ci: Custodian;
  let qa: Custodian;
  let http: Served;
  const files = new Map<string, Uint8Array>();
  const current: { targets?: Uint8Array; snapshot?: Uint8Array; timestamp?: Uint8Array; releases?: Uint8Array; nightly?: Uint8Array } = {};
  let kept: string;

  /** releases.json N+1 through request → CI's response (via their files) → merge. */
  async function resign(change: DelegatedChange): Promise<Uint8Array> {
    const payload = buildDelegatedPayload(fx.rootV1, current.targets!, current.releases!, 'releases', change);
    const request = parseSigningRequest(serializeSigningRequest(buildDelegatedSigningRequest(payload, { repository: 'tuf-js-nested', names: new Map([[ci.listed.keyId, 'CI']]) })));
    const response = parseSignatureResponse(serializeSignatureResponse(await signRequest(request, ci.key)));
    return finalizeMerge(request, [response]).bytes!;
  }

  async function publish(): Promise<void> {
    const delegated = new Map([['releases', current.releases!], ['nightly', current.nightly!]]);
    const snap = await signSnapshotAfterTargets({ root: fx.rootV1, targets: current.targets!, ...(current.snapshot ? { previousSnapshot: current.snapshot } : {}), delegated, expires: YEAR }, [metadataSigner(fx.snapshot.key, fx.snapshot.listed)]);
    const ts = await signTimestampAfterSnapshot({ root: fx.rootV1, snapshot: snap.bytes, ...(current.timestamp ? { previousTimestamp: current.timestamp } : {}), expires: YEAR }, [metadataSigner(fx.timestamp.key, fx.timestamp.listed)]);
    current.snapshot = snap.bytes;
    current.timestamp = ts.bytes;
    files.set('/metadata/targets.json', current.targets!);
    files.set('/metadata/snapshot.json', snap.bytes);
    files.set('/metadata/timestamp.json', ts.bytes);
    for (const [role, bytes] of delegated) files.set(`/metadata/${role}.json`, bytes);
  }

  function updater(dir?: string): Updater {
    const metadataDir = dir ?? tmp('tufjs-nested-md-');
    if (!dir) writeFileSync(join(metadataDir, 'root.json'), fx.rootV1);
    return new Updater({ metadataDir, targetDir: tmp('tufjs-nested-tg-'), metadataBaseUrl: `${http.base}/metadata`, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
  }

  /** What the client downloads for each name (undefined: it finds no trusted entry). */
  async function found(u: Updater, names: string[]): Promise<(string | undefined)[]> {
    await u.refresh();
    const out: (string | undefined)[] = [];
    for (const name of names) {
      const info = await u.getTargetInfo(name);
      out.push(info ? readFileSync(await u.downloadTarget(info, join(tmp('tufjs-nested-dl-'), 'file')), 'utf8') : undefined);
    }
    return out;
  }

  function verified(): ReturnType<typeof verifyRepository> {
    return verifyRepository(
      { versionedRoots: new Map(), root: fx.rootV1, targets: current.targets!, snapshot: current.snapshot!, timestamp: current.timestamp!, delegated: new Map([['releases', current.releases!], ['nightly', current.nightly!]]) },
      { trustedRoot: fx.rootV1, now: new Date(), requireComplete: true },
    );
  }

  beforeAll(async () => {
    fx = await rootFixture('tuf');
    ci = makeRoleKey('tuf', 'CI');
    qa = makeRoleKey('tuf', 'QA');
    for (const name of [V1, V2, NIGHTLY]) files.set(`/targets/${name}`, enc.encode(`${name}, built`));
    files.set('/metadata/1.root.json', fx.rootV1);
    files.set('/metadata/root.json', fx.rootV1);
    const targets = targetsSigned('tuf', 1, {}, undefined, YEAR);
    targets.delegations = { keys: { [ci.listed.keyId]: ci.listed.json }, roles: [{ name: 'releases', keyids: [ci.listed.keyId], threshold: 1, terminating: false, paths: ['releases/*'] }] };
    current.targets = await signAs('tuf', targets, [fx.targets]);
    const releases = targetsSigned('tuf', 1, { [V1]: files.get(`/targets/${V1}`)! }, undefined, YEAR);
    releases.delegations = { keys: { [qa.listed.keyId]: qa.listed.json }, roles: [{ name: 'nightly', keyids: [qa.listed.keyId], threshold: 1, terminating: false, paths: ['releases/nightly-*'] }] };
    current.releases = await signAs('tuf', releases, [ci]);
    current.nightly = await signAs('tuf', targetsSigned('tuf', 1, { [NIGHTLY]: files.get(`/targets/${NIGHTLY}`)! }, undefined, YEAR), [qa]);
    await publish();
    http = await serveFiles(files);
    kept = tmp('tufjs-nested-kept-');
    writeFileSync(join(kept, 'root.json'), fx.rootV1);
  });

  afterAll(async () => {
    if (http) await http.close();
  });

  it('v1 (made by hand): tuf-js finds the nightly target through releases → nightly', async () => {
    expect(await found(updater(kept), [V1, NIGHTLY])).toEqual([`${V1}, built`, `${NIGHTLY}, built`]);
  });

  it('v2, releases.json renewed by our flow: the nested delegation is carried and still followed', async () => {
    current.releases = await resign({ expires: LATER });
    await publish();
    expect(await found(updater(kept), [V1, NIGHTLY])).toEqual([`${V1}, built`, `${NIGHTLY}, built`]);
    const repo = verified();
    expect([repo.delegated.get('releases')!.md.signed.version, repo.delegated.get('nightly')!.delegatedBy]).toEqual([2, 'releases']);
  });

  it('v3, a target added to releases.json by our flow: all three found, by the client that kept its metadata and a fresh one', async () => {
    current.releases = await resign({ expires: LATER, files: { add: [{ name: V2, bytes: files.get(`/targets/${V2}`)! }] } });
    await publish();
    const want = [`${V1}, built`, `${V2}, built`, `${NIGHTLY}, built`];
    expect(await found(updater(kept), [V1, V2, NIGHTLY])).toEqual(want);
    expect(await found(updater(), [V1, V2, NIGHTLY])).toEqual(want);
    const repo = verified();
    expect([repo.delegated.get('releases')!.md.signed.version, repo.delegated.get('nightly')!.md.signed.targets.has(NIGHTLY)]).toEqual([3, true]);
  });

  it('v4-v5, nested role widened to "*/*" (by hand), then renewed by our flow: tuf-js trusts it only inside releases/* (why the review warns rather than refuses)', async () => {
    const widened = JSON.parse(Buffer.from(current.releases!).toString('utf8')) as { signed: JsonObject };
    const signed: JsonObject = { ...widened.signed, version: 4 };
    ((signed.delegations as JsonObject).roles as JsonObject[])[0]!.paths = ['*/*'];
    current.releases = await signAs('tuf', signed, [ci]);
    files.set(`/targets/${DOCS}`, enc.encode(`${DOCS}, built`));
    current.nightly = await signAs('tuf', targetsSigned('tuf', 2, { [NIGHTLY]: files.get(`/targets/${NIGHTLY}`)!, [DOCS]: files.get(`/targets/${DOCS}`)! }, undefined, YEAR), [qa]);
    current.releases = await resign({ expires: LATER.replace(/^(\d{4})/, (y) => String(Number(y) + 1)) });
    await publish();
    expect(await found(updater(), [NIGHTLY, DOCS])).toEqual([`${NIGHTLY}, built`, undefined]);
    expect(verified().delegated.get('releases')!.md.signed.version).toBe(5);
  });

  it('v6-v7, nested threshold above its keys (by hand), then renewed by our flow with a warning: tuf-js still reads releases.json, and only nightly goes unverified', async () => {
    const broken = JSON.parse(Buffer.from(current.releases!).toString('utf8')) as { signed: JsonObject };
    const signed: JsonObject = { ...broken.signed, version: 6 };
    ((signed.delegations as JsonObject).roles as JsonObject[])[0]!.threshold = 2; // nightly: QA's one key
    current.releases = await signAs('tuf', signed, [ci]);
    const payload = buildDelegatedPayload(fx.rootV1, current.targets!, current.releases, 'releases', { expires: LATER.replace(/^(\d{4})/, (y) => String(Number(y) + 2)) });
    const request = parseSigningRequest(serializeSigningRequest(buildDelegatedSigningRequest(payload, { repository: 'tuf-js-nested' })));
    expect(describeRequest(request).text).toContain('WARNING: releases.json carries nightly unchanged, and this version signs it again as it is: no client will ever verify it: threshold 2 of 1 key');
    current.releases = finalizeMerge(request, [await signRequest(request, ci.key)]).bytes!;
    await publish();
    const u = updater();
    expect(await found(u, [V1, V2])).toEqual([`${V1}, built`, `${V2}, built`]);
    // A lookup that reaches nightly: tuf-js (as installed here) raises an error, as it did for v6 before our
    // renewal; the assertion is only that nightly is never trusted.
    const nightly = await u.getTargetInfo(NIGHTLY).then((info) => (info ? 'trusted' : 'not found'), (err: Error) => `refused: ${err.name}`);
    expect(nightly).not.toBe('trusted');
  });
});
