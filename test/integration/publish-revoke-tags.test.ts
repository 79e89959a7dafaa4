/**
 * Issue #14, "revoke these tags too", against real notary-server on loopback over TLS with token auth
 * (test/support/notary-tls.ts): a Docker-style repository (server-held snapshot and timestamp) whose
 * targets/releases role is delegated to CI and CI 2 (1 of 2). CI's key leaks and a tag is pushed with it.
 *
 * One request (a rotation plan with `delegations.revokeKeys` and `revokeTags`) re-keys the role AND drops
 * the tag: the targets key holder signs targets.json v2, CI 2 signs targets/releases v2, `merge
 * --out-delegated` writes both. Then `tuf-ceremony publish`:
 * - targets.json v2 alone (the half set) is refused with PUBLISH_HALF_SET, nothing published;
 * - both files go in one upload; fresh notary clients (TOFU and pinned) list only the surviving tags, and
 *   our verifier accepts what the server serves from the pinned root.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCommand } from '../../src/cli/merge.js';
import { reportError } from '../../src/cli/output.js';
import { publishCommand, serverKeysCommand, type ServerDeps } from '../../src/cli/publish.js';
import { httpsTransport } from '../../src/io/https-transport.js';
import { NotaryServerApi } from '../../src/publish/notary-server.js';
import { AuthorizedClient } from '../../src/publish/registry-auth.js';
import { describeRequest, planRotation, serializeSignatureResponse, serializeSigningRequest, signRequest } from '../../src/rotation/index.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { captureIo } from '../support/cli-io.js';
import { writeTree } from '../support/notary.js';
import { startTlsNotaryServer, TOKEN_PASSWORD, TOKEN_USER, type TlsNotaryServer } from '../support/notary-tls.js';
import {
  clientInMode,
  expectedList,
  farExpires,
  notaryRootSigned,
  notaryTargetsSigned,
  ourKey,
  ourRootKey,
  parseNotaryList,
  signNotary,
  type KeyEntry,
  type OurKey,
  type OurRootKey,
} from '../support/notary-publish.js';
import { testServerDeps } from '../support/server-deps.js';

const GUN = 'registry.example.com/tuf-ceremony/revoke-tags';
const RELEASES = 'targets/releases';
const enc = new TextEncoder();
const TOP = { 'app/v1.0': enc.encode('app 1.0') };
const GOOD = { 'releases/v1.tar.gz': enc.encode('release 1 by CI') };
const LEAKED = { 'releases/v2.tar.gz': enc.encode('release 2, pushed with the leaked CI key') };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('revoke these tags too: one request, both files merged, published together to notary-server over TLS', () => {
  let server: TlsNotaryServer;
  let work: string;
  let n = 0;
  const fresh = (name: string) => join(work, `${String(++n).padStart(2, '0')}-${name}`);
  let rootKey: OurRootKey;
  let targetsKey: OurKey;
  let ci: OurRootKey;
  let ci2: OurRootKey;
  let rootV1: Uint8Array;
  let targetsV1: Uint8Array;
  let releasesV1: Uint8Array;

  const deps = (): ServerDeps => testServerDeps({ registry: true });

  async function publish(dir: string, extra: { withoutDelegated?: string[] } = {}) {
    const c = captureIo();
    let code: number;
    try {
      code = await publishCommand(dir, { server: server.url, gun: GUN, caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], json: true, ...extra }, c.io, deps());
    } catch (err) {
      code = reportError(c.io, err, true);
    }
    return { code, json: JSON.parse(c.out.join('')) as { ok: boolean; upload?: string[]; error?: { code: string; message: string } }, err: c.err.join('\n') };
  }

  /** Versions the server serves now, read with credentials. */
  async function served(): Promise<Record<string, number>> {
    const api = new NotaryServerApi(
      new AuthorizedClient({ access: { server: server.url, repository: GUN, actions: ['pull'], tokenRealms: [new URL(server.issuer.realm).origin] }, transport: httpsTransport({ ca: readFileSync(server.certs.caFile, 'utf8') }), credentials: () => Promise.resolve({ username: TOKEN_USER, password: enc.encode(TOKEN_PASSWORD) }) }),
      server.url,
      GUN,
    );
    const out: Record<string, number> = {};
    for (const role of ['root', 'targets', RELEASES]) {
      const bytes = await api.getMetadata(`${role}.json`);
      if (bytes) out[role] = parseMetadata(bytes, role === 'root' ? 'root' : 'targets', { maxBytes: 1 << 20, source: role }).signed.version;
    }
    return out;
  }

  async function list(mode: 'tofu' | 'pinned') {
    const client = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: fresh(`list-${mode}`), rootCertKeyIds: [rootKey.keyId], rootBytes: rootV1 });
    return parseNotaryList((await client.ok(['--tlscacert', server.certs.caFile, 'list', GUN])).stdout);
  }
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-publish-revoke-tags-'));
    server = await startTlsNotaryServer();
    const serverKey = async (role: 'timestamp' | 'snapshot'): Promise<KeyEntry> => {
      const file = fresh(`${role}.key`);
      const c = captureIo();
      expect(await serverKeysCommand('get', { server: server.url, gun: GUN, role, caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], out: file, json: true }, c.io, deps())).toBe(0);
      const body = JSON.parse(readFileSync(file, 'utf8')) as { keytype: string; keyval: { public: string } };
      return { json: { keytype: body.keytype, keyval: { private: null, public: body.keyval.public } }, keyId: (JSON.parse(c.out.join('')) as { keyId: string }).keyId };
    };
    rootKey = await ourRootKey(GUN);
    targetsKey = ourKey();
    // Delegation keys as notary lists them (ecdsa-x509: a self-signed leaf certificate per delegate).
    ci = await ourRootKey('ci');
    ci2 = await ourRootKey('ci-2');
    const [timestamp, snapshot] = [await serverKey('timestamp'), await serverKey('snapshot')];
    rootV1 = await signNotary(notaryRootSigned({ version: 1, root: [rootKey], rootThreshold: 1, targets: [targetsKey], snapshot: [snapshot], timestamp: [timestamp] }), [rootKey.signer]);
    targetsV1 = await signNotary(notaryTargetsSigned(1, TOP, [{ name: RELEASES, keys: [ci, ci2], threshold: 1, paths: ['releases/'] }]), [targetsKey.signer]);
    // CI pushed v1, then (its key leaked) v2: the role's file v1 lists both, signed by CI's key.
    releasesV1 = await signNotary({ ...notaryTargetsSigned(1, { ...GOOD, ...LEAKED }), delegations: { keys: {}, roles: [] } }, [ci.signer]);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('publish uploads the delegated role with targets.json; clients list its tags', async () => {
    const v1 = fresh('v1');
    writeTree(v1, new Map([['root.json', rootV1], ['targets.json', targetsV1], [`${RELEASES}.json`, releasesV1]]));
    const r = await publish(v1);
    expect(r.code, r.err + JSON.stringify(r.json)).toBe(0);
    expect(r.json.upload).toEqual(['root', 'targets', RELEASES]);
    const all = [...expectedList(TOP), ...expectedList({ ...GOOD, ...LEAKED }, RELEASES)].sort(byName);
    for (const mode of ['tofu', 'pinned'] as const) expect([mode, (await list(mode)).sort(byName)]).toEqual([mode, all]);
  }, 180_000);

  it('one request re-keys the role and revokes the leaked tag; a half set is refused; both files published together leave only the surviving tags', async () => {
    const planBytes = enc.encode(
      JSON.stringify({
        format: 'tuf-ceremony-rotation-plan',
        version: 1,
        profile: 'notary',
        repository: GUN,
        previousRoot: { file: 'root.json', sha256: sha(rootV1) },
        custodians: [{ name: 'Tina', keyid: targetsKey.keyId }],
        expires: farExpires(3),
        delegations: {
          targets: { file: 'targets.json', sha256: sha(targetsV1) },
          revokeKeys: [{ keyid: ci.keyId, role: RELEASES }],
          current: [{ role: RELEASES, file: 'releases.json', sha256: sha(releasesV1) }],
          revokeTags: { role: RELEASES, targets: ['releases/v2.tar.gz'] },
        },
      }),
    );
    const planned = planRotation(planBytes, new Map([['root.json', rootV1], ['targets.json', targetsV1], ['releases.json', releasesV1]]), new Date());
    const request = planned.request;
    const review = describeRequest(request).text;
    expect(review).toContain(`target "releases/v2.tar.gz" REVOKED (removed from ${RELEASES}.json): it was ${LEAKED['releases/v2.tar.gz'].length} bytes, sha256 ${sha(LEAKED['releases/v2.tar.gz']).slice(0, 16)}…`);
    expect(review).toContain(`${RELEASES} keeps 1 target: "releases/v1.tar.gz"`);

    const requestPath = fresh('request.json');
    writeFileSync(requestPath, serializeSigningRequest(request));
    const respond = async (key: OurKey['key'], name: string) => {
      const path = fresh(name);
      writeFileSync(path, serializeSignatureResponse(await signRequest(request, key)));
      return path;
    };
    const tina = await respond(targetsKey.key, 'tina.response.json');
    const byCi2 = await respond(ci2.key, 'ci2.response.json');
    const targetsOut = fresh('targets.v2.json');
    const releasesOut = fresh('releases.v2.json');
    const c = captureIo();
    expect(await mergeCommand(requestPath, [tina, byCi2], { out: targetsOut, outDelegated: releasesOut }, c.io), c.err.join('\n')).toBe(0);
    const targetsV2 = new Uint8Array(readFileSync(targetsOut));
    const releasesV2 = new Uint8Array(readFileSync(releasesOut));

    // The half set: targets.json v2 without the role's new file — refused, nothing published.
    const half = fresh('half');
    writeTree(half, new Map([['root.json', rootV1], ['targets.json', targetsV2]]));
    const refused = await publish(half);
    expect([refused.code, refused.json.error?.code]).toEqual([1, 'PUBLISH_HALF_SET']);
    expect(refused.json.error?.message).toContain(`takes a key away from ${RELEASES}`);
    expect(await served()).toEqual({ root: 1, targets: 1, [RELEASES]: 1 });

    // Both files in one upload.
    const whole = fresh('v2');
    writeTree(whole, new Map([['root.json', rootV1], ['targets.json', targetsV2], [`${RELEASES}.json`, releasesV2]]));
    const ok = await publish(whole);
    expect(ok.code, ok.err + JSON.stringify(ok.json)).toBe(0);
    expect(ok.json.upload).toEqual(['targets', RELEASES]);
    expect(await served()).toEqual({ root: 1, targets: 2, [RELEASES]: 2 });
    const surviving = [...expectedList(TOP), ...expectedList(GOOD, RELEASES)].sort(byName);
    for (const mode of ['tofu', 'pinned'] as const) expect([mode, (await list(mode)).sort(byName)]).toEqual([mode, surviving]);

    // Publishing the same folder again uploads nothing; the old half set is now behind the server.
    expect((await publish(whole)).json).toMatchObject({ ok: true, upload: [] });
    const stale = fresh('stale');
    writeTree(stale, new Map([['root.json', rootV1], ['targets.json', targetsV1], [`${RELEASES}.json`, releasesV1]]));
    expect((await publish(stale)).json.error?.code).toBe('PUBLISH_SERVER_NEWER');
  }, 300_000);
});
