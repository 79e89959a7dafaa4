/**
 * The tuf-js client follows a chain of two root rotations made with our co-signing flow (request → responses
 * in scrambled order → merge), served on 127.0.0.1, pinned at v1:
 *
 *   v1  2 of 3 (Alice, Bob, Carol)
 *   v2  3 of 4 (+ Dave; threshold change)                — signed by Bob, Alice (old) + Dave, Carol, Bob, Alice (new)
 *   v3  3 of 4 (Carol's key lost, replaced by Erin)      — signed by Dave, Bob, Alice (old) + Erin (new)
 *
 * Our verifyRepository walks the same chain.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json/types.js';
import {
  buildRotationPayload,
  buildSigningRequest,
  finalizeMerge,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
  type RotationChange,
} from '../../src/rotation/index.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { serializeMetadata, signMetadata } from '../../src/tuf/sign.js';
import { metaEntry, targetsSigned } from '../support/repo.js';
import { serveFiles, type Served } from '../support/file-server.js';
import { EXPIRES_V2, makeCustodian, rootFixture, type Custodian, type RootFixture } from '../unit/rotation/support.js';

const enc = new TextEncoder();

async function rotate(previous: Uint8Array, change: RotationChange, names: Map<string, string>, signers: Custodian[]): Promise<Uint8Array> {
  const request = parseSigningRequest(serializeSigningRequest(buildSigningRequest(buildRotationPayload(previous, change, { names }), { repository: 'tuf-js-chain' })));
  const responses = [];
  for (const s of signers) responses.push(parseSignatureResponse(serializeSignatureResponse(await signRequest(request, s.key))));
  return finalizeMerge(request, responses).root;
}

async function signWith(signed: JsonObject, c: Custodian): Promise<Uint8Array> {
  return serializeMetadata('tuf', await signMetadata('tuf', signed, [metadataSigner(c.key, c.listed)]));
}

describe('tuf-js follows our rotations (threshold change, then a replaced key)', () => {
  let fx: RootFixture;
  let roots: Uint8Array[];
  let files: Map<string, Uint8Array>;
  let http: Served;
  const dirs: string[] = [];

  beforeAll(async () => {
    fx = await rootFixture('tuf');
    const [alice, bob, carol] = fx.custodians as [Custodian, Custodian, Custodian];
    const dave = await makeCustodian('tuf', 'Dave');
    const erin = await makeCustodian('tuf', 'Erin');
    const names = new Map([...fx.names, [dave.listed.keyId, 'Dave'], [erin.listed.keyId, 'Erin']]);
    const v2 = await rotate(fx.rootV1, { expires: EXPIRES_V2, root: { add: [{ json: dave.listed.json, name: 'Dave' }], threshold: 3 } }, names, [dave, bob, carol, alice]);
    const v3 = await rotate(v2, { expires: EXPIRES_V2, root: { replace: [{ old: carol.listed.keyId, new: { json: erin.listed.json, name: 'Erin' }, reason: 'lost' }] } }, names, [erin, dave, bob, alice]);
    roots = [fx.rootV1, v2, v3];

    const year = formatExpires(new Date(Date.now() + 365 * 86_400_000));
    const targets = await signWith(targetsSigned('tuf', 1, { 'app.tar.gz': enc.encode('app v1') }, undefined, year), fx.targets);
    const snapshot = await signWith({ _type: 'snapshot', spec_version: '1.0.31', version: 1, expires: year, meta: { 'targets.json': metaEntry('tuf', targets, 1) } }, fx.snapshot);
    const timestamp = await signWith({ _type: 'timestamp', spec_version: '1.0.31', version: 1, expires: year, meta: { 'snapshot.json': metaEntry('tuf', snapshot, 1) } }, fx.timestamp);
    files = new Map([
      ['/metadata/1.root.json', roots[0]!],
      ['/metadata/2.root.json', roots[1]!],
      ['/metadata/3.root.json', roots[2]!],
      ['/metadata/root.json', roots[2]!],
      ['/metadata/timestamp.json', timestamp],
      ['/metadata/snapshot.json', snapshot],
      ['/metadata/targets.json', targets],
      ['/targets/app.tar.gz', enc.encode('app v1')],
    ]);
    http = await serveFiles(files);
  });

  afterAll(async () => {
    if (http) await http.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('our verifier walks v1 → v2 → v3 from the pinned v1', () => {
    const repo = verifyRepository(
      { versionedRoots: new Map(roots.map((b, i) => [i + 1, b])), root: roots[2]!, targets: files.get('/metadata/targets.json')!, snapshot: files.get('/metadata/snapshot.json')!, timestamp: files.get('/metadata/timestamp.json')!, delegated: new Map() },
      { trustedRoot: roots[0]!, now: new Date(), requireComplete: true },
    );
    expect(repo.rootChain.map((r) => [r.version, r.byPrevious.threshold, r.bySelf.threshold])).toEqual([
      [2, 2, 3],
      [3, 3, 3],
    ]);
  });

  it('the tuf-js Updater, pinned at v1, refreshes through both rotations and downloads a target', async () => {
    const metadataDir = mkdtempSync(join(tmpdir(), 'tufjs-rot-md-'));
    const targetDir = mkdtempSync(join(tmpdir(), 'tufjs-rot-tg-'));
    dirs.push(metadataDir, targetDir);
    writeFileSync(join(metadataDir, 'root.json'), roots[0]!);
    const u = new Updater({ metadataDir, targetDir, metadataBaseUrl: `${http.base}/metadata`, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
    http.requests.length = 0;
    await u.refresh();
    expect(http.requests.slice(0, 3)).toEqual(['/metadata/2.root.json', '/metadata/3.root.json', '/metadata/4.root.json']);
    expect(Buffer.from(readFileSync(join(metadataDir, 'root.json')))).toEqual(Buffer.from(roots[2]!));
    const info = await u.getTargetInfo('app.tar.gz');
    expect(info).toBeDefined();
    expect(readFileSync(await u.downloadTarget(info!, join(targetDir, 'app')), 'utf8')).toBe('app v1');
  });
});
