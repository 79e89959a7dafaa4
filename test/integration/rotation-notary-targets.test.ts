/**
 * A targets key rotation made with our flow, accepted by notary (issue #5 acceptance): rotation plan →
 * `tuf-ceremony rotate --bundle` → two co-signers sign the request bundle on their SoftHSM2 tokens
 * (`sign`, response bundles) → `merge` → root v2 listing a new targets key (generated on Alice's token,
 * its public key exported with `tokens export`), plus targets.json v2 — the same targets re-signed by the
 * new key on the token (`resign-targets`, src/rotation/targets-resign.ts) — published to notary-server on loopback. Notary
 * clients that had root v1 cached (TOFU, pinned, seeded) update and list the targets, and so do fresh ones.
 *
 * What notary needs, measured with notary 0.7 (`notary key rotate GUN targets`, server-managed snapshot):
 * root v+1 signed by the root key(s), targets.json v+1 with the same targets signed by the new targets key
 * only, and a snapshot the server signs itself. With the snapshot key held by the client, notary also
 * publishes snapshot v+1. Here the snapshot and timestamp keys are the server's (the setup for Docker
 * Content Trust with delegates), so the upload is root v2 + targets v2. The test also shows why targets
 * must travel with the root: notary-server accepts root v2 alone (HTTP 200), and every client then fails
 * with "valid signatures did not meet threshold for targets" until targets v2 is published (second test).
 * With the snapshot key held offline, snapshot v2 (over root v2 and targets v2) goes with them (third test).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCommand } from '../../src/cli/merge.js';
import { runCli } from '../../src/cli/program.js';
import { resignTargetsCommand } from '../../src/cli/rotate.js';
import { signCommand } from '../../src/cli/sign.js';
import { getProfile } from '../../src/profiles/index.js';
import { buildRotationPayload, buildSigningRequest, mergeResponses, readSigningRequest, signRequest, signSnapshotAfterTargets, signTargetsResign } from '../../src/rotation/index.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import type { ListedKey } from '../../src/signers/public-key-json.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { readTree, startNotaryServer, type NotaryClient, type NotaryServer } from '../support/notary.js';
import {
  TRUST_MODES,
  clientInMode,
  expectedList,
  farExpires,
  fetchServerKey,
  notaryRootSigned,
  notarySnapshotSigned,
  notaryTargetsSigned,
  ourKey,
  ourRootKey,
  parseNotaryList,
  publishOk,
  signNotary,
  type TrustMode,
} from '../support/notary-publish.js';
import { captureIo, tokenSignDeps } from '../support/cli-io.js';
import { initSoftHsmTokens, notaryRootKeysOnTokens } from '../support/softhsm-root-keys.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const enabled = existsSync(SOFTHSM) && existsSync('/usr/bin/notary') && existsSync('/usr/bin/notary-server');
const GUN = 'registry.example.com/tuf-ceremony/targets-rotation';
const TARGETS = { 'app/v1.tar.gz': new TextEncoder().encode('app v1 bytes'), 'app/v2.tar.gz': new TextEncoder().encode('app v2 bytes') };
const NAMES = ['Alice', 'Bob', 'Carol'] as const;
const PINS: Record<string, string> = { ALICE_PIN: 'alice-tg-1111', BOB_PIN: 'bob-tg-2222', CAROL_PIN: 'carol-tg-3333' };
const YEAR = 365 * 24 * 3600 * 1000;
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

const signDeps = tokenSignDeps(PINS);

describe.skipIf(!enabled)('a targets key rotation by our flow (plan → request bundle → SoftHSM2 co-signers → merge → targets re-signed), accepted by notary', () => {
  let server: NotaryServer;
  let work: string;
  let restoreConf: (() => void) | undefined;
  const serials: Record<string, string> = {};
  const rootKeys: Record<string, ListedKey> = {};
  let rootV1: Uint8Array;
  let targetsV1: Uint8Array;
  const kept = new Map<TrustMode, NotaryClient>();
  let n = 0;
  const fresh = (name: string) => join(work, `${String(++n).padStart(2, '0')}-${name}`);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-rotation-targets-'));
    const custodians = NAMES.map((name) => ({ name, pin: PINS[`${name.toUpperCase()}_PIN`]! }));
    restoreConf = initSoftHsmTokens(work, custodians);
    server = await startNotaryServer();
    const timestamp = await fetchServerKey(server.url, GUN, 'timestamp');
    const snapshot = await fetchServerKey(server.url, GUN, 'snapshot');
    // The current targets key: a publisher's software key (v1 was published before this rotation).
    const oldTargets = ourKey();

    const keys = await notaryRootKeysOnTokens(SOFTHSM, { custodians, gun: GUN, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 10 * YEAR), signers: ['Alice', 'Bob'] }, async ({ listed, signers, sessions }) => {
      // The new targets key, made on Alice's token before the rotation.
      await sessions[0]!.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'targets-2026' });
      const root = NAMES.map((x) => ({ json: listed[x]!.json, keyId: listed[x]!.keyId }));
      return signNotary(notaryRootSigned({ version: 1, root, rootThreshold: 2, targets: [oldTargets], snapshot: [snapshot], timestamp: [timestamp] }), signers);
    });
    Object.assign(serials, keys.serials);
    Object.assign(rootKeys, keys.listed);
    rootV1 = keys.made;
    targetsV1 = await signNotary(notaryTargetsSigned(1, TARGETS), [oldTargets.signer]);
    await publishOk(server.url, GUN, { root: rootV1, targets: targetsV1 });
    for (const mode of TRUST_MODES) {
      const c = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: fresh(mode), rootCertKeyIds: NAMES.map((x) => rootKeys[x]!.keyId), rootBytes: rootV1 });
      expect(parseNotaryList((await c.ok(['list', GUN])).stdout)).toEqual(expectedList(TARGETS));
      kept.set(mode, c);
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    restoreConf?.();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('root v2 + targets v2 signed by the new key on the token: cached and fresh notary clients list the targets', async () => {
    const dir = join(work, 'ceremony');
    mkdirSync(dir);
    writeFileSync(join(dir, 'root.json'), rootV1);

    // Alice exports the new targets key's public key as the plan's input (no PIN needed).
    let c = captureIo();
    const keyFile = join(dir, 'targets-2026.notary.json');
    expect(await runCli(['tokens', 'export', '--module', 'softhsm2', '--token', serials.alice!, '--label', 'targets-2026', '--profile', 'notary', '--out', keyFile], c.io)).toBe(0);
    const keyBytes = readFileSync(keyFile);

    // The reviewed plan: a new targets key, nothing else but the expiry.
    const plan = {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'notary',
      repository: GUN,
      previousRoot: { file: 'root.json', sha256: sha(rootV1), version: 1 },
      custodians: NAMES.map((x) => ({ name: x, keyid: rootKeys[x]!.keyId })),
      expires: farExpires(10),
      targets: { keys: [{ name: "targets 2026 (Alice's token)", keyFile: 'targets-2026.notary.json', sha256: sha(keyBytes) }] },
    };
    const planPath = join(dir, 'rotation-plan.json');
    writeFileSync(planPath, `${JSON.stringify(plan, null, 2)}\n`);
    const requestPath = join(dir, 'request.tufbundle');
    c = captureIo();
    expect(await runCli(['rotate', planPath, '--out', requestPath, '--bundle'], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/targets: key .* is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named "targets 2026 \(Alice's token\)"/);
    const request = readSigningRequest(new Uint8Array(readFileSync(requestPath))).request;
    const newTargetsId = request.root.roles.get('targets')!.keyids[0]!;
    expect(newTargetsId).toBe(getProfile('notary').keyId(JSON.parse(keyBytes.toString('utf8'))));

    // Alice and Bob co-sign on their tokens (each response a bundle, since the request came as one).
    const responses: string[] = [];
    for (const name of ['Bob', 'Alice'] as const) {
      c = captureIo();
      const out = join(dir, `${name.toLowerCase()}.response.tufbundle`);
      const status = await signCommand(requestPath, { out, module: 'softhsm2', token: serials[name.toLowerCase()]!, label: `root-${name.toLowerCase()}`, pinEnv: `${name.toUpperCase()}_PIN` }, c.io, signDeps);
      expect([name, status, c.err]).toEqual([name, 0, []]);
      responses.push(out);
    }
    const rootPath = join(dir, '2.root.json');
    c = captureIo();
    expect(await mergeCommand(requestPath, responses, { out: rootPath }, c.io)).toBe(0);
    expect(c.out[0]).toMatch(/^2 of 2 old keys \(of 3\), 2 of 2 new keys \(of 3\): both thresholds met/);
    const rootV2 = new Uint8Array(readFileSync(rootPath));

    // Without targets v2, a client at root v2 cannot verify the published targets.json (signed by the old key).
    expect(() =>
      verifyRepository({ versionedRoots: new Map([[1, rootV1], [2, rootV2]]), root: rootV2, targets: targetsV1, delegated: new Map() }, { trustedRoot: rootV1, now: new Date(), gun: GUN }),
    ).toThrow(expect.objectContaining({ code: 'THRESHOLD_NOT_MET' }));

    // targets.json v2: the same targets, re-signed by the new key on Alice's token (`resign-targets`).
    writeFileSync(join(dir, 'targets.json'), targetsV1);
    const targetsPath = join(dir, 'targets.v2.json');
    c = captureIo();
    const resignOpts = { previousRoot: join(dir, 'root.json'), root: rootPath, targets: join(dir, 'targets.json'), out: targetsPath, module: 'softhsm2', token: serials.alice!, label: 'targets-2026', pinEnv: 'ALICE_PIN', json: true };
    expect(await resignTargetsCommand(resignOpts, c.io, signDeps)).toBe(0);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ ok: true, version: 2, targets: 2, signedBy: [newTargetsId] });
    // A root key on a token is not the targets key: refused before the PIN, nothing written.
    c = captureIo();
    expect(await resignTargetsCommand({ ...resignOpts, out: join(dir, 'never.json'), label: 'root-alice', json: false }, c.io, signDeps)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_SIGNER_UNKNOWN\]: key "root-alice" .* is not a targets key of root version 2 \(no PIN was asked\)/);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
    const targetsV2 = new Uint8Array(readFileSync(targetsPath));

    await publishOk(server.url, GUN, { root: rootV2, targets: targetsV2 });

    for (const [mode, client] of kept) {
      expect([mode, parseNotaryList((await client.ok(['list', GUN])).stdout)]).toEqual([mode, expectedList(TARGETS)]);
      const cached = readTree(client.metadataDir(GUN));
      expect(Buffer.from(cached.get('root.json')!).equals(Buffer.from(rootV2)), `${mode}: cached root.json is our v2`).toBe(true);
      expect(Buffer.from(cached.get('targets.json')!).equals(Buffer.from(targetsV2)), `${mode}: cached targets.json is our re-signed v2`).toBe(true);
    }
    for (const mode of TRUST_MODES) {
      const client = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: fresh(`fresh-${mode}`), rootCertKeyIds: NAMES.map((x) => rootKeys[x]!.keyId), rootBytes: rootV2 });
      expect([mode, parseNotaryList((await client.ok(['list', GUN])).stdout)]).toEqual([mode, expectedList(TARGETS)]);
    }
    // What a cached client holds verifies with our core from the pinned v1, chain v1 → v2 included.
    const files = new Map(readTree(kept.get('tofu')!.metadataDir(GUN)));
    const repo = verifyRepository(
      { versionedRoots: new Map([[1, rootV1], [2, rootV2]]), root: files.get('root.json')!, targets: files.get('targets.json')!, snapshot: files.get('snapshot.json')!, timestamp: files.get('timestamp.json')!, delegated: new Map() },
      { trustedRoot: rootV1, now: new Date(), gun: GUN, requireComplete: true },
    );
    expect(repo.root.signed.roles.get('targets')!.keyids).toEqual([newTargetsId]);
  }, 180_000);

  it('why targets.json travels with the root: notary-server takes root v2 alone, then clients fail until targets v2 is published', async () => {
    const gun = `${GUN}-root-alone`;
    const keys = await Promise.all([1, 2, 3].map(() => ourRootKey(gun)));
    const [oldTargets, newTargets] = [ourKey(), ourKey()];
    const timestamp = await fetchServerKey(server.url, gun, 'timestamp');
    const snapshot = await fetchServerKey(server.url, gun, 'snapshot');
    const v1 = await signNotary(notaryRootSigned({ version: 1, root: keys, rootThreshold: 2, targets: [oldTargets], snapshot: [snapshot], timestamp: [timestamp] }), [keys[0]!.signer, keys[1]!.signer]);
    const t1 = await signNotary(notaryTargetsSigned(1, TARGETS), [oldTargets.signer]);
    await publishOk(server.url, gun, { root: v1, targets: t1 });
    const client = clientInMode('tofu', { serverUrl: server.url, gun, dir: fresh('root-alone') });
    expect(parseNotaryList((await client.ok(['list', gun])).stdout)).toEqual(expectedList(TARGETS));

    const request = buildSigningRequest(buildRotationPayload(v1, { expires: farExpires(10), targets: { keys: [{ json: newTargets.json }] } }), { repository: gun });
    const v2 = mergeResponses(request, [await signRequest(request, keys[0]!.key), await signRequest(request, keys[1]!.key)]).root!;
    // Measured: HTTP 200 — the server does not check the published targets.json against the new targets key.
    await publishOk(server.url, gun, { root: v2 });
    const broken = await client.run(['list', gun]);
    expect(broken.code).not.toBe(0);
    expect(broken.stdout + broken.stderr).toContain('valid signatures did not meet threshold for targets');

    const t2 = (await signTargetsResign({ previousRoot: v1, newRoot: v2, targets: t1, now: new Date() }, [newTargets.signer])).bytes;
    await publishOk(server.url, gun, { targets: t2 });
    expect(parseNotaryList((await client.ok(['list', gun])).stdout)).toEqual(expectedList(TARGETS));
  }, 120_000);

  it('with the snapshot key held offline: root v2 + targets v2 + snapshot v2 (signed by our snapshot key), as `notary key rotate` publishes', async () => {
    const gun = `${GUN}-held-snapshot`;
    const keys = await Promise.all([1, 2, 3].map(() => ourRootKey(gun)));
    const [oldTargets, newTargets, snapshotKey] = [ourKey(), ourKey(), ourKey()];
    const timestamp = await fetchServerKey(server.url, gun, 'timestamp');
    const v1 = await signNotary(notaryRootSigned({ version: 1, root: keys, rootThreshold: 2, targets: [oldTargets], snapshot: [snapshotKey], timestamp: [timestamp] }), [keys[0]!.signer, keys[1]!.signer]);
    const t1 = await signNotary(notaryTargetsSigned(1, TARGETS), [oldTargets.signer]);
    const s1 = await signNotary(notarySnapshotSigned(1, { root: v1, targets: t1 }), [snapshotKey.signer]);
    await publishOk(server.url, gun, { root: v1, targets: t1, snapshot: s1 });
    const client = clientInMode('tofu', { serverUrl: server.url, gun, dir: fresh('held-snapshot') });
    expect(parseNotaryList((await client.ok(['list', gun])).stdout)).toEqual(expectedList(TARGETS));

    const request = buildSigningRequest(buildRotationPayload(v1, { expires: farExpires(10), targets: { keys: [{ json: newTargets.json }] } }), { repository: gun });
    const v2 = mergeResponses(request, [await signRequest(request, keys[2]!.key), await signRequest(request, keys[0]!.key)]).root!;
    const t2 = (await signTargetsResign({ previousRoot: v1, newRoot: v2, targets: t1, now: new Date() }, [newTargets.signer])).bytes;
    // Snapshot v2 over root v2 and targets v2 (targets-snapshot.ts), signed by the offline snapshot key.
    const s2 = await signSnapshotAfterTargets({ root: v2, targets: t2, previousSnapshot: s1, expires: farExpires(3) }, [snapshotKey.signer]);
    expect(s2.version).toBe(2);
    await publishOk(server.url, gun, { root: v2, targets: t2, snapshot: s2.bytes });
    expect(parseNotaryList((await client.ok(['list', gun])).stdout)).toEqual(expectedList(TARGETS));
    const cached = readTree(client.metadataDir(gun));
    for (const [file, bytes] of [['root.json', v2], ['targets.json', t2], ['snapshot.json', s2.bytes]] as const) {
      expect(Buffer.from(cached.get(file)!).equals(Buffer.from(bytes)), `cached ${file} is ours`).toBe(true);
    }
  }, 120_000);
});
