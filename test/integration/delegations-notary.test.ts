/**
 * Issue #5 acceptance, "a delegation added by our flow is accepted by notary": a Notary repository whose
 * targets key is on a SoftHSM2 token (snapshot and timestamp held by a real notary-server on 127.0.0.1,
 * the setup delegated signers need — TEAM-NOTES "notary publish") changes its delegations only through
 * our co-signing flow: buildTargetsPayload → signing request → `tuf-ceremony inspect` / `sign` (token) /
 * `merge` → POST targets.json. Then the real notary client:
 *
 *   targets v2  adds targets/releases (delegate "CI", its certificate as `notary delegation add` lists it):
 *               the delegate publishes with `notary add … -r targets/releases` and a fresh client lists it;
 *   targets v3  re-keys targets/releases to a new delegate and revokes the top-level target: the old
 *               delegate's target and the revoked one disappear from a fresh client's list, the old
 *               delegate's publish is refused by the server; the new delegate takes the role over with
 *               `notary witness` (the server still holds the old file's version) and publishes;
 *   targets v4  removes the delegation: its targets disappear, the delegate can no longer publish.
 *
 * The root key is a software key (the root is not what changes here); every targets.json is signed by the
 * token key through the CLI, exactly as a co-signer would.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCommand } from '../../src/cli/merge.js';
import { runCli } from '../../src/cli/program.js';
import { signCommand } from '../../src/cli/sign.js';
import { groupHex, shortDigest } from '../../src/crypto/digest-words.js';
import { readRepositoryDir } from '../../src/io/files.js';
import type { JsonObject } from '../../src/json/types.js';
import { getProfile } from '../../src/profiles/index.js';
import { buildTargetsPayload, buildTargetsSigningRequest, serializeSigningRequest, type TargetsChange } from '../../src/rotation/index.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { listPublicKey } from '../../src/signers/public-key-json.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { makeDelegationCert, readTree, startNotaryServer, type NotaryClient, type NotaryServer } from '../support/notary.js';
import {
  clientInMode,
  delegationKeyFromCert,
  expectedList,
  fetchServerKey,
  farExpires,
  notaryRootSigned,
  notaryTargetsSigned,
  ourRootKey,
  parseNotaryList,
  publishOk,
  signNotary,
  type OurRootKey,
} from '../support/notary-publish.js';
import { captureIo, tokenSignDeps } from '../support/cli-io.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const enabled = existsSync(SOFTHSM);
const GUN = 'registry.example.com/tuf-ceremony/delegations';
const RELEASES = 'targets/releases';
const PIN_ENV = { TARGETS_PIN: 'targets-pin-4321' };
const KEY_LABEL = 'targets-key';

const signDeps = tokenSignDeps(PIN_ENV);

describe.skipIf(!enabled)('delegations changed by our co-signing flow, accepted by notary-server and the notary client', () => {
  let work: string;
  let savedConf: string | undefined;
  let server: NotaryServer;
  let serial: string;
  let targetsKeyId: string;
  let rootKey: OurRootKey;
  let root: Uint8Array;
  /** The current targets.json (as published). */
  let targets: Uint8Array;
  let n = 0;
  const fresh = (name: string) => join(work, `${String(++n).padStart(2, '0')}-${name}`);
  const files: Record<string, Buffer> = {};
  const delegates: Record<string, { keyPem: string; certPem: string; client: NotaryClient; keyId: string; bareKeyId: string; json: JsonObject }> = {};

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-delegations-notary-'));
    const conf = join(work, 'softhsm2.conf');
    mkdirSync(join(work, 'tokens'));
    writeFileSync(conf, `directories.tokendir = ${join(work, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
    savedConf = process.env.SOFTHSM2_CONF;
    process.env.SOFTHSM2_CONF = conf;
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'targets', '--pin', PIN_ENV.TARGETS_PIN, '--so-pin', '12345678'], { env: process.env });
    server = await startNotaryServer();

    // The targets key, generated on the token (non-extractable: only our flow can sign with it).
    const mod = await TokenModule.load(SOFTHSM);
    try {
      serial = (await mod.listTokens()).find((t) => t.label === 'targets')!.serial;
      const session = await mod.openToken({ serial });
      try {
        await session.login(PIN_ENV.TARGETS_PIN);
        const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: KEY_LABEL });
        const listed = listPublicKey('notary', key.spki);
        targetsKeyId = listed.keyId;
        rootKey = await ourRootKey(GUN);
        const [timestamp, snapshot] = [await fetchServerKey(server.url, GUN, 'timestamp'), await fetchServerKey(server.url, GUN, 'snapshot')];
        root = await signNotary(notaryRootSigned({ version: 1, root: [rootKey], rootThreshold: 1, targets: [{ json: listed.json, keyId: listed.keyId }], snapshot: [snapshot], timestamp: [timestamp] }), [rootKey.signer]);
        files['app/v1.0'] = Buffer.from('app 1.0');
        targets = await signNotary(notaryTargetsSigned(1, { 'app/v1.0': files['app/v1.0'] }), [metadataSigner(key, listed)]);
      } finally {
        await session.close();
      }
    } finally {
      await mod.finalize();
    }
    await publishOk(server.url, GUN, { root, targets });
  });

  afterAll(async () => {
    await server?.stop();
    if (savedConf === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = savedConf;
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A delegate: key pair + certificate (openssl, as notary users make them) and its own notary client holding only that key. */
  async function delegate(name: string) {
    const { keyPem, certPem } = makeDelegationCert(fresh(`cert-${name}`), name);
    const entry = delegationKeyFromCert(certPem);
    const client = clientInMode('tofu', { serverUrl: server.url, gun: GUN, dir: fresh(`delegate-${name}`) });
    await client.ok(['key', 'import', keyPem, '-r', RELEASES]);
    delegates[name] = { keyPem, certPem, client, keyId: entry.keyId, bareKeyId: entry.bareKeyId, json: entry.json };
    return delegates[name]!;
  }

  /** A delegate's key as the review identifies it: `key <12 hex>… (fingerprint <8 groups of 4>, certificate CN="<cn>")`. */
  function reviewKey(d: { keyId: string; json: JsonObject }, cn: string): string {
    const fingerprint = getProfile('notary').parseKey(d.json, '$').fingerprint;
    return `key ${d.keyId.slice(0, 12)}… (fingerprint ${groupHex(shortDigest(fingerprint).hex)}, certificate CN="${cn}")`;
  }

  /** The whole co-signing flow through the CLI: request file → inspect → sign on the token → merge → publish. */
  async function changeTargets(change: TargetsChange, names: Map<string, string>, expectInReview: string[], delegatedFiles?: Map<string, Uint8Array>): Promise<Uint8Array> {
    const payload = buildTargetsPayload(root, targets, change, { names: new Map([[targetsKeyId, 'Alice (targets token)'], ...names]) });
    const request = buildTargetsSigningRequest(payload, { repository: GUN, ...(delegatedFiles ? { delegatedFiles } : {}) });
    const requestPath = fresh('targets.request.json');
    writeFileSync(requestPath, serializeSigningRequest(request));

    let c = captureIo();
    expect(await runCli(['inspect', requestPath], c.io), c.err.join('\n')).toBe(0);
    const inspected = c.out.join('\n');
    for (const s of expectInReview) expect(inspected).toContain(s);

    c = captureIo();
    const responsePath = fresh('targets.response.json');
    const signed = await signCommand(requestPath, { out: responsePath, module: 'softhsm2', token: serial, label: KEY_LABEL, pinEnv: 'TARGETS_PIN' }, c.io, signDeps);
    expect([signed, c.err]).toEqual([0, []]);
    expect(c.out.join('\n')).toContain(`targets version ${payload.previous.signed.version} → ${payload.targets.version}`);
    expect(JSON.parse(readFileSync(responsePath, 'utf8')).signer).toEqual({ name: 'Alice (targets token)', token: { serial, label: 'targets' } }); // the token by serial and label (serials need not be unique)

    c = captureIo();
    const out = fresh('targets.json');
    expect(await mergeCommand(requestPath, [responsePath], { out }, c.io), c.err.join('\n')).toBe(0);
    expect(c.out[0]).toBe(`1 of 1 targets keys: threshold met, targets version ${payload.targets.version} is complete`);
    const merged = new Uint8Array(readFileSync(out));
    // Server-held snapshot: targets.json alone; the server signs snapshot N+1 over these exact bytes.
    await publishOk(server.url, GUN, { targets: merged });
    expect(Buffer.from(await server.tufFile(GUN, 'targets.json')).equals(Buffer.from(merged))).toBe(true);
    targets = merged;
    return merged;
  }

  async function listFresh(mode: 'tofu' | 'pinned' | 'seeded' = 'tofu') {
    const client = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: fresh(`client-${mode}`), rootCertKeyIds: [rootKey.keyId], rootBytes: root });
    return { client, list: parseNotaryList((await client.ok(['list', GUN])).stdout) };
  }

  const snapshotMeta = async () => Object.keys((JSON.parse(Buffer.from(await server.tufFile(GUN, 'snapshot.json')).toString('utf8')) as { signed: { meta: JsonObject } }).signed.meta).sort();

  it('targets v2 adds targets/releases through request → sign on the token → merge; the delegate publishes with the notary CLI; fresh clients list it', async () => {
    const ci = await delegate('ci');
    await changeTargets(
      { expires: farExpires(3), delegations: { add: [{ name: RELEASES, keys: [{ json: ci.json, name: 'CI' }], threshold: 1, paths: [''] }] } },
      new Map(),
      ['targets version 1 → 2', `delegation ${RELEASES} ADDED, threshold 1 of 1: ${reviewKey(ci, 'ci')} named "CI"; trusted for every path`, `(key ${targetsKeyId.slice(0, 8)}… "Alice (targets token)")`],
    );
    for (const mode of ['tofu', 'pinned', 'seeded'] as const) {
      const { client } = await listFresh(mode);
      const roles = (await client.ok(['delegation', 'list', GUN])).stdout;
      expect(roles, mode).toMatch(new RegExp(`${RELEASES}\\s+"" <all paths>\\s+${ci.bareKeyId}\\s+1`));
    }

    files['releases/v1.tar.gz'] = Buffer.from('release 1 by CI');
    const payload = fresh('release-v1.bin');
    writeFileSync(payload, files['releases/v1.tar.gz']);
    await ci.client.ok(['add', '-p', GUN, 'releases/v1.tar.gz', payload, '-r', RELEASES]);
    expect(await snapshotMeta()).toEqual(['root', 'targets', RELEASES].sort());

    for (const mode of ['tofu', 'pinned', 'seeded'] as const) {
      const { client, list } = await listFresh(mode);
      expect(list, mode).toEqual([...expectedList({ 'app/v1.0': files['app/v1.0']! }), ...expectedList({ 'releases/v1.tar.gz': files['releases/v1.tar.gz']! }, RELEASES)].sort((a, b) => a.name.localeCompare(b.name)));
      // The client cached our exact targets.json bytes, and our core verifies its cache down to the delegate's role.
      expect(Buffer.from(readTree(client.metadataDir(GUN)).get('targets.json')!).equals(Buffer.from(targets)), mode).toBe(true);
      const repo = verifyRepository(await readRepositoryDir(client.metadataDir(GUN)), { trustedRoot: root, now: new Date(), gun: GUN, requireComplete: true });
      expect([...repo.delegated.get(RELEASES)!.md.signed.targets.keys()], mode).toEqual(['releases/v1.tar.gz']);
    }
  });

  it('targets v3 re-keys targets/releases to a new delegate and revokes app/v1.0: the old delegate is refused, its target and the revoked one are gone', async () => {
    const ci = delegates.ci!;
    const ci2 = await delegate('ci2');
    await changeTargets(
      { expires: farExpires(3), delegations: { rekey: [{ name: RELEASES, keys: [{ json: ci2.json, name: 'CI (new key)' }] }] }, revokeTargets: ['app/v1.0'] },
      new Map([[ci.keyId, 'CI (old key)']]),
      [
        `${RELEASES} GAINS ${reviewKey(ci2, 'ci2')} named "CI (new key)"\n`,
        // Issue #14: the review tells the truth — the old key's tags are not revoked; `notary witness` re-endorses them (checked below).
        `${RELEASES} LOSES ${reviewKey(ci, 'ci')} named "CI (old key)": signatures by that key stop counting for ${RELEASES}. The targets ${RELEASES}'s file lists are NOT revoked by this`,
        '(`notary witness` does it, and the next publish needs it)',
        `${RELEASES}'s current file (version 1, signed by this key) lists 1 target, NOT revoked by this change: "releases/v1.tar.gz"`,
        'target "app/v1.0" REVOKED',
      ],
      // The role's file as notary-server serves it, carried in the request for the review.
      new Map([[RELEASES, await server.tufFile(GUN, `${RELEASES}.json`)]]),
    );
    // The old delegate's file (signed by the revoked key) no longer counts: a fresh client lists nothing.
    expect((await listFresh('pinned')).list).toEqual([]);

    // The old delegate cannot publish any more: the server checks its role file against the new delegation.
    const payload = fresh('release-v2.bin');
    writeFileSync(payload, 'release 2 by the old CI key');
    const refused = await ci.client.run(['add', '-p', GUN, 'releases/v2.tar.gz', payload, '-r', RELEASES]);
    expect(refused.code, refused.stdout + refused.stderr).not.toBe(0);
    expect((await listFresh('tofu')).list).toEqual([]);

    // The new delegate can, once it has taken the role over: the server still holds the old delegate's
    // targets/releases.json (version 1), so a fresh version 1 from the new key is refused ("trust server
    // rejected operation", measured); `notary witness` re-signs the role's current content with the new
    // key at version 2 — the new delegate then vouches for it, so it removes what it does not vouch for.
    files['releases/v3.tar.gz'] = Buffer.from('release 3 by the new CI key');
    const p3 = fresh('release-v3.bin');
    writeFileSync(p3, files['releases/v3.tar.gz']);
    expect((await ci2.client.run(['add', '-p', GUN, 'releases/v3.tar.gz', p3, '-r', RELEASES])).stdout).toContain('trust server rejected operation');
    await ci2.client.ok(['reset', GUN, '--all']);
    await ci2.client.ok(['witness', '-p', GUN, RELEASES]);
    // What the review said: witnessing re-endorses the tag the old key signed.
    expect((await listFresh('tofu')).list).toEqual(expectedList({ 'releases/v1.tar.gz': files['releases/v1.tar.gz']! }, RELEASES));
    await ci2.client.ok(['remove', '-p', GUN, 'releases/v1.tar.gz', '-r', RELEASES]);
    await ci2.client.ok(['add', '-p', GUN, 'releases/v3.tar.gz', p3, '-r', RELEASES]);
    for (const mode of ['tofu', 'pinned', 'seeded'] as const) {
      expect((await listFresh(mode)).list, mode).toEqual(expectedList({ 'releases/v3.tar.gz': files['releases/v3.tar.gz']! }, RELEASES));
    }
  });

  it('targets v4 removes targets/releases: its targets disappear and its delegate can no longer publish', async () => {
    const ci2 = delegates.ci2!;
    await changeTargets({ expires: farExpires(3), delegations: { remove: [RELEASES] } }, new Map(), [`delegation ${RELEASES} REMOVED`]);
    const { client, list } = await listFresh('seeded');
    expect(list).toEqual([]);
    expect((await client.ok(['delegation', 'list', GUN])).stdout).not.toContain(RELEASES);
    const payload = fresh('release-v4.bin');
    writeFileSync(payload, 'release 4');
    const refused = await ci2.client.run(['add', '-p', GUN, 'releases/v4.tar.gz', payload, '-r', RELEASES]);
    expect(refused.code, refused.stdout + refused.stderr).not.toBe(0);
    expect((await listFresh('tofu')).list).toEqual([]);
    // notary-server signs this snapshot itself and keeps the removed role's entry (measured): harmless for
    // its clients, which only fetch what targets.json delegates. A snapshot we sign (key held offline)
    // drops it (buildSnapshotAfterTargets, unit-tested).
    expect(await snapshotMeta()).toEqual(['root', 'targets', RELEASES].sort());
    // Our core verifies what the seeded client cached: targets v4, nothing delegated, nothing left over.
    const repo = verifyRepository(await readRepositoryDir(client.metadataDir(GUN)), { trustedRoot: root, now: new Date(), gun: GUN, requireComplete: true });
    expect(repo.targets!.md.signed.version).toBe(4);
    expect(repo.delegated.size).toBe(0);
  });
});
