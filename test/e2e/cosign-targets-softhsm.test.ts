/**
 * Issue #5, targets level, end to end: a delegation is added to targets.json by the root's targets keys,
 * held on SoftHSM2 tokens, through the Co-sign and Rotation screens.
 *
 * Setup (the core, as the repository's owner would have it): SoftHSM2 tokens made by softhsm2-util (Alice,
 * Bob), a P-256 key on each made on the token; a TUF root v1 whose targets role is Alice's and Bob's token
 * keys, threshold 2, and targets.json v1 signed on both tokens; a Notary root v1 whose targets role is
 * Alice's token key alone, and its targets.json v1. The core builds each targets request — delegation
 * `releases` (TUF) / `targets/releases` (Notary) ADDED with one key named "CI" — and writes it as a file.
 * Then only screens:
 *
 * - each co-signer, on a fresh browser context (their own machine), opens the request on the Co-sign
 *   screen, reads the core's sentence naming the delegation and "CI", confirms the hash words, chooses
 *   their token and key (checked to be a targets key before the PIN), and signs with the PIN in the dialog;
 * - the administrator opens the request on the Rotation screen's merge, adds the responses (a root key's
 *   response refused with ROTATION_SIGNER_UNKNOWN), sees the targets threshold met and targets.json v2
 *   written as `2.targets.json` — never as a root.
 *
 * Finally targets.json v2 is checked with the core against the root's targets role (TUF 5.6.3) and by
 * verifyRepository with a snapshot and timestamp made for it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { shortDigest } from '../../src/crypto/digest-words.js';
import type { JsonObject } from '../../src/json/types.js';
import type { ProfileName } from '../../src/profiles/profile.js';
import { buildTargetsPayload, buildTargetsSigningRequest, parseSigningRequest, serializeSignatureResponse, serializeSigningRequest } from '../../src/rotation/index.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { listPublicKey, type ListedKey } from '../../src/signers/public-key-json.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { serializeMetadata, signMetadata } from '../../src/tuf/sign.js';
import { verifyRole } from '../../src/tuf/verify.js';
import { makeKey, type TestKey } from '../support/keys.js';
import { metaEntry, sign } from '../support/repo.js';
import { startSession, type E2eSession } from './support/session.js';
import { initSoftHsmToken, useSoftHsmDir } from './support/softhsm.js';
import { pickTokenKey, signOnCosignScreen } from './support/token-key.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const SO_PIN = '87654321';
const PEOPLE = [
  { name: 'Alice', label: 'tgt-alice', pin: 'alice-3317-k' },
  { name: 'Bob', label: 'tgt-bob', pin: 'bob-4428-m' },
] as const;
type Person = (typeof PEOPLE)[number];
const GUN = 'registry.example.com/targets/e2e';
const YEAR = 365 * 24 * 3600 * 1000;
const now = Math.floor(Date.now() / 1000) * 1000;

interface Repo {
  profile: ProfileName;
  delegation: string;
  rootV1: Uint8Array;
  root: TestKey;
  snapshot: TestKey;
  timestamp: TestKey;
  ci: TestKey;
  requestPath: string;
  /** The targets keys (token keys), by person. */
  targets: Partial<Record<Person['name'], ListedKey>>;
}

let dir: string;
let out: string;
let session: E2eSession;
const serials: Record<string, string> = {};
const repos: Partial<Record<ProfileName, Repo>> = {};

function common(profile: ProfileName, type: string): JsonObject {
  const signed: JsonObject = { _type: profile === 'tuf' ? type : type[0]!.toUpperCase() + type.slice(1), version: 1, expires: formatExpires(new Date(now + 2 * YEAR)) };
  if (profile === 'tuf') signed.spec_version = '1.0.31';
  return signed;
}

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2`);
  dir = mkdtempSync(join(tmpdir(), 'tufc-e2e-cosign-targets-'));
  // Read by SoftHSM at C_Initialize: in this process (where the bridge's handlers load it) and by softhsm2-util.
  await useSoftHsmDir(dir);
  for (const p of PEOPLE) serials[p.name] = initSoftHsmToken(p.label, p.pin, SO_PIN);
  const mod = await TokenModule.load(SOFTHSM);
  try {
    const sessions = [];
    const keys: Partial<Record<Person['name'], Awaited<ReturnType<Awaited<ReturnType<typeof mod.openToken>>['generateKeyPair']>>>> = {};
    for (const p of PEOPLE) {
      const s = await mod.openToken({ serial: serials[p.name]! });
      await s.login(p.pin);
      keys[p.name] = await s.generateKeyPair({ algorithm: 'ecdsa-p256', label: `targets-${p.name.toLowerCase()}` });
      sessions.push(s);
    }
    // TUF: targets role = Alice's and Bob's token keys, 2 of 2. Notary: Alice's token key alone.
    const plans: [ProfileName, Person['name'][], string][] = [
      ['tuf', ['Alice', 'Bob'], 'releases'],
      ['notary', ['Alice'], 'targets/releases'],
    ];
    for (const [profile, holders, delegation] of plans) {
      // Notary: the root key is a certificate naming the GUN, and the delegate key a certificate, as `notary delegation add` lists it.
      const root = await makeKey(profile, profile === 'notary' ? 'ecdsa-x509' : 'ecdsa-p256', GUN);
      const snapshot = await makeKey(profile, 'ecdsa-p256');
      const timestamp = await makeKey(profile, profile === 'tuf' ? 'ecdsa-p256' : 'ed25519');
      const ci = await makeKey(profile, profile === 'notary' ? 'ecdsa-x509' : 'ecdsa-p256', GUN);
      const targets: Repo['targets'] = {};
      for (const n of holders) targets[n] = listPublicKey(profile, keys[n]!.spki);
      const table: JsonObject = { [root.keyId]: root.json, [snapshot.keyId]: snapshot.json, [timestamp.keyId]: timestamp.json };
      for (const n of holders) table[targets[n]!.keyId] = targets[n]!.json;
      const rootSigned: JsonObject = {
        ...common(profile, 'root'),
        consistent_snapshot: false,
        expires: formatExpires(new Date(now + 5 * YEAR)),
        keys: table,
        roles: {
          root: { keyids: [root.keyId], threshold: 1 },
          snapshot: { keyids: [snapshot.keyId], threshold: 1 },
          targets: { keyids: holders.map((n) => targets[n]!.keyId), threshold: holders.length },
          timestamp: { keyids: [timestamp.keyId], threshold: 1 },
        },
      };
      const rootV1 = serializeMetadata(profile, await signMetadata(profile, rootSigned, [root]));
      // targets.json v1, signed on the tokens (Notary lists an empty delegations block, as its client writes).
      const targetsSigned: JsonObject = { ...common(profile, 'targets'), targets: {} };
      if (profile === 'notary') targetsSigned.delegations = { keys: {}, roles: [] };
      const targetsV1 = serializeMetadata(profile, await signMetadata(profile, targetsSigned, holders.map((n) => metadataSigner(keys[n]!, targets[n]!))));
      const payload = buildTargetsPayload(
        rootV1,
        targetsV1,
        { expires: formatExpires(new Date(now + YEAR)), delegations: { add: [{ name: delegation, keys: [{ json: ci.json, name: 'CI' }], threshold: 1, paths: profile === 'tuf' ? ['releases/*'] : [''] }] } },
        { names: new Map(holders.map((n) => [targets[n]!.keyId, n])) },
      );
      const request = buildTargetsSigningRequest(payload, { repository: profile === 'tuf' ? 'example.com/targets/e2e' : GUN });
      const requestPath = join(dir, `${profile}-targets-request-v2-${request.requestId.slice(0, 8)}.json`);
      writeFileSync(requestPath, serializeSigningRequest(request));
      repos[profile] = { profile, delegation, rootV1, root, snapshot, timestamp, ci, requestPath, targets };
    }
    for (const s of sessions) await s.close();
  } finally {
    // Finalised again before the session's handlers load the module for the screens.
    await mod.finalize();
  }
  session = await startSession({ rotationOutputDir: async () => out });
});

afterAll(async () => {
  await session?.close(); // finalises the module the handlers loaded
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function filesIn(pattern: RegExp): string[] {
  return readdirSync(out).filter((f) => pattern.test(f));
}

/** A co-signer on their own machine: review (delegation and key named), confirm the words, check the key, PIN, sign. */
async function cosign(person: Person, repo: Repo): Promise<string> {
  const { page, errors, choose } = await session.open('cosign');
  await page.getByRole('heading', { level: 1, name: 'Co-sign' }).waitFor();
  await choose('Signing request…', repo.requestPath);
  await page.getByRole('heading', { name: 'What changes: targets.json version 1 → 2' }).waitFor();
  const diff = await page.getByRole('list', { name: 'Changes in plain words' }).innerText();
  // describe.ts's sentence: the delegation, its threshold and its key by name, and the paths it is trusted for.
  // Notary keys carry their certificate's name beside the fingerprint.
  expect(diff).toMatch(new RegExp(`delegation ${repo.delegation} ADDED, threshold 1 of 1: key [0-9a-f]{12}… \\(fingerprint [0-9a-f ]+${repo.profile === 'notary' ? ', certificate CN="[^"]+"' : ''}\\) named \"CI\"`));
  expect(diff).toContain(repo.profile === 'tuf' ? 'trusted for paths "releases/*"' : 'trusted for every path');
  const holders = Object.keys(repo.targets).length;
  expect(diff).toContain(`targets threshold stays ${holders} of ${holders}`);
  const request = parseSigningRequest(new Uint8Array(readFileSync(repo.requestPath)));
  const words = await page.getByRole('list', { name: 'Hash words, to read aloud' }).getByRole('listitem').allInnerTexts();
  expect(words).toEqual(shortDigest(request.payloadSha256).words);
  const rows = page.getByRole('table', { name: 'Expected signers' }).getByRole('row');
  // Each row: the key first (its ID and fingerprint words), then the name quoted, then what it signs for.
  for (const n of Object.keys(repo.targets)) {
    const row = await rows.filter({ has: page.getByRole('cell', { name: `"${n}"`, exact: true }) }).innerText();
    expect(row).toMatch(/^key [0-9a-f]{12}…\s+fingerprint /);
    expect(row).toMatch(/targets role$/);
  }

  return signOnCosignScreen({
    page,
    errors,
    person,
    serial: serials[person.name]!,
    keyLabel: `targets-${person.name.toLowerCase()}`,
    keyIn: 'the targets role',
    onDialog: async (_dialog, dialogText) => {
      expect(dialogText).toContain(`sign targets.json version 2 as ${person.name}`);
    },
    out,
    // Named for the version signed: targets.json v2 (not the root's version 1).
    responseName: new RegExp(`^${person.name.toLowerCase()}\\.response-v2-${request.requestId.slice(0, 8)}\\.json$`),
    screenshot: `/tmp/e2e-cosign-targets-${repo.profile}-${person.name.toLowerCase()}.png`,
  });
}

/** targets.json v2 as a client checks it: against the root's targets role, then with a snapshot and timestamp made for it. */
function checkTargetsV2(repo: Repo, bytes: Uint8Array, snapshot: Uint8Array, timestamp: Uint8Array): void {
  const root = parseMetadata(repo.rootV1, 'root', { maxBytes: 1 << 20, source: 'root.json' });
  const v2 = parseMetadata(bytes, 'targets', { maxBytes: 1 << 20, source: '2.targets.json' });
  const result = verifyRole(v2, 'targets', root.signed.roles.get('targets')!, root.signed.keys);
  expect(result.verified).toBe(true);
  expect(result.signed.sort()).toEqual(Object.values(repo.targets).map((k) => k.keyId).sort());
  expect(v2.signed.version).toBe(2);
  const roles = v2.signed.delegations!.roles;
  expect(roles.map((r) => [r.name, r.keyids, r.threshold])).toEqual([[repo.delegation, [repo.ci.keyId], 1]]);
  const verified = verifyRepository(
    { versionedRoots: new Map([[1, repo.rootV1]]), root: repo.rootV1, targets: bytes, snapshot, timestamp, delegated: new Map() },
    { trustedRoot: repo.rootV1, now: new Date(), ...(repo.profile === 'notary' ? { gun: GUN } : {}), requireComplete: true },
  );
  expect(verified.targets!.md.signed.version).toBe(2);
}

describe('Co-sign and Rotation screens: a targets request (delegation added) signed on SoftHSM2 tokens', () => {
  test('TUF, targets 2 of 2: Alice and Bob see "releases ADDED … CI", sign on their tokens; the merge refuses a root key and writes 2.targets.json', async () => {
    const repo = repos.tuf!;
    out = join(dir, 'out-tuf');
    mkdirSync(out);
    const alice = await cosign(PEOPLE[0], repo);
    const bob = await cosign(PEOPLE[1], repo);

    // A response by the root key (valid signature over the request's bytes): it has no part in targets.json.
    const request = parseSigningRequest(new Uint8Array(readFileSync(repo.requestPath)));
    const envelope = await signMetadata('tuf', request.payload, [repo.root]);
    const rootKeyPath = join(dir, 'root-key.response.json');
    writeFileSync(rootKeyPath, serializeSignatureResponse({ requestId: request.requestId, payloadSha256: request.payloadSha256, signatures: envelope.signatures, signer: { name: 'Root holder' } }));

    const admin = await session.open('rotation');
    const { page } = admin;
    await page.getByRole('heading', { level: 1, name: 'Rotation' }).waitFor();
    await admin.choose('Open a signing request…', repo.requestPath);
    const status = page.getByRole('status', { name: 'Merge status' });
    await admin.choose('Add a response…', bob);
    await status.waitFor();
    expect(await status.innerText()).toBe('1 of 2 targets keys; waiting for: Alice (targets)');
    await admin.choose('Add a response…', rootKeyPath);
    const refused = page.getByRole('alert').filter({ hasText: 'ROTATION_SIGNER_UNKNOWN' });
    await refused.waitFor();
    expect(await refused.innerText()).toContain('not a targets key of root version 1');
    await admin.choose('Add a response…', alice);
    const written = page.getByRole('status', { name: 'New targets written' });
    await written.waitFor({ timeout: 30_000 });
    expect(await status.innerText()).toBe('2 of 2 targets keys: threshold met');
    expect(await written.innerText()).toContain('Targets version 2 written');
    expect(filesIn(/root\.json$/)).toEqual([]);
    expect(filesIn(/^2\.targets\.json$/)).toHaveLength(1);
    expect(admin.errors).toEqual([]);
    await page.screenshot({ path: '/tmp/e2e-cosign-targets-tuf-merged.png', fullPage: true });

    const targets = new Uint8Array(readFileSync(join(out, '2.targets.json')));
    const snapshot = await sign('tuf', { ...common('tuf', 'snapshot'), meta: { 'targets.json': metaEntry('tuf', targets, 2) } }, [repo.snapshot]);
    const timestamp = await sign('tuf', { ...common('tuf', 'timestamp'), meta: { 'snapshot.json': metaEntry('tuf', snapshot, 1) } }, [repo.timestamp]);
    checkTargetsV2(repo, targets, snapshot, timestamp);
    for (const name of readdirSync(out)) for (const p of PEOPLE) expect(readFileSync(join(out, name), 'latin1'), name).not.toContain(p.pin);
  });

  test('Notary, targets 1 key: Bob’s token key is refused before any PIN; Alice sees "targets/releases ADDED … CI", signs on her token; the merge writes 2.targets.json', async () => {
    const repo = repos.notary!;
    out = join(dir, 'out-notary');
    mkdirSync(out);
    // Bob's token key is not this repository's targets key: refused when checked, before any PIN.
    const bob = await session.open('cosign');
    await bob.choose('Signing request…', repo.requestPath);
    await bob.page.getByRole('checkbox', { name: /match the ones the administrator read out/ }).check();
    await pickTokenKey(bob.page, PEOPLE[1].label, 'targets-bob');
    await bob.page.getByRole('button', { name: 'Check this key' }).click();
    const unknown = bob.page.getByRole('alert').filter({ hasText: 'ROTATION_SIGNER_UNKNOWN' });
    await unknown.waitFor();
    expect(await unknown.innerText()).toContain('is not a targets key of root version 1: it has nothing to sign here (no PIN was asked)');
    expect(await bob.page.getByRole('dialog').count()).toBe(0);
    await bob.context.close();
    const alice = await cosign(PEOPLE[0], repo);
    const admin = await session.open('rotation');
    const { page } = admin;
    await admin.choose('Open a signing request…', repo.requestPath);
    await admin.choose('Add a response…', alice);
    const written = page.getByRole('status', { name: 'New targets written' });
    await written.waitFor({ timeout: 30_000 });
    expect(await page.getByRole('status', { name: 'Merge status' }).innerText()).toBe('1 of 1 targets keys: threshold met');
    expect(filesIn(/root\.json$/)).toEqual([]);
    expect(admin.errors).toEqual([]);

    const targets = new Uint8Array(readFileSync(join(out, '2.targets.json')));
    const snapshot = await sign('notary', { ...common('notary', 'snapshot'), meta: { root: metaEntry('notary', repo.rootV1, 1), targets: metaEntry('notary', targets, 2) } }, [repo.snapshot]);
    const timestamp = await sign('notary', { ...common('notary', 'timestamp'), meta: { snapshot: metaEntry('notary', snapshot, 1) } }, [repo.timestamp]);
    checkTargetsV2(repo, targets, snapshot, timestamp);
  });
});
