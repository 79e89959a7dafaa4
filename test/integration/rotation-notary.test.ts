/**
 * A Notary root rotation made with our co-signing flow (request → signature responses → merge), published
 * to a real notary-server on loopback after root v1, and followed by real `notary` clients: the ones that
 * had cached v1 (TOFU, pinned, seeded) update to v2 — their trust dir then holds our v2 bytes — and fresh
 * clients accept it too.
 *
 * v1: 2 of 3 (k1, k2, k3); v2: 2 of 3 (k1, k2, k4) — k3 retired. k3 signs for the old root only, k4 for
 * the new only, k1 for both. The snapshot and timestamp keys are the server's, so root v2 is uploaded alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRepositoryDir } from '../../src/io/files.js';
import {
  buildRotationPayload,
  buildSigningRequest,
  mergeResponses,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
} from '../../src/rotation/index.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { readTree, startNotaryServer, type NotaryClient, type NotaryServer } from '../support/notary.js';
import {
  TRUST_MODES,
  clientInMode,
  expectedList,
  farExpires,
  fetchServerKey,
  notaryRootSigned,
  notaryTargetsSigned,
  ourKey,
  ourRootKey,
  parseNotaryList,
  publishOk,
  signNotary,
  type OurRootKey,
  type TrustMode,
} from '../support/notary-publish.js';

const GUN = 'registry.example.com/tuf-ceremony/rotation';
const TARGETS = { 'app/v1.tar.gz': new TextEncoder().encode('app v1 bytes') };

describe('our root rotation on notary-server, followed by the notary client', () => {
  let server: NotaryServer;
  let work: string;
  let k: OurRootKey[];
  let rootV1: Uint8Array;
  let n = 0;
  const fresh = (name: string) => join(work, `${String(++n).padStart(2, '0')}-${name}`);
  const kept = new Map<TrustMode, NotaryClient>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-rotation-notary-'));
    server = await startNotaryServer();
    k = await Promise.all([1, 2, 3, 4].map(() => ourRootKey(GUN)));
    const targetsKey = ourKey();
    const timestamp = await fetchServerKey(server.url, GUN, 'timestamp');
    const snapshot = await fetchServerKey(server.url, GUN, 'snapshot');
    rootV1 = await signNotary(notaryRootSigned({ version: 1, root: k.slice(0, 3), rootThreshold: 2, targets: [targetsKey], snapshot: [snapshot], timestamp: [timestamp] }), [k[0]!.signer, k[1]!.signer]);
    await publishOk(server.url, GUN, { root: rootV1, targets: await signNotary(notaryTargetsSigned(1, TARGETS), [targetsKey.signer]) });
    for (const mode of TRUST_MODES) {
      const c = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: fresh(mode), rootCertKeyIds: k.slice(0, 3).map((x) => x.keyId), rootBytes: rootV1 });
      expect(parseNotaryList((await c.ok(['list', GUN])).stdout)).toEqual(expectedList(TARGETS));
      kept.set(mode, c);
    }
  });

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('v2 from request + responses is accepted by the server and followed by cached and fresh clients', async () => {
    const names = new Map(k.map((x, i) => [x.keyId, `custodian ${i + 1}`]));
    const payload = buildRotationPayload(rootV1, { expires: farExpires(10), root: { replace: [{ old: k[2]!.keyId, new: { json: k[3]!.json, name: 'custodian 4' }, reason: 'retired' }] } }, { names });
    const request = parseSigningRequest(serializeSigningRequest(buildSigningRequest(payload, { repository: GUN })));
    const responses = [];
    for (const key of [k[3]!, k[2]!, k[0]!]) responses.push(parseSignatureResponse(serializeSignatureResponse(await signRequest(request, key.key))));
    const merged = mergeResponses(request, responses);
    expect(merged.status).toMatch(/^2 of 2 old keys \(of 3\), 2 of 2 new keys \(of 3\): both thresholds met/);
    const rootV2 = merged.root!;

    await publishOk(server.url, GUN, { root: rootV2 });

    for (const [mode, c] of kept) {
      expect([mode, parseNotaryList((await c.ok(['list', GUN])).stdout)]).toEqual([mode, expectedList(TARGETS)]);
      const cached = readTree(c.metadataDir(GUN));
      expect(Buffer.from(cached.get('root.json')!).equals(Buffer.from(rootV2)), `${mode}: cached root.json is our v2`).toBe(true);
    }
    for (const mode of TRUST_MODES) {
      const c = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: fresh(`fresh-${mode}`), rootCertKeyIds: [k[0]!, k[1]!, k[3]!].map((x) => x.keyId), rootBytes: rootV2 });
      expect([mode, parseNotaryList((await c.ok(['list', GUN])).stdout)]).toEqual([mode, expectedList(TARGETS)]);
    }
    // What a client cached verifies with our core from the pinned v1 (the chain v1 → v2 is checked with 1.root.json given).
    const files = await readRepositoryDir(kept.get('tofu')!.metadataDir(GUN));
    files.versionedRoots.set(1, rootV1);
    files.versionedRoots.set(2, rootV2);
    const repo = verifyRepository(files, { trustedRoot: rootV1, now: new Date(), gun: GUN, requireComplete: true });
    expect(repo.root.signed.version).toBe(2);
  });
});
