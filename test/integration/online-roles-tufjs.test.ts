/**
 * Online roles in TUF plans: the plan names an online service's snapshot and timestamp public keys (pinned
 * by SHA-256; one as key JSON, one as a PEM), the ceremony makes only the offline roles' keys and writes
 * root and targets; a separate key holder — a stand-in for the service, written with @tufjs/models and
 * node:crypto, not our signing code — signs snapshot and timestamp with the keys the plan named; the tuf-js
 * Updater, pinned at the ceremony's root v1, accepts the repository served from its hostable tree.
 */
import { outPath } from '../support/ceremony-out.js';
import { createHash, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize } from '@tufjs/canonical-json';
import { Metadata, MetaFile, Signature, Snapshot, Timestamp } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { afterAll, describe, expect, it } from 'vitest';
import { writeVerifiedTree } from '../../src/cli/tree.js';
import { parsePlan } from '../../src/ceremony/plan.js';
import { rehearsalPlan } from '../../src/ceremony/rehearsal-plan.js';
import { runCeremony } from '../../src/ceremony/machine.js';
import { RehearsalTokenProvider } from '../../src/ceremony/tokens.js';
import type { JsonObject } from '../../src/json/types.js';
import { openRehearsalTokens } from '../../src/signers/rehearsal.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { serveTree } from '../support/serve-tree.js';

const work = mkdtempSync(join(tmpdir(), 'tufc-online-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const enc = new TextEncoder();
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** The service's key pair, and its public key as TUF lists it (securesystemslib's ed25519 form). */
function serviceKey(): { privateKey: KeyObject; json: JsonObject; keyId: string; pem: string } {
  const pair = generateKeyPairSync('ed25519');
  const raw = pair.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  const json = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  return { privateKey: pair.privateKey, json, keyId: sha256(canonicalize(json)), pem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function planWithOnlineRoles(dir: string, snapshotFile: string, timestampFile: string): Uint8Array {
  const json = rehearsalPlan({ profile: 'tuf', repository: 'example.com/online', now: new Date() }) as JsonObject;
  json.snapshot = { keyFile: 'snapshot.pub.json', sha256: sha256(readFileSync(snapshotFile)) };
  json.timestamp = { keyFile: 'timestamp.pem', sha256: sha256(readFileSync(timestampFile)) };
  json.consistentSnapshot = true;
  const bytes = enc.encode(JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'plan.json'), bytes);
  return bytes;
}

describe('an online-roles TUF ceremony, then the service signs snapshot and timestamp', () => {
  it('tuf-js accepts the repository', async () => {
    const dir = join(work, 'ceremony');
    mkdirSync(dir);
    const snap = serviceKey();
    const ts = serviceKey();
    writeFileSync(join(dir, 'snapshot.pub.json'), JSON.stringify(snap.json));
    writeFileSync(join(dir, 'timestamp.pem'), ts.pem);
    const planBytes = planWithOnlineRoles(dir, join(dir, 'snapshot.pub.json'), join(dir, 'timestamp.pem'));
    const plan = parsePlan(planBytes, { rehearsal: true });
    const tokens = await openRehearsalTokens({ custodians: ['Alice', 'Bob', 'Carol'] });
    const provider = new RehearsalTokenProvider(tokens);
    const outDir = join(dir, 'out');
    try {
      await runCeremony({ planBytes, plan, planName: 'plan.json', planDir: dir, outDir, tokens: provider, resume: false });
    } finally {
      await provider.close();
    }
    // Only the offline roles' files.
    for (const f of ['root.json', '1.root.json', 'targets.json', '1.targets.json']) expect(existsSync(outPath(outDir, f)), f).toBe(true);
    for (const f of ['snapshot.json', 'timestamp.json', '1.snapshot.json']) expect(existsSync(outPath(outDir, f)), f).toBe(false);
    const root = new Uint8Array(readFileSync(outPath(outDir, 'root.json')));
    const rootJson = JSON.parse(Buffer.from(root).toString()) as { signed: { roles: Record<string, { keyids: string[] }>; keys: Record<string, JsonObject> } };
    // Root v1 lists the service's keys as the plan named them (key ID by the TUF rule).
    expect(rootJson.signed.roles.snapshot!.keyids).toEqual([snap.keyId]);
    expect(rootJson.signed.roles.timestamp!.keyids).toEqual([ts.keyId]);
    const targets = new Uint8Array(readFileSync(outPath(outDir, 'targets.json')));

    // The service: snapshot v1 and timestamp v1 with @tufjs/models, signed with node:crypto.
    const expires = formatExpires(new Date(Date.now() + 7 * 86_400_000));
    const snapshotMd = new Metadata(new Snapshot({ version: 1, expires, specVersion: '1.0.31', meta: { 'targets.json': new MetaFile({ version: 1, length: targets.length, hashes: { sha256: sha256(targets) } }) } }));
    snapshotMd.sign((data) => new Signature({ keyID: snap.keyId, sig: nodeSign(null, data, snap.privateKey).toString('hex') }));
    const snapshotBytes = enc.encode(JSON.stringify(snapshotMd.toJSON()));
    const timestampMd = new Metadata(new Timestamp({ version: 1, expires, specVersion: '1.0.31', snapshotMeta: new MetaFile({ version: 1, length: snapshotBytes.length, hashes: { sha256: sha256(snapshotBytes) } }) }));
    timestampMd.sign((data) => new Signature({ keyID: ts.keyId, sig: nodeSign(null, data, ts.privateKey).toString('hex') }));
    const timestampBytes = enc.encode(JSON.stringify(timestampMd.toJSON()));

    // The hostable tree (our verifier accepts the service's files too), served; tuf-js pinned at v1.
    const tree = join(work, 'tree');
    await writeVerifiedTree({ files: { versionedRoots: new Map([[1, root]]), targets, snapshot: snapshotBytes, timestamp: timestampBytes, delegated: new Map() }, trustedRoot: root, out: tree, now: new Date() });
    const http = await serveTree(tree);
    try {
      const metadataDir = mkdtempSync(join(work, 'md-'));
      writeFileSync(join(metadataDir, 'root.json'), root);
      const u = new Updater({ metadataDir, targetDir: mkdtempSync(join(work, 'tg-')), metadataBaseUrl: http.base, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
      await u.refresh();
      expect(http.requests).toEqual(['/2.root.json', '/timestamp.json', '/1.snapshot.json', '/1.targets.json']);
      expect(readFileSync(join(metadataDir, 'timestamp.json'))).toEqual(Buffer.from(timestampBytes));
      expect(await u.getTargetInfo('anything')).toBeUndefined();
    } finally {
      await http.close();
    }
  });
});

describe('online roles in a TUF plan: refusals', () => {
  const cases: { name: string; edit: (json: JsonObject, dir: string) => void; code: string; path?: string }[] = [
    {
      name: 'an online snapshot with a held timestamp',
      edit: (j, dir) => {
        const k = serviceKey();
        writeFileSync(join(dir, 's.json'), JSON.stringify(k.json));
        j.snapshot = { keyFile: 's.json', sha256: sha256(readFileSync(join(dir, 's.json'))) };
      },
      code: 'PLAN_INVALID',
      path: '$.snapshot',
    },
    { name: 'an online targets key', edit: (j) => void (j.targets = { keyFile: 't.json', sha256: 'a'.repeat(64) }), code: 'PLAN_INVALID', path: '$.targets' },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.code}`, () => {
      const dir = mkdtempSync(join(work, 'plan-'));
      const json = rehearsalPlan({ profile: 'tuf', repository: 'example.com/online', now: new Date() }) as JsonObject;
      c.edit(json, dir);
      let err: unknown;
      try {
        parsePlan(enc.encode(JSON.stringify(json)), { rehearsal: true });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: c.code, ...(c.path ? { path: c.path } : {}) });
    });
  }

  const fileCases: { name: string; content: (k: ReturnType<typeof serviceKey>) => string; sha?: string; code: string }[] = [
    { name: 'a private key where the service\'s public key belongs', content: (k) => k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), code: 'KEY_FILE_PRIVATE' },
    { name: 'a key file other than the one the plan pins', content: (k) => k.pem, sha: 'b'.repeat(64), code: 'PLAN_INPUT_MISMATCH' },
    { name: 'a file that is no key', content: () => '{"keytype":"ed25519"}', code: 'PLAN_INPUT_MISMATCH' },
  ];
  for (const c of fileCases) {
    it(`${c.name}: ${c.code}, nothing written`, async () => {
      const dir = mkdtempSync(join(work, 'bad-key-'));
      const k = serviceKey();
      const content = c.content(k);
      writeFileSync(join(dir, 'ts.key'), content);
      const json = rehearsalPlan({ profile: 'tuf', repository: 'example.com/online', now: new Date() }) as JsonObject;
      json.timestamp = { keyFile: 'ts.key', sha256: c.sha ?? sha256(content) };
      const planBytes = enc.encode(JSON.stringify(json));
      const tokens = await openRehearsalTokens({ custodians: ['Alice', 'Bob', 'Carol'] });
      const provider = new RehearsalTokenProvider(tokens);
      const outDir = join(dir, 'out');
      try {
        await expect(runCeremony({ planBytes, plan: parsePlan(planBytes, { rehearsal: true }), planName: 'plan.json', planDir: dir, outDir, tokens: provider, resume: false })).rejects.toMatchObject({ code: c.code });
      } finally {
        await provider.close();
      }
      expect(existsSync(outDir)).toBe(false);
    });
  }
});
