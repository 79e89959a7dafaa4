/**
 * Issue #14 acceptance: `tuf-ceremony publish` and `server-keys` against notary-server on loopback over TLS
 * with the registry token flow (test/support/notary-tls.ts, token-issuer.ts), as production runs it.
 *
 * 1. A rehearsed ceremony (SoftHSM2 tokens when installed): `server-keys get` writes the server's timestamp
 *    key, `rehearse --timestamp-key` embeds it, `publish --dry-run` uploads nothing, `publish` sends root,
 *    targets and the offline snapshot in one update and verifies what the server then serves; the rehearsal's
 *    root rotation (root v2 + snapshot v2) is published the same way; fresh notary clients (TOFU, pinned,
 *    seeded) read the repository over TLS with anonymous tokens.
 * 2. A Docker-style repository (server-held snapshot and timestamp, software keys from test/support): first
 *    publish, a targets-key rotation refused without targets.json (half set) and accepted with it, renewals
 *    without key changes (targets.json alone, the root alone, then the root with its certificate re-issued for
 *    the same key, each through plan → sign → merge), publishing
 *    again (idempotent), an old folder (server newer), a wrong password, an untrusted CA, a root version gap,
 *    a server-held snapshot the root does not name — each with its own code and exit status, and nothing
 *    published (the server's versions are read back after each refusal).
 */
import { outPath } from '../support/ceremony-out.js';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../support/cli-io.js';
import { expectNoSecrets, expectVerifiesAndRefusesTampering } from '../support/session-transcripts.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { runCli } from '../../src/cli/program.js';
import { publishCommand, serverKeysCommand, type ServerDeps } from '../../src/cli/publish.js';
import { statusCommand } from '../../src/cli/status.js';
import { reportError } from '../../src/cli/output.js';
import { httpsTransport } from '../../src/io/https-transport.js';
import { readMetadataFolder } from '../../src/io/ceremony-output.js';
import { NotaryServerApi } from '../../src/publish/notary-server.js';
import { AuthorizedClient } from '../../src/publish/registry-auth.js';
import type { JsonObject } from '../../src/json/types.js';
import { describeRequest, mergeResponses, planRotation, signRequest } from '../../src/rotation/index.js';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { writeTree } from '../support/notary.js';
import { startTlsNotaryServer, TOKEN_PASSWORD, TOKEN_USER, type TlsNotaryServer } from '../support/notary-tls.js';
import {
  TRUST_MODES,
  clientInMode,
  expectedList,
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

const CEREMONY_GUN = 'registry.example.com/tuf-ceremony/published';
const DOCKER_GUN = 'registry.example.com/tuf-ceremony/docker-style';
const TARGETS = { 'v1.0.tar.gz': new TextEncoder().encode('release 1.0 bytes'), 'v1.1.tar.gz': new TextEncoder().encode('release 1.1 bytes') };

describe('publish to notary-server over TLS with token auth', () => {
  let server: TlsNotaryServer;
  let work: string;
  let n = 0;
  const fresh = (name: string) => join(work, `${String(++n).padStart(2, '0')}-${name}`);

  const deps = (over: Partial<ServerDeps> & { password?: string; user?: string } = {}): ServerDeps => ({
    transport: (ca) => httpsTransport(ca ? { ca } : {}),
    env: { TUF_CEREMONY_REGISTRY_USER: over.user ?? TOKEN_USER, TUF_CEREMONY_REGISTRY_PASSWORD: over.password ?? TOKEN_PASSWORD },
    interactive: false,
    promptSecret: () => Promise.reject(new Error('no prompt in tests')),
    ...over,
  });

  /** Run `publish` in-process; returns the exit status, printed lines and the --json object. */
  async function publish(dir: string, gun: string, extra: { caFile?: string; dryRun?: boolean; root?: string; password?: string; user?: string } = {}) {
    const c = captureIo();
    let code: number;
    try {
      code = await publishCommand(dir, { server: server.url, gun, caFile: extra.caFile ?? server.certs.caFile, tokenRealm: [server.issuer.realm], json: true, ...(extra.dryRun ? { dryRun: true } : {}), ...(extra.root ? { root: extra.root } : {}) }, c.io, deps({ ...(extra.password ? { password: extra.password } : {}), ...(extra.user ? { user: extra.user } : {}) }));
    } catch (err) {
      code = reportError(c.io, err, true);
    }
    const json = JSON.parse(c.out.join('')) as { ok: boolean; state?: string; upload?: string[]; transcript?: string | null; error?: { code: string; message: string }; served?: Record<string, unknown> | null };
    // Every publish but a dry run leaves its session transcript (issue #16) beside the input, its refusal
    // included; it verifies, and no credential used is in it (the password, right or wrong, nor a user name
    // that was the password typed at the wrong prompt).
    const transcript = json.ok ? json.transcript : /the refusal is recorded in (\S+\.transcript\.jsonl)/.exec(json.error?.message ?? '')?.[1];
    if (extra.dryRun) expect(json.transcript).toBeNull();
    else if (json.ok || json.error?.code !== 'USAGE') {
      expect(transcript, JSON.stringify(json)).toMatch(/tuf-ceremony-sessions\/[0-9TZ.]+-publish-[0-9a-f]{8}\.transcript\.jsonl$/);
      const bytes = readFileSync(transcript!);
      const v = verifyTranscript(bytes, { allowUnsealed: true });
      expect(v.header).toMatchObject({ kind: 'publish', profile: 'notary', repository: gun });
      expect(v.entries.map((e) => e.step)).toEqual(json.ok ? [...['publish.plan'], ...(json.upload?.length ? ['publish.upload'] : []), 'publish.verify', 'session.end'] : ['publish.refused', 'session.end']);
      expectNoSecrets(bytes, [new TextEncoder().encode(extra.password ?? TOKEN_PASSWORD), new TextEncoder().encode(TOKEN_PASSWORD), ...(extra.user ? [new TextEncoder().encode(extra.user)] : [])]);
      transcripts.push({ path: transcript!, bytes, ok: json.ok });
    }
    return { code, json, err: c.err.join('\n'), out: c.out.join('') };
  }
  const transcripts: { path: string; bytes: Uint8Array; ok: boolean }[] = [];

  /** What the server serves now, read with credentials: versions by role (undefined = none). */
  async function served(gun: string): Promise<{ root?: number; targets?: number; snapshot?: number }> {
    const api = new NotaryServerApi(
      new AuthorizedClient({ access: { server: server.url, repository: gun, actions: ['pull'], tokenRealms: [new URL(server.issuer.realm).origin] }, transport: httpsTransport({ ca: readFileSync(server.certs.caFile, 'utf8') }), credentials: () => Promise.resolve({ username: TOKEN_USER, password: new TextEncoder().encode(TOKEN_PASSWORD) }) }),
      server.url,
      gun,
    );
    const out: { root?: number; targets?: number; snapshot?: number } = {};
    for (const role of ['root', 'targets', 'snapshot'] as const) {
      const bytes = await api.getMetadata(`${role}.json`);
      if (bytes) out[role] = parseMetadata(bytes, role, { maxBytes: 1 << 20, source: role }).signed.version;
    }
    return out;
  }

  /** Fresh notary clients in every trust mode list `expected` over TLS (anonymous pull tokens). */
  async function listEverywhere(gun: string, expected: ReturnType<typeof expectedList>, rootCertKeyIds: string[], rootBytes: Uint8Array) {
    for (const mode of TRUST_MODES) {
      const client = clientInMode(mode, { serverUrl: server.url, gun, dir: fresh(`list-${mode}`), rootCertKeyIds, rootBytes });
      const r = await client.ok(['--tlscacert', server.certs.caFile, 'list', gun]);
      expect([mode, parseNotaryList(r.stdout)]).toEqual([mode, expected]);
    }
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-publish-tls-'));
    server = await startTlsNotaryServer();
  });

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a rehearsed ceremony: server-keys get → rehearse → publish (dry run, then for real) → its root rotation; clients in every trust mode read it', async () => {
    const keyFile = join(work, 'timestamp.key');
    const c = captureIo();
    expect(await serverKeysCommand('get', { server: server.url, gun: CEREMONY_GUN, role: 'timestamp', caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], out: keyFile, json: true }, c.io, deps())).toBe(0);
    const got = JSON.parse(c.out.join('')) as { keyId: string; keytype: string };
    expect(got.keytype).toBe('ed25519');
    // Never overwritten: a second get into the same file is refused before the server is asked.
    const again = captureIo();
    await expect(serverKeysCommand('get', { server: server.url, gun: CEREMONY_GUN, role: 'timestamp', caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], out: keyFile }, again.io, deps())).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });

    const out = join(work, 'ceremony');
    const r = captureIo();
    expect(await runCli(['rehearse', '--profile', 'notary', '--gun', CEREMONY_GUN, '--timestamp-key', keyFile, '--out', out, '--json'], r.io), r.err.join('\n')).toBe(0);
    const summary = JSON.parse(r.out.join('')) as { rootKeyIds: string[]; timestampKeyId: string; files: { snapshot: string | null }; rotation: { root: string; snapshot: string | null } };
    expect(summary.timestampKeyId).toBe(got.keyId);
    expect(summary.files.snapshot).toBe('metadata/snapshot.json');

    // status over the ceremony's output names the custodians who can renew each role.
    const sc = captureIo();
    expect([0, 5]).toContain(await runCli(['status', out, '--json'], sc.io));
    const local = JSON.parse(sc.out.join('')) as { items: { name: string; renewedBy: { threshold: number; keys: { holder?: string }[] } }[] };
    const rootItem = local.items.find((i) => i.name === 'root')!;
    expect([rootItem.renewedBy.threshold, rootItem.renewedBy.keys.map((k) => k.holder).sort()]).toEqual([2, ['Alice', 'Bob', 'Carol', 'Shamir share cards']]);

    const dry = await publish(out, CEREMONY_GUN, { dryRun: true });
    expect(dry.code, dry.err).toBe(0);
    expect(dry.json.state).toBe('would-publish');
    expect(dry.json.upload).toEqual(['root', 'targets', 'snapshot']);
    expect(await served(CEREMONY_GUN)).toEqual({});

    const first = await publish(out, CEREMONY_GUN);
    expect(first.code, first.err).toBe(0);
    expect(first.json.state).toBe('published');
    expect(first.json.served).toMatchObject({ root: 1, targets: 1, snapshot: 1 });
    expect(await served(CEREMONY_GUN)).toEqual({ root: 1, targets: 1, snapshot: 1 });
    const rootV1 = new Uint8Array(readFileSync(outPath(out, 'root.json')));
    await listEverywhere(CEREMONY_GUN, [], summary.rootKeyIds.slice(0, 3), rootV1);

    // The rehearsal's rotation: root v2 (Carol's key replaced by Dave's) with snapshot v2 over it.
    const rotated = fresh('rotated');
    writeTree(
      rotated,
      new Map([
        ['1.root.json', rootV1],
        ['root.json', new Uint8Array(readFileSync(join(out, summary.rotation.root)))],
        ['targets.json', new Uint8Array(readFileSync(outPath(out, 'targets.json')))],
        ['snapshot.json', new Uint8Array(readFileSync(join(out, summary.rotation.snapshot!)))],
      ]),
    );
    const second = await publish(rotated, CEREMONY_GUN);
    expect(second.code, second.err).toBe(0);
    expect(second.json.upload).toEqual(['root', 'snapshot']);
    expect(await served(CEREMONY_GUN)).toEqual({ root: 2, targets: 1, snapshot: 2 });
    const rootV2 = new Uint8Array(readFileSync(join(rotated, 'root.json')));
    const v2Ids = Object.keys((JSON.parse(Buffer.from(rootV2).toString('utf8')) as { signed: { keys: Record<string, unknown> } }).signed.keys);
    await listEverywhere(CEREMONY_GUN, [], summary.rootKeyIds.filter((id) => v2Ids.includes(id)), rootV2);
    // status over the live server, with anonymous (pull) tokens only: no credentials in the environment.
    const st = captureIo();
    const stCode = await statusCommand(undefined, { server: server.url, gun: CEREMONY_GUN, caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], json: true }, st.io, deps({ env: {} }));
    const report = JSON.parse(st.out.join('')) as { items: { name: string; version?: number; renewedBy: { heldBy: string } }[] };
    expect([0, 5], st.err.join('\n')).toContain(stCode);
    expect(report.items.find((i) => i.name === 'timestamp')!.renewedBy.heldBy).toBe('server');
    expect(report.items.find((i) => i.name === 'root')!.version).toBe(2);
    // The first ceremony folder again: the server is newer now.
    const stale = await publish(out, CEREMONY_GUN);
    expect([stale.code, stale.json.error?.code]).toEqual([1, 'PUBLISH_SERVER_NEWER']);
  });

  describe('a Docker-style repository: server-held snapshot and timestamp', () => {
    let rootKey: OurRootKey;
    let targetsV1Key: OurKey;
    let timestampKey: KeyEntry;
    let snapshotKey: KeyEntry;
    let rootV1: Uint8Array;
    let v1Dir: string;
    let targetsV2Key: OurKey;
    let rootV2: Uint8Array;
    let targetsV2: Uint8Array;

    const serverKey = async (role: 'timestamp' | 'snapshot'): Promise<KeyEntry> => {
      const file = join(work, `${role}-${++n}.key`);
      const c = captureIo();
      expect(await serverKeysCommand('get', { server: server.url, gun: DOCKER_GUN, role, caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], out: file, json: true }, c.io, deps())).toBe(0);
      const body = JSON.parse(readFileSync(file, 'utf8')) as { keytype: string; keyval: { public: string } };
      return { json: { keytype: body.keytype, keyval: { private: null, public: body.keyval.public } }, keyId: (JSON.parse(c.out.join('')) as { keyId: string }).keyId };
    };

    beforeAll(async () => {
      rootKey = await ourRootKey(DOCKER_GUN);
      targetsV1Key = ourKey();
      timestampKey = await serverKey('timestamp');
      snapshotKey = await serverKey('snapshot');
      rootV1 = await signNotary(notaryRootSigned({ version: 1, root: [rootKey], rootThreshold: 1, targets: [targetsV1Key], snapshot: [snapshotKey], timestamp: [timestampKey] }), [rootKey.signer]);
      v1Dir = fresh('docker-v1');
      writeTree(v1Dir, new Map([['root.json', rootV1], ['targets.json', await signNotary(notaryTargetsSigned(1, TARGETS), [targetsV1Key.signer])]]));
    });

    it('refuses a wrong password and an untrusted CA (nothing published), then publishes; clients list the targets; publishing again uploads nothing', async () => {
      const refusedBefore = server.issuer.counts.refused;
      const wrong = await publish(v1Dir, DOCKER_GUN, { password: 'not the password' });
      expect([wrong.code, wrong.json.error?.code]).toEqual([4, 'SERVER_AUTH_FAILED']);
      expect(server.issuer.counts.refused).toBeGreaterThan(refusedBefore);
      expect(wrong.err).not.toContain('not the password');
      // The password given as the user name (pasted at the wrong prompt): in neither the error nor the transcript.
      const swapped = await publish(v1Dir, DOCKER_GUN, { user: TOKEN_PASSWORD, password: 'not the password' });
      expect([swapped.code, swapped.json.error?.code]).toEqual([4, 'SERVER_AUTH_FAILED']);
      expect(swapped.json.error?.message).toContain('refused the credentials given (from the environment variable TUF_CEREMONY_REGISTRY_PASSWORD)');
      for (const text of [swapped.err, swapped.out]) expect(text).not.toContain(TOKEN_PASSWORD);
      const untrusted = await publish(v1Dir, DOCKER_GUN, { caFile: server.certs.otherCaFile });
      expect([untrusted.code, untrusted.json.error?.code]).toEqual([4, 'SERVER_TLS_UNTRUSTED']);
      expect(await served(DOCKER_GUN)).toEqual({});

      const ok = await publish(v1Dir, DOCKER_GUN);
      expect(ok.code, ok.err).toBe(0);
      expect(ok.json.upload).toEqual(['root', 'targets']);
      expect(ok.json).toMatchObject({ state: 'published', snapshotHeldBy: 'server' });
      await listEverywhere(DOCKER_GUN, expectedList(TARGETS), [rootKey.keyId], rootV1);

      const again = await publish(v1Dir, DOCKER_GUN);
      expect(again.code, again.err).toBe(0);
      expect(again.json).toMatchObject({ state: 'already-published', upload: [] });
    });

    it('a targets-key rotation: root v2 alone is a half set (refused, nothing published); with targets.json re-signed it is published and followed', async () => {
      targetsV2Key = ourKey();
      rootV2 = await signNotary(notaryRootSigned({ version: 2, root: [rootKey], rootThreshold: 1, targets: [targetsV2Key], snapshot: [snapshotKey], timestamp: [timestampKey] }), [rootKey.signer]);
      const half = fresh('docker-half');
      writeTree(half, new Map([['1.root.json', rootV1], ['root.json', rootV2]]));
      const refused = await publish(half, DOCKER_GUN);
      expect([refused.code, refused.json.error?.code]).toEqual([1, 'PUBLISH_HALF_SET']);
      // Old targets.json beside the new root: still a half set (not signed by the new key).
      writeTree(half, new Map([['targets.json', new Uint8Array(readFileSync(join(v1Dir, 'targets.json')))]]));
      expect((await publish(half, DOCKER_GUN)).json.error?.code).toBe('PUBLISH_HALF_SET');
      expect(await served(DOCKER_GUN)).toMatchObject({ root: 1, targets: 1 });

      // A root two versions ahead is one the server will not take.
      const rootV3 = await signNotary(notaryRootSigned({ version: 3, root: [rootKey], rootThreshold: 1, targets: [targetsV2Key], snapshot: [snapshotKey], timestamp: [timestampKey] }), [rootKey.signer]);
      const gap = fresh('docker-gap');
      writeTree(gap, new Map([['1.root.json', rootV1], ['2.root.json', rootV2], ['root.json', rootV3], ['targets.json', await signNotary(notaryTargetsSigned(2, TARGETS), [targetsV2Key.signer])]]));
      expect((await publish(gap, DOCKER_GUN)).json.error?.code).toBe('PUBLISH_ROOT_VERSION_UNACCEPTABLE');

      const whole = fresh('docker-v2');
      targetsV2 = await signNotary(notaryTargetsSigned(2, TARGETS), [targetsV2Key.signer]);
      writeTree(whole, new Map([['1.root.json', rootV1], ['root.json', rootV2], ['targets.json', targetsV2]]));
      const ok = await publish(whole, DOCKER_GUN);
      expect(ok.code, ok.err).toBe(0);
      expect(ok.json.upload).toEqual(['root', 'targets']);
      expect(await served(DOCKER_GUN)).toMatchObject({ root: 2, targets: 2 });
      await listEverywhere(DOCKER_GUN, expectedList(TARGETS), [rootKey.keyId], rootV1);
      // Our own verifier, from the pinned v1, over what the folder holds plus the server's snapshot.
      const files = await readMetadataFolder(whole);
      expect(verifyRepository(files, { trustedRoot: rootV1, now: new Date(), gun: DOCKER_GUN }).root.signed.version).toBe(2);

      // The v1 folder now: the server is newer.
      expect((await publish(v1Dir, DOCKER_GUN)).json.error?.code).toBe('PUBLISH_SERVER_NEWER');
    });

    it('renewals without key changes, through request → sign → merge: targets.json alone, the root alone, the root certificate re-issued for the same key; each published and followed; a new server timestamp key from server-keys rotate', async () => {
      const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      const plan = (body: JsonObject) => new TextEncoder().encode(JSON.stringify({ format: 'tuf-ceremony-rotation-plan', version: 1, profile: 'notary', repository: DOCKER_GUN, ...body }));
      const later = (years: number) => formatExpires(new Date(Math.floor(Date.now() / 1000) * 1000 + years * 365 * 86_400_000));
      // targets.json v3: the same targets, a later expiry, signed by the targets key holder.
      const t = planRotation(
        plan({ previousRoot: { file: 'root.json', sha256: sha(rootV2) }, custodians: [{ name: 'Tina', keyid: targetsV2Key.keyId }], expires: later(4), delegations: { targets: { file: 'targets.json', sha256: sha(targetsV2) }, renew: true } }),
        new Map([['root.json', rootV2], ['targets.json', targetsV2]]),
        new Date(),
      );
      const targetsV3 = mergeResponses(t.request, [await signRequest(t.request, targetsV2Key.key)]).bytes!;
      const renewedTargets = fresh('docker-renew-targets');
      writeTree(renewedTargets, new Map([['1.root.json', rootV1], ['root.json', rootV2], ['targets.json', targetsV3]]));
      const r1 = await publish(renewedTargets, DOCKER_GUN);
      expect(r1.code, r1.err).toBe(0);
      expect(r1.json.upload).toEqual(['targets']);
      expect(await served(DOCKER_GUN)).toMatchObject({ root: 2, targets: 3 });
      await listEverywhere(DOCKER_GUN, expectedList(TARGETS), [rootKey.keyId], rootV1);

      // root v3: the same keys, a later expiry, signed by the root key (old and new policy alike).
      const rp = planRotation(
        plan({ previousRoot: { file: 'root.json', sha256: sha(rootV2) }, custodians: [{ name: 'Rose', keyid: rootKey.keyId }], expires: later(9) }),
        new Map([['root.json', rootV2]]),
        new Date(),
      );
      const rootV3 = mergeResponses(rp.request, [await signRequest(rp.request, rootKey.key)]).root!;
      const renewedRoot = fresh('docker-renew-root');
      writeTree(renewedRoot, new Map([['1.root.json', rootV1], ['2.root.json', rootV2], ['root.json', rootV3], ['targets.json', targetsV3]]));
      const r2 = await publish(renewedRoot, DOCKER_GUN);
      expect(r2.code, r2.err).toBe(0);
      expect(r2.json.upload).toEqual(['root']);
      expect(await served(DOCKER_GUN)).toMatchObject({ root: 3, targets: 3 });
      await listEverywhere(DOCKER_GUN, expectedList(TARGETS), [rootKey.keyId], rootV1);

      // root v4: the root key's certificate re-issued for the same key (what the custodian's token does with
      // tokens export --profile notary --gun), listed by a rotation plan; the review says "same key".
      const until = new Date(Math.floor(Date.now() / 1000) * 1000 + 12 * 365 * 86_400_000);
      const renewedCert = await makeNotaryRootCertificate(rootKey.key, { gun: DOCKER_GUN, notBefore: new Date(Date.now() - 60_000), notAfter: until });
      const certFile = new TextEncoder().encode(JSON.stringify(renewedCert.listed.json));
      const cp = planRotation(
        plan({
          previousRoot: { file: 'root.json', sha256: sha(rootV3) },
          custodians: [{ name: 'Rose', keyid: rootKey.keyId }],
          expires: later(11),
          root: { replace: [{ custodian: 'Rose', by: { name: 'Rose', keyFile: 'rose-renewed.json', sha256: sha(certFile) }, reason: 'retired' }] },
        }),
        new Map([['root.json', rootV3], ['rose-renewed.json', certFile]]),
        new Date(),
      );
      expect(describeRequest(cp.request).text).toContain(`root: Rose's certificate renewed to ${formatExpires(until)}; same key`);
      const rootV4 = mergeResponses(cp.request, [await signRequest(cp.request, rootKey.key)]).root!;
      const renewedCerts = fresh('docker-renew-certificates');
      writeTree(renewedCerts, new Map([['1.root.json', rootV1], ['2.root.json', rootV2], ['3.root.json', rootV3], ['root.json', rootV4], ['targets.json', targetsV3]]));
      const r3 = await publish(renewedCerts, DOCKER_GUN);
      expect(r3.code, r3.err).toBe(0);
      expect(r3.json.upload).toEqual(['root']);
      expect(await served(DOCKER_GUN)).toMatchObject({ root: 4, targets: 3 });
      // Pinned clients pin the certificate the newest root lists (FIELD-NOTES); seeded ones start from v1.
      await listEverywhere(DOCKER_GUN, expectedList(TARGETS), [renewedCert.listed.keyId], rootV1);
      const st = captureIo();
      await statusCommand(undefined, { server: server.url, gun: DOCKER_GUN, caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], json: true }, st.io, deps({ env: {} }));
      const certs = (JSON.parse(st.out.join('')) as { items: { kind: string; expires: string }[] }).items.filter((i) => i.kind === 'certificate');
      expect(certs.map((c) => c.expires)).toEqual([formatExpires(until)]);

      // A new server timestamp key: once a root is published only POST makes one (server-keys rotate);
      // get still answers the key root v4 lists. Root v5 lists the new key; the server then signs with it.
      const getFile = join(work, `ts-get-${++n}.key`);
      const rotFile = join(work, `ts-rotate-${++n}.key`);
      const g = captureIo();
      expect(await serverKeysCommand('get', { server: server.url, gun: DOCKER_GUN, role: 'timestamp', caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], out: getFile, json: true }, g.io, deps())).toBe(0);
      expect((JSON.parse(g.out.join('')) as { keyId: string }).keyId).toBe(timestampKey.keyId);
      const rot = captureIo();
      expect(await serverKeysCommand('rotate', { server: server.url, gun: DOCKER_GUN, role: 'timestamp', caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], out: rotFile, json: true }, rot.io, deps())).toBe(0);
      const newTsId = (JSON.parse(rot.out.join('')) as { keyId: string }).keyId;
      expect(newTsId).not.toBe(timestampKey.keyId);
      const tsFile = new Uint8Array(readFileSync(rotFile));
      const tp = planRotation(
        plan({
          previousRoot: { file: 'root.json', sha256: sha(rootV4) },
          custodians: [{ name: 'Rose', keyid: renewedCert.listed.keyId }],
          expires: later(11),
          timestamp: { keys: [{ name: 'notary-server timestamp', keyFile: 'timestamp.key', sha256: sha(tsFile) }] },
        }),
        new Map([['root.json', rootV4], ['timestamp.key', tsFile]]),
        new Date(),
      );
      const rootV5 = mergeResponses(tp.request, [await signRequest(tp.request, rootKey.key)]).root!;
      const newTs = fresh('docker-new-timestamp-key');
      writeTree(newTs, new Map([['1.root.json', rootV1], ['2.root.json', rootV2], ['3.root.json', rootV3], ['4.root.json', rootV4], ['root.json', rootV5], ['targets.json', targetsV3]]));
      const r4 = await publish(newTs, DOCKER_GUN);
      expect(r4.code, r4.err).toBe(0);
      expect(r4.json.served).toMatchObject({ root: 5 });
      await listEverywhere(DOCKER_GUN, expectedList(TARGETS), [renewedCert.listed.keyId], rootV1);
    });

    it('a root naming a snapshot key the server does not hold, without snapshot.json, is refused with the measured reason', async () => {
      const gun = `${DOCKER_GUN}-offline-snapshot`;
      const rk = await ourRootKey(gun);
      const tk = ourKey();
      const offlineSnapshot = ourKey();
      const ts = await (async () => {
        const file = join(work, `ts-${++n}.key`);
        const c = captureIo();
        expect(await serverKeysCommand('get', { server: server.url, gun, role: 'timestamp', caFile: server.certs.caFile, tokenRealm: [server.issuer.realm], out: file, json: true }, c.io, deps())).toBe(0);
        const body = JSON.parse(readFileSync(file, 'utf8')) as { keytype: string; keyval: { public: string } };
        return { json: { keytype: body.keytype, keyval: { private: null, public: body.keyval.public } }, keyId: (JSON.parse(c.out.join('')) as { keyId: string }).keyId };
      })();
      const root = await signNotary(notaryRootSigned({ version: 1, root: [rk], rootThreshold: 1, targets: [tk], snapshot: [offlineSnapshot], timestamp: [ts] }), [rk.signer]);
      const dir = fresh('offline-snapshot');
      mkdirSync(dir, { recursive: true });
      writeTree(dir, new Map([['root.json', root], ['targets.json', await signNotary(notaryTargetsSigned(1, TARGETS), [tk.signer])]]));
      const refused = await publish(dir, gun);
      expect([refused.code, refused.json.error?.code], refused.err).toEqual([1, "PUBLISH_SNAPSHOT_KEY_NOT_HELD"]);
      expect(refused.json.error?.message).toContain('no snapshot was included in update and server does not hold current snapshot key');
      expect(await served(gun)).toEqual({});
    });
  });

  it('the session transcripts of the publishes above: a published one and a refused one verify, and every damaged copy is refused', async () => {
    const published = transcripts.find((x) => x.ok);
    const refused = transcripts.find((x) => !x.ok);
    expect(published && refused).toBeTruthy();
    for (const t of [published!, refused!]) await expectVerifiesAndRefusesTampering(t.path, t.bytes, work, {});
  });
});
