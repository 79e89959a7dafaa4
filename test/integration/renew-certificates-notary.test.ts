/**
 * Issue #14: a Notary root's expiry renewed with renewed root certificates — same keys — through the CLI's
 * request → co-sign → merge flow, on SoftHSM2 tokens, published to a real notary-server and followed by
 * real notary clients.
 *
 * The ceremony: three custodians (Alice, Bob, Carol), each a root key generated on their own SoftHSM2
 * token with its self-signed certificate made on the token — certificates that end in 60 days — root v1
 * 2-of-3, the server's snapshot and timestamp keys; published with targets.json. Then:
 *
 * 1. `rotate` of a plan with `root.renewCertificates` writes the certificate request;
 * 2. each custodian's `sign` of it: the token issues a fresh certificate for the same key (review: "your
 *    token will issue a new certificate for your key, valid … until …; same key");
 * 3. `merge` of the three certificates writes root v2's signing request ("Alice's certificate renewed to
 *    …; same key", naming the certificate request);
 * 4. Alice and Bob `sign` it (each under the old and the new certificate ID), `merge` writes root v2;
 * 5. root v2 is published alone; a client that cached v1 follows it; fresh clients (TOFU, and pinned to the
 *    new certificate IDs) list the targets; `verify` and `status` report the new certificates' end.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCommand } from '../../src/cli/merge.js';
import { rotateCommand } from '../../src/cli/rotate.js';
import { renewCertificatesCommand } from '../../src/cli/renew-certificates.js';
import { signCommand } from '../../src/cli/sign.js';
import { statusCommand } from '../../src/cli/status.js';
import { verifyCommand } from '../../src/cli/verify.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import type { ListedKey } from '../../src/signers/public-key-json.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { parsePreviousRoot } from '../../src/rotation/index.js';
import { captureIo, tokenSignDeps } from '../support/cli-io.js';
import { initSoftHsmTokens, notaryRootKeysOnTokens } from '../support/softhsm-root-keys.js';
import { readTree, startNotaryServer, writeTree, type NotaryServer } from '../support/notary.js';
import { TRUST_MODES, clientInMode, expectedList, fetchServerKey, notaryRootSigned, notaryTargetsSigned, ourKey, parseNotaryList, publishOk, signNotary } from '../support/notary-publish.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const enabled = existsSync(SOFTHSM);
const GUN = 'registry.example.com/tuf-ceremony/renew-certificates';
const NAMES = ['Alice', 'Bob', 'Carol'] as const;
const PINS: Record<string, string> = { ALICE_PIN: 'alice-renew-1111', BOB_PIN: 'bob-renew-2222', CAROL_PIN: 'carol-renew-3333' };
const TARGETS = { 'app/v1.tar.gz': new TextEncoder().encode('app v1 bytes') };
const DAY = 86_400_000;
const YEAR = 365 * DAY;
const now = Math.floor(Date.now() / 1000) * 1000;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let dir: string;
let restoreConf: () => void;
let server: NotaryServer;
const serials: Record<string, string> = {};
const listed: Record<string, ListedKey> = {};
let rootV1: Uint8Array;
const signDeps = tokenSignDeps(PINS);
const shared: { rootV2?: Uint8Array } = {};

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tufc-renew-certs-'));
  const custodians = NAMES.map((name) => ({ name, pin: PINS[`${name.toUpperCase()}_PIN`]! }));
  restoreConf = initSoftHsmTokens(dir, custodians);
  server = await startNotaryServer();
  const targetsKey = ourKey();
  const timestamp = await fetchServerKey(server.url, GUN, 'timestamp');
  const snapshot = await fetchServerKey(server.url, GUN, 'snapshot');
  // Certificates ending in 60 days: what notary's client warns about and status flags.
  const keys = await notaryRootKeysOnTokens(SOFTHSM, { custodians, gun: GUN, notBefore: new Date(now - 60_000), notAfter: new Date(now + 60 * DAY), signers: ['Alice', 'Bob'] }, async ({ listed, signers }) => {
    const root = NAMES.map((n) => ({ keyId: listed[n]!.keyId, json: listed[n]!.json }));
    return signNotary(notaryRootSigned({ version: 1, root, rootThreshold: 2, targets: [targetsKey], snapshot: [snapshot], timestamp: [timestamp], expires: formatExpires(new Date(now + YEAR)) }), signers);
  });
  Object.assign(serials, keys.serials);
  Object.assign(listed, keys.listed);
  rootV1 = keys.made;
  await publishOk(server.url, GUN, { root: rootV1, targets: await signNotary(notaryTargetsSigned(1, TARGETS), [targetsKey.signer]) });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (!enabled) return;
  restoreConf();
  rmSync(dir, { recursive: true, force: true });
});

async function statusItems(trustDir: string): Promise<{ code: number; certificates: { expires: string; state: string }[] }> {
  const c = captureIo();
  const code = await statusCommand(trustDir, { json: true, gun: GUN }, c.io);
  const report = JSON.parse(c.out.join('')) as { items: { kind: string; expires: string; state: string }[] };
  return { code, certificates: report.items.filter((i) => i.kind === 'certificate').map((i) => ({ expires: i.expires, state: i.state })) };
}

describe.skipIf(!enabled)('Notary root certificates renewed on SoftHSM2 tokens through request → co-sign → merge (CLI), followed by notary', () => {
  it('certificate request → three certificates → root v2 request → two signatures → published; clients follow; verify and status see the new end', async () => {
    // A client that trusted v1 on first use, before the renewal.
    const cached = clientInMode('tofu', { serverUrl: server.url, gun: GUN, dir: join(dir, 'client-v1') });
    expect(parseNotaryList((await cached.ok(['list', GUN])).stdout)).toEqual(expectedList(TARGETS));
    const before = await statusItems(join(dir, 'client-v1', 'trust'));
    expect(before.certificates.map((c) => c.state)).toEqual(['warning', 'warning', 'warning']);

    // 1. The plan and the certificate request.
    const expires = formatExpires(new Date(now + 10 * YEAR));
    const until = formatExpires(new Date(now + 11 * YEAR));
    writeFileSync(join(dir, 'root.json'), rootV1);
    const plan = {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'notary',
      repository: GUN,
      previousRoot: { file: 'root.json', sha256: sha(rootV1), version: 1 },
      custodians: NAMES.map((name) => ({ name, keyid: listed[name]!.keyId })),
      expires,
      root: { renewCertificates: { until } },
    };
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan, null, 2));
    const certRequest = join(dir, 'certificates.request.json');
    let c = captureIo();
    expect([await rotateCommand(join(dir, 'plan.json'), { out: certRequest, json: true }, c.io), c.err.filter((l) => l.startsWith('error'))]).toEqual([0, []]);
    const made = JSON.parse(c.out.join('')) as { form: string; requestId: string; review: { digest: { hex: string } } };
    expect(made.form).toBe('certificate-request');

    // 2. Each custodian's token issues a fresh certificate for the same key.
    const certResponses: string[] = [];
    for (const name of NAMES) {
      c = captureIo();
      const out = join(dir, `${name.toLowerCase()}.certificate.json`);
      const status = await signCommand(
        certRequest,
        { out, module: 'softhsm2', token: serials[name.toLowerCase()]!, label: `root-${name.toLowerCase()}`, pinEnv: `${name.toUpperCase()}_PIN`, expectHash: made.review.digest.hex, json: true },
        c.io,
        signDeps,
      );
      expect([name, status, c.err.filter((l) => l.startsWith('error'))]).toEqual([name, 0, []]);
      expect(c.err.join('\n')).toContain(`${name} (key ID ${listed[name]!.keyId.slice(0, 12)}…`);
      expect(c.err.join('\n')).toMatch(new RegExp(`your token will issue a new certificate for your key, valid from \\S+ until ${until}; same key`));
      const answer = JSON.parse(c.out.join('')) as { form: string; keyid: string; newKeyid: string; certificate: { notAfter: string }; transcript: string; sealKeyId: string };
      expect([answer.form, answer.keyid, answer.certificate.notAfter.replace(/\.000Z$/, 'Z')]).toEqual(['certificate-response', listed[name]!.keyId, until]);
      // The custodian's session transcript, sealed by the same token key in the same login.
      const t = verifyTranscript(new Uint8Array(readFileSync(answer.transcript)), { expectedSealKeyId: answer.sealKeyId });
      expect([t.sealed, t.sealKeyPinned, t.entries.map((e) => e.step)]).toEqual([true, true, ['request.review', 'certificate.issue']]);
      certResponses.push(out);
    }

    // 3. The certificates merge into root v2's signing request; a partial merge waits for the rest.
    const rootRequest = join(dir, 'root-v2.request.json');
    c = captureIo();
    expect(await mergeCommand(certRequest, certResponses.slice(0, 2), { out: rootRequest, partial: true }, c.io)).toBe(0);
    expect(c.out.join('\n')).toContain('waiting for the certificate of Carol');
    expect(existsSync(rootRequest)).toBe(false);
    c = captureIo();
    expect([await mergeCommand(certRequest, certResponses, { out: rootRequest }, c.io), c.err]).toEqual([0, []]);
    const mergeText = c.out.join('\n');
    for (const name of NAMES) expect(mergeText).toContain(`root: ${name}'s certificate renewed to ${until}; same key`);
    expect(mergeText).toContain(`certificate request ${made.requestId.slice(0, 16)}…`);

    // 4. Two custodians sign root v2 (each key under its old and its new certificate ID), then merge.
    const signatures: string[] = [];
    for (const name of ['Bob', 'Alice'] as const) {
      c = captureIo();
      const out = join(dir, `${name.toLowerCase()}.root-v2.response.json`);
      const status = await signCommand(rootRequest, { out, module: 'softhsm2', token: serials[name.toLowerCase()]!, label: `root-${name.toLowerCase()}`, pinEnv: `${name.toUpperCase()}_PIN` }, c.io, signDeps);
      expect([name, status, c.err]).toEqual([name, 0, []]);
      expect(c.out.join('\n')).toContain(`root: ${name}'s certificate renewed to ${until}; same key`);
      expect((JSON.parse(readFileSync(out, 'utf8')) as { signatures: unknown[] }).signatures).toHaveLength(2);
      signatures.push(out);
    }
    const rootV2Path = join(dir, '2.root.json');
    c = captureIo();
    expect(await mergeCommand(rootRequest, signatures, { out: rootV2Path }, c.io)).toBe(0);
    expect(c.out[0]).toMatch(/both thresholds met/);
    const rootV2 = new Uint8Array(readFileSync(rootV2Path));
    const v2 = parsePreviousRoot(rootV2).signed;
    const newIds = v2.roles.get('root')!.keyids;
    expect(newIds.some((id) => Object.values(listed).some((l) => l.keyId === id))).toBe(false);
    expect(newIds.map((id) => v2.keys.get(id)!.key.fingerprint).sort()).toEqual(NAMES.map((n) => listed[n]!.key.fingerprint).sort());

    // 5. Published alone (the server signs snapshot and timestamp); clients follow.
    await publishOk(server.url, GUN, { root: rootV2 });
    expect(parseNotaryList((await cached.ok(['list', GUN])).stdout)).toEqual(expectedList(TARGETS));
    expect(Buffer.from(readTree(cached.metadataDir(GUN)).get('root.json')!).equals(Buffer.from(rootV2))).toBe(true);
    for (const mode of TRUST_MODES.filter((m) => m !== 'seeded')) {
      const fresh = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: join(dir, `fresh-${mode}`), rootCertKeyIds: newIds });
      expect([mode, parseNotaryList((await fresh.ok(['list', GUN])).stdout)]).toEqual([mode, expectedList(TARGETS)]);
    }

    // verify from the pinned v1, and status: the new certificates end when the request said.
    const copy = join(dir, 'verify-me');
    const files = readTree(cached.metadataDir(GUN));
    files.set('1.root.json', rootV1);
    files.set('2.root.json', rootV2);
    writeTree(copy, files);
    c = captureIo();
    expect(await verifyCommand(copy, { root: join(dir, 'root.json'), json: true }, c.io)).toBe(0);
    const verified = JSON.parse(c.out.join('')) as { rootVersion: number; certificates: { keyid: string; notAfter: string }[] };
    expect(verified.rootVersion).toBe(2);
    expect(verified.certificates.map((x) => [x.keyid, x.notAfter]).sort()).toEqual(newIds.map((id) => [id, until]).sort());
    const after = await statusItems(join(dir, 'client-v1', 'trust'));
    expect(after.certificates).toEqual(NAMES.map(() => ({ expires: until, state: 'ok' })));
    shared.rootV2 = rootV2;
  }, 600_000);

  it('in the room: renew-certificates — one PIN per custodian — issues the certificates and signs root v3 in one login each; published and followed', async () => {
    const rootV2 = shared.rootV2!;
    expect(rootV2, 'the previous test made root v2').toBeDefined();
    const v2 = parsePreviousRoot(rootV2).signed;
    const byFingerprint = (name: (typeof NAMES)[number]) => v2.roles.get('root')!.keyids.find((id) => v2.keys.get(id)!.key.fingerprint === listed[name]!.key.fingerprint)!;
    const until = formatExpires(new Date(now + 12 * YEAR));
    writeFileSync(join(dir, 'root-v2.json'), rootV2);
    const plan = {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'notary',
      repository: GUN,
      previousRoot: { file: 'root-v2.json', sha256: sha(rootV2), version: 2 },
      custodians: NAMES.map((name) => ({ name, keyid: byFingerprint(name) })),
      expires: formatExpires(new Date(now + 11 * YEAR)),
      root: { renewCertificates: { until } },
    };
    writeFileSync(join(dir, 'plan-v3.json'), JSON.stringify(plan, null, 2));
    const certRequest = join(dir, 'certificates-v3.request.json');
    let c = captureIo();
    expect(await rotateCommand(join(dir, 'plan-v3.json'), { out: certRequest }, c.io)).toBe(0);

    // A key the request does not renew is refused before any PIN (Carol's token named with Bob's key label).
    const refused = join(dir, 'room-refused');
    c = captureIo();
    const wrong = await renewCertificatesCommand(certRequest, { out: refused, module: 'softhsm2', key: ['Carol=carol:root-bob'], pinEnv: ['Carol=CAROL_PIN'] }, c.io, signDeps);
    expect([wrong, c.err[0]]).toEqual([1, expect.stringContaining('error[ROTATION_SIGNER_UNKNOWN]')]);
    expect(existsSync(refused)).toBe(false);

    const room = join(dir, 'room');
    c = captureIo();
    const code = await renewCertificatesCommand(
      certRequest,
      { out: room, module: 'softhsm2', key: NAMES.map((n) => `${n}=${n.toLowerCase()}:root-${n.toLowerCase()}`), pinEnv: NAMES.map((n) => `${n}=${n.toUpperCase()}_PIN`), json: true },
      c.io,
      signDeps,
    );
    expect([code, c.err.filter((l) => l.startsWith('error'))]).toEqual([0, []]);
    const text = c.err.join('\n');
    for (const name of NAMES) {
      expect(text).toContain(`your token will issue a new certificate for your key, valid from`);
      expect(text).toContain(`root: ${name}'s certificate renewed to ${until}; same key`);
    }
    const result = JSON.parse(c.out.join('')) as { root: string; version: number; status: string };
    expect(result.version).toBe(3);
    expect(result.status).toMatch(/both thresholds met/);
    // The files the two-round flow makes: merge re-checks them the same way.
    const remerged = join(dir, 'room-remerged.root.json');
    c = captureIo();
    expect(await mergeCommand(join(room, 'root.request.json'), NAMES.map((n) => join(room, 'responses', `${n}.json`)), { out: remerged }, c.io)).toBe(0);
    const rootV3 = new Uint8Array(readFileSync(result.root));
    expect(Buffer.from(readFileSync(remerged)).equals(Buffer.from(rootV3))).toBe(true);

    await publishOk(server.url, GUN, { root: rootV3 });
    const cached = clientInMode('tofu', { serverUrl: server.url, gun: GUN, dir: join(dir, 'client-v1') });
    expect(parseNotaryList((await cached.ok(['list', GUN])).stdout)).toEqual(expectedList(TARGETS));
    expect(Buffer.from(readTree(cached.metadataDir(GUN)).get('root.json')!).equals(Buffer.from(rootV3))).toBe(true);
    const v3ids = parsePreviousRoot(rootV3).signed.roles.get('root')!.keyids;
    const pinned = clientInMode('pinned', { serverUrl: server.url, gun: GUN, dir: join(dir, 'fresh-pinned-v3'), rootCertKeyIds: v3ids });
    expect(parseNotaryList((await pinned.ok(['list', GUN])).stdout)).toEqual(expectedList(TARGETS));
  }, 600_000);
});
