/**
 * A repository that lives, followed by a client nobody here wrote: the tuf-js Updater, pinned at the root
 * ceremony's root v1, fetches from the hostable tree (consistent snapshots: N.root.json, N.snapshot.json,
 * N.targets.json, targets/HASH.NAME) served by a static server on 127.0.0.1, through
 *
 *   refresh 1 (snapshot 2, timestamp 2)  →  root rotation (root v2, co-signed) + refresh 2 (snapshot 3, timestamp 3)
 *   →  targets change (targets v2 adds app.txt) + refresh 3  →  refresh 4 (timestamp only)
 *
 * with its clock moved (Date faked in-process: tuf-js reads `new Date()` when an Updater is made) past each
 * old timestamp's expiry: before the new tree is copied to the host the client refuses the expired
 * timestamp, after it follows. Every refresh is `tuf-ceremony refresh` with the snapshot and timestamp keys
 * as key files; every tree is written by our code and read only by tuf-js.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { refreshCommand, type RefreshOptions } from '../../src/cli/refresh.js';
import { writeVerifiedTree } from '../../src/cli/tree.js';
import { runRotationStage } from '../../src/rehearsal/rotation-stage.js';
import { openRehearsalTokens, type RehearsalToken } from '../../src/signers/rehearsal.js';
import type { JsonObject } from '../../src/json/types.js';
import { captureIo } from '../support/cli-io.js';
import { ceremonyRepo, type CeremonyRepo } from '../support/ceremony-repo.js';
import { serveTree, type ServedTree } from '../support/serve-tree.js';

vi.setConfig({ testTimeout: 120_000 });
const HOUR = 3_600_000;
const work = mkdtempSync(join(tmpdir(), 'tufc-lifecycle-'));
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const sha512 = (b: Uint8Array | string): string => createHash('sha512').update(b).digest('hex');

let repo: CeremonyRepo;
let dave: RehearsalToken[];
let http: ServedTree;
const t0 = new Date(Math.floor(Date.now() / 1000) * 1000);
const pin = join(work, 'pinned-root.json');
const metadataDir = join(work, 'client-metadata');
const targetDir = join(work, 'client-targets');

beforeAll(async () => {
  repo = await ceremonyRepo(join(work, 'ceremony'), t0);
  dave = await openRehearsalTokens({ custodians: ['Dave'] });
  writeFileSync(pin, repo.rootV1);
  await writeVerifiedTree({ files: repo.files, trustedRoot: repo.rootV1, out: join(work, 'tree-0'), now: t0 });
  http = await serveTree(join(work, 'tree-0'));
  mkdirSync(metadataDir);
  mkdirSync(targetDir);
  writeFileSync(join(metadataDir, 'root.json'), repo.rootV1);
});
afterAll(async () => {
  vi.useRealTimers();
  await http?.close();
  await repo?.close();
  for (const t of dave ?? []) await t.close();
  rmSync(work, { recursive: true, force: true });
});

/** A client run at `at`: a new Updater over the same persisted metadata, with Date faked to `at`. */
async function client(at: Date): Promise<Updater> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(at);
  try {
    const u = new Updater({ metadataDir, targetDir, metadataBaseUrl: http.base, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
    await u.refresh();
    return u;
  } finally {
    vi.useRealTimers();
  }
}

async function refresh(input: string, out: string, at: Date, opts: Partial<RefreshOptions> = {}): Promise<JsonObject> {
  const c = captureIo();
  const status = await refreshCommand(input, { root: pin, out, timestampKeyFile: repo.timestampKeyFile, snapshotKeyFile: repo.snapshotKeyFile, timestampExpires: '1d', snapshotExpires: '7d', json: true, ...opts }, c.io, {
    load: () => Promise.reject(new Error('no tokens')),
    exists: () => false,
    platform: process.platform,
    env: {},
    interactive: false,
    promptPin: () => Promise.reject(new Error('no prompt')),
    now: () => at,
  });
  expect(c.err.filter((l) => l.startsWith('error')), 'refresh refused').toEqual([]);
  expect(status).toBe(0);
  return JSON.parse(c.out.join('')) as JsonObject;
}

const version = (name: string): number => (JSON.parse(readFileSync(join(metadataDir, name), 'utf8')) as { signed: { version: number } }).signed.version;

describe('tuf-js follows a ceremony-made repository on a static host', () => {
  it('root v1 → refresh → rotation → targets change → refreshes, with the client clock past each old timestamp', async () => {
    // The ceremony's repository as first published.
    await client(t0);
    expect(version('timestamp.json')).toBe(1);

    // Refresh 1, at t0: snapshot 2 and timestamp 2 (1 day).
    expect(await refresh(join(work, 'tree-0'), join(work, 'tree-1'), t0)).toMatchObject({ snapshot: { to: 2 }, timestamp: { to: 2 } });
    http.publish(join(work, 'tree-1'));
    http.requests.length = 0;
    await client(t0);
    expect(version('timestamp.json')).toBe(2);
    expect(http.requests).toContain('/2.snapshot.json');

    // Root rotation (Carol's key replaced by Dave's, co-signed by Alice and Bob on their tokens: the rehearsal's rotation).
    const rotation = await runRotationStage({
      profile: 'tuf',
      repository: 'example.com/app',
      out: join(work, 'rotation-work'),
      rootV1: repo.rootV1,
      tokens: repo.tokens,
      rootKeyLabels: new Map(repo.plan.custodians.map((c) => [c.name, c.keyLabel])),
      newToken: dave[0]!,
      now: () => t0,
      say: () => undefined,
    });
    const withRoot2 = join(work, 'tree-1-root-2');
    cpSync(join(work, 'tree-1'), withRoot2, { recursive: true });
    writeFileSync(join(withRoot2, '2.root.json'), rotation.rootV2);

    // A day and an hour later timestamp 2 has expired: the client refuses the host as it is...
    const t1 = new Date(t0.getTime() + 25 * HOUR);
    await expect(client(t1)).rejects.toThrow(/expired/i);
    // ...refresh 2 (the current timestamp is expired: that is what a refresh is for) publishes root v2 too.
    expect(await refresh(withRoot2, join(work, 'tree-2'), t1)).toMatchObject({ snapshot: { from: 2, to: 3 }, timestamp: { from: 2, to: 3 } });
    http.publish(join(work, 'tree-2'));
    http.requests.length = 0;
    await client(t1);
    expect(http.requests.slice(0, 2)).toEqual(['/2.root.json', '/3.root.json']);
    expect(readFileSync(join(metadataDir, 'root.json'))).toEqual(Buffer.from(rotation.rootV2));
    expect(version('timestamp.json')).toBe(3);

    // A targets change: targets v2 lists app.txt (signed by the targets key on Alice's token), published by refresh 3.
    const t2 = new Date(t1.getTime() + 2 * HOUR);
    const app = new TextEncoder().encode('app release 1\n');
    const targetsV1 = JSON.parse(Buffer.from(repo.files.targets!).toString()) as { signed: JsonObject };
    const targetsV2 = await repo.signTargets(rotation.rootV2, { ...targetsV1.signed, version: 2, targets: { 'app.txt': { length: app.length, hashes: { sha256: sha256(app), sha512: sha512(app) }, custom: { channel: 'stable' } } } });
    writeFileSync(join(work, 'targets-v2.json'), targetsV2);
    mkdirSync(join(work, 'files'));
    writeFileSync(join(work, 'files', 'app.txt'), app);
    expect(await refresh(join(work, 'tree-2'), join(work, 'tree-3'), t2, { targets: join(work, 'targets-v2.json'), targetsDir: join(work, 'files') })).toMatchObject({ snapshot: { to: 4 }, timestamp: { to: 4 } });
    http.publish(join(work, 'tree-3'));
    http.requests.length = 0;
    const u3 = await client(t2);
    expect(http.requests).toEqual(['/3.root.json', '/timestamp.json', '/4.snapshot.json', '/2.targets.json']);
    const info = await u3.getTargetInfo('app.txt');
    expect(info?.custom).toEqual({ channel: 'stable' });
    const path = await u3.downloadTarget(info!, join(targetDir, 'app.txt'));
    expect(readFileSync(path)).toEqual(Buffer.from(app));
    // tuf-js fetched the hash-prefixed copy (TUF 5.7.3).
    expect(http.requests).toContain(`/targets/${sha256(app)}.app.txt`);

    // Refresh 4, timestamp only, a day and an hour after refresh 3: the client moved past timestamp 4's expiry.
    const t3 = new Date(t2.getTime() + 25 * HOUR);
    await expect(client(t3)).rejects.toThrow(/expired/i);
    expect(await refresh(join(work, 'tree-3'), join(work, 'tree-4'), t3, { snapshotKeyFile: undefined })).toMatchObject({ snapshot: null, timestamp: { from: 4, to: 5 } });
    http.publish(join(work, 'tree-4'));
    const u4 = await client(t3);
    expect(version('timestamp.json')).toBe(5);
    expect(version('snapshot.json')).toBe(4);
    expect(await u4.getTargetInfo('app.txt')).toBeDefined();
  });
});
