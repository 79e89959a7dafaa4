/**
 * A batch rotation on SoftHSM2 tokens through the CLI (issue #17): 50 Notary and 50 TUF repositories share
 * the custodians' token keys (Notary: one certificate per GUN from each); one batch request replaces
 * Carol by Dave in all 100; Alice and Bob each run `sign BATCH --module softhsm2 … --expect-hash` once (one
 * PIN, one review for all 100); `merge` writes root v2 of every repository, each following its v1 (TUF 5.3.4).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchCommand } from '../../src/cli/batch.js';
import { mergeCommand } from '../../src/cli/merge.js';
import { signCommand } from '../../src/cli/sign.js';
import type { JsonObject } from '../../src/json/types.js';
import type { ProfileName } from '../../src/profiles/profile.js';
import { buildRotationPayload, buildSigningRequest, serializeSigningRequest } from '../../src/rotation/index.js';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { listPublicKey, type ListedKey } from '../../src/signers/public-key-json.js';
import type { SigningKey } from '../../src/signers/signing-key.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { verifyRootUpdate } from '../../src/tuf/root-chain.js';
import { serializeMetadata, signMetadata } from '../../src/tuf/sign.js';
import { makeKey } from '../support/keys.js';
import { captureIo, tokenSignDeps } from '../support/cli-io.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const NAMES = ['Alice', 'Bob', 'Carol', 'Dave'] as const;
const PINS: Record<string, string> = { ALICE_PIN: 'alice-batch-1111', BOB_PIN: 'bob-batch-2222', CAROL_PIN: 'carol-batch-3333', DAVE_PIN: 'dave-batch-4444' };
const YEAR = 365 * 24 * 3600 * 1000;
const now = Math.floor(Date.now() / 1000) * 1000;
const PER_PROFILE = 50;
const enabled = existsSync(SOFTHSM);

let dir: string;
let savedConf: string | undefined;
const serials: Record<string, string> = {};
const repos: { profile: ProfileName; name: string; rootV1: Uint8Array; requestPath: string }[] = [];

async function listedFor(profile: ProfileName, key: SigningKey, gun: string): Promise<ListedKey> {
  if (profile === 'notary') return (await makeNotaryRootCertificate(key, { gun, notBefore: new Date(now - 60_000), notAfter: new Date(now + 10 * YEAR) })).listed;
  return listPublicKey('tuf', key.spki);
}

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-batch-'));
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  savedConf = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  for (const name of NAMES) execFileSync('softhsm2-util', ['--init-token', '--free', '--label', name.toLowerCase(), '--pin', PINS[`${name.toUpperCase()}_PIN`]!, '--so-pin', '12345678'], { env: process.env });
  const mod = await TokenModule.load(SOFTHSM);
  const sessions = [];
  try {
    for (const t of await mod.listTokens()) if (t.initialized) serials[t.label] = t.serial;
    const keys: Record<string, SigningKey> = {};
    for (const name of NAMES) {
      const session = await mod.openToken({ serial: serials[name.toLowerCase()]! });
      sessions.push(session);
      await session.login(PINS[`${name.toUpperCase()}_PIN`]!);
      keys[name] = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: `root-${name.toLowerCase()}` });
    }
    for (const profile of ['notary', 'tuf'] as const) {
      const other = { targets: await makeKey(profile, 'ecdsa-p256'), snapshot: await makeKey(profile, 'ecdsa-p256'), timestamp: await makeKey(profile, profile === 'notary' ? 'ed25519' : 'ecdsa-p256') };
      for (let i = 0; i < PER_PROFILE; i++) {
        const name = profile === 'notary' ? `registry.example.com/org/app-${i}` : `tuf-app-${i}`;
        const listed: Record<string, ListedKey> = {};
        for (const n of NAMES) listed[n] = await listedFor(profile, keys[n]!, name);
        const table: JsonObject = {};
        for (const k of [listed.Alice!, listed.Bob!, listed.Carol!]) table[k.keyId] = k.json;
        for (const k of [other.targets, other.snapshot, other.timestamp]) table[k.keyId] = k.json;
        const signed: JsonObject = {
          _type: profile === 'notary' ? 'Root' : 'root',
          consistent_snapshot: false,
          expires: formatExpires(new Date(now + 5 * YEAR)),
          keys: table,
          roles: {
            root: { keyids: [listed.Alice!.keyId, listed.Bob!.keyId, listed.Carol!.keyId], threshold: 2 },
            snapshot: { keyids: [other.snapshot.keyId], threshold: 1 },
            targets: { keyids: [other.targets.keyId], threshold: 1 },
            timestamp: { keyids: [other.timestamp.keyId], threshold: 1 },
          },
          version: 1,
          ...(profile === 'tuf' ? { spec_version: '1.0.31' } : {}),
        };
        const rootV1 = serializeMetadata(profile, await signMetadata(profile, signed, [metadataSigner(keys.Alice!, listed.Alice!), metadataSigner(keys.Bob!, listed.Bob!)]));
        const payload = buildRotationPayload(
          rootV1,
          { expires: formatExpires(new Date(now + 6 * YEAR)), root: { replace: [{ old: listed.Carol!.keyId, new: { json: listed.Dave!.json, name: 'Dave' }, reason: 'retired' }] } },
          { names: new Map(['Alice', 'Bob', 'Carol'].map((n) => [listed[n]!.keyId, n])) },
        );
        const requestPath = join(dir, `request-${profile}-${i}.json`);
        writeFileSync(requestPath, serializeSigningRequest(buildSigningRequest(payload, { repository: name })));
        repos.push({ profile, name, rootV1, requestPath });
      }
    }
  } finally {
    for (const s of sessions) await s.close();
  }
}, 300_000);

afterAll(() => {
  if (!enabled) return;
  if (savedConf === undefined) delete process.env.SOFTHSM2_CONF;
  else process.env.SOFTHSM2_CONF = savedConf;
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!enabled)('batch rotation of 50 Notary + 50 TUF repositories on SoftHSM2 tokens (CLI batch / sign / merge)', () => {
  it('one review and one hash for all 100; each co-signer signs once; merged per repository', async () => {
    const batchPath = join(dir, 'batch.json');
    let c = captureIo();
    expect(await batchCommand(repos.map((r) => r.requestPath), { out: batchPath, json: true }, c.io)).toBe(0);
    const made = JSON.parse(c.out.join('\n')) as { shortHash: string; repositories: number; summary: { change: string[]; repositories: unknown[] }; exceptions: unknown[] };
    expect(made.repositories).toBe(2 * PER_PROFILE);
    expect(made.summary.repositories).toHaveLength(2 * PER_PROFILE);
    expect(made.exceptions).toEqual([]);
    expect(made.summary.change[0]).toMatch(/^root key "Carol" \(fingerprint [0-9a-f ]+\) replaced by "Dave" \(fingerprint [0-9a-f ]+\) — retired$/);

    const signDeps = tokenSignDeps(PINS);
    const responses: string[] = [];
    for (const name of ['Bob', 'Alice'] as const) {
      c = captureIo();
      const out = join(dir, `${name.toLowerCase()}.json`);
      const status = await signCommand(batchPath, { out, module: 'softhsm2', token: serials[name.toLowerCase()]!, label: `root-${name.toLowerCase()}`, pinEnv: `${name.toUpperCase()}_PIN`, expectHash: made.shortHash }, c.io, signDeps);
      expect([name, status, c.err]).toEqual([name, 0, []]);
      expect(c.out.join('\n')).toContain(`In ${2 * PER_PROFILE} repositories: root key "Carol"`);
      expect(c.out.join('\n')).toContain(`signatures for ${2 * PER_PROFILE} of ${2 * PER_PROFILE} repositories`);
      responses.push(out);
    }
    // Bob alone meets neither 2-of-3 threshold anywhere: refused, nothing written.
    c = captureIo();
    const merged = join(dir, 'merged');
    expect(await mergeCommand(batchPath, responses.slice(0, 1), { out: merged }, c.io)).toBe(1);
    expect(c.err[0]).toMatch(new RegExp(`^error\\[THRESHOLD_NOT_MET\\]: the batch is not complete: 0 of ${2 * PER_PROFILE} repositories complete`));
    c = captureIo();
    expect(await mergeCommand(batchPath, responses, { out: merged, json: true }, c.io)).toBe(0);
    const report = JSON.parse(c.out.join('\n')) as { final: boolean; status: string };
    expect(report.final).toBe(true);
    expect(report.status).toBe(`${2 * PER_PROFILE} of ${2 * PER_PROFILE} repositories complete`);
    for (const r of repos) {
      const v1 = parseMetadata(r.rootV1, 'root', { maxBytes: 1 << 20, source: 'v1' });
      const v2 = parseMetadata(readFileSync(join(merged, r.name, 'root.json')), 'root', { maxBytes: 1 << 20, source: 'v2' });
      expect(v2.profile.name).toBe(r.profile);
      expect(() => verifyRootUpdate(v1, v2)).not.toThrow();
    }
  }, 300_000);
});
