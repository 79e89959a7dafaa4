/**
 * A Notary root rotation co-signed across "air gaps" on SoftHSM2 tokens, through the CLI: root v1 2-of-3
 * (Alice, Bob, Carol; ecdsa-x509 certificates made on the tokens) → v2 2-of-3 (Alice, Bob, Dave: Carol's
 * key retired). Carol signs for the old root only, Dave for the new only, Alice for both; each with
 * `tuf-ceremony sign --module … --token SERIAL --label … --pin-env VAR`; `merge` in the order the
 * responses come back. The result is verified by verifyRepository from the pinned v1, with targets,
 * snapshot and timestamp made for v2.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupHex, shortDigest } from '../../src/crypto/digest-words.js';
import { mergeCommand } from '../../src/cli/merge.js';
import { signCommand } from '../../src/cli/sign.js';
import type { JsonObject } from '../../src/json/types.js';
import { buildBatchRequest, buildRotationPayload, buildSigningRequest, serializeBatchRequest, serializeSigningRequest } from '../../src/rotation/index.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { expectNoSecrets } from '../support/session-transcripts.js';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import type { ListedKey } from '../../src/signers/public-key-json.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { serializeMetadata, signMetadata } from '../../src/tuf/sign.js';
import { makeKey, type TestKey } from '../support/keys.js';
import { metaEntry, sign, targetsSigned } from '../support/repo.js';
import { captureIo, tokenSignDeps } from '../support/cli-io.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const GUN = 'registry.example.com/org/rotation';
const NAMES = ['Alice', 'Bob', 'Carol', 'Dave'] as const;
const PINS: Record<string, string> = { ALICE_PIN: 'alice-rot-1111', BOB_PIN: 'bob-rot-2222', CAROL_PIN: 'carol-rot-3333', DAVE_PIN: 'dave-rot-4444' };
const SO_PIN = '12345678';
const YEAR = 365 * 24 * 3600 * 1000;
const now = Math.floor(Date.now() / 1000) * 1000;

let dir: string;
let savedConf: string | undefined;
const serials: Record<string, string> = {};
const listed: Record<string, ListedKey> = {};
let other: { targets: TestKey; snapshot: TestKey; timestamp: TestKey };
let rootV1: Uint8Array;

const enabled = existsSync(SOFTHSM);

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-rotation-'));
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  savedConf = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  for (const name of NAMES) {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', name.toLowerCase(), '--pin', PINS[`${name.toUpperCase()}_PIN`]!, '--so-pin', SO_PIN], { env: process.env });
  }
  const mod = await TokenModule.load(SOFTHSM);
  try {
    for (const t of await mod.listTokens()) if (t.initialized) serials[t.label] = t.serial;
    other = { targets: await makeKey('notary', 'ecdsa-p256'), snapshot: await makeKey('notary', 'ecdsa-p256'), timestamp: await makeKey('notary', 'ed25519') };
    const signersV1 = [];
    for (const name of NAMES) {
      const session = await mod.openToken({ serial: serials[name.toLowerCase()]! });
      await session.login(PINS[`${name.toUpperCase()}_PIN`]!);
      const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: `root-${name.toLowerCase()}` });
      const cert = await makeNotaryRootCertificate(key, { gun: GUN, notBefore: new Date(now - 60_000), notAfter: new Date(now + 10 * YEAR) });
      listed[name] = cert.listed;
      if (name === 'Alice' || name === 'Bob') signersV1.push({ session, signer: metadataSigner(key, cert.listed) });
      else await session.close();
    }
    const keys: JsonObject = {};
    for (const k of [listed.Alice!, listed.Bob!, listed.Carol!]) keys[k.keyId] = k.json;
    for (const k of [other.targets, other.snapshot, other.timestamp]) keys[k.keyId] = k.json;
    const signed: JsonObject = {
      _type: 'Root',
      consistent_snapshot: false,
      expires: formatExpires(new Date(now + 5 * YEAR)),
      keys,
      roles: {
        root: { keyids: [listed.Alice!.keyId, listed.Bob!.keyId, listed.Carol!.keyId], threshold: 2 },
        snapshot: { keyids: [other.snapshot.keyId], threshold: 1 },
        targets: { keyids: [other.targets.keyId], threshold: 1 },
        timestamp: { keyids: [other.timestamp.keyId], threshold: 1 },
      },
      version: 1,
    };
    rootV1 = serializeMetadata('notary', await signMetadata('notary', signed, signersV1.map((s) => s.signer)));
    for (const s of signersV1) await s.session.close();
  } finally {
    await mod.finalize();
  }
});

afterAll(() => {
  if (!enabled) return;
  if (savedConf === undefined) delete process.env.SOFTHSM2_CONF;
  else process.env.SOFTHSM2_CONF = savedConf;
  rmSync(dir, { recursive: true, force: true });
});

const signDeps = tokenSignDeps(PINS);

/** A key as the review identifies it: `key <12 hex>… (fingerprint <first 128 bits, 8 groups of 4>)`. */
function reviewKey(k: ListedKey): string {
  return `key ${k.keyId.slice(0, 12)}… (fingerprint ${groupHex(shortDigest(k.key.fingerprint).hex)})`;
}

describe.skipIf(!enabled)('notary root rotation co-signed on SoftHSM2 tokens (CLI sign / merge)', () => {
  it('2-of-3 old → 2-of-3 new, Carol retired for Dave; verified from the pinned v1', async () => {
    const payload = buildRotationPayload(
      rootV1,
      { expires: formatExpires(new Date(now + 6 * YEAR)), root: { replace: [{ old: listed.Carol!.keyId, new: { json: listed.Dave!.json, name: 'Dave' }, reason: 'retired' }] } },
      { names: new Map(['Alice', 'Bob', 'Carol'].map((n) => [listed[n]!.keyId, n])) },
    );
    const request = buildSigningRequest(payload, { repository: GUN });
    const requestPath = join(dir, 'request.json');
    writeFileSync(requestPath, serializeSigningRequest(request));

    const responses: string[] = [];
    for (const name of ['Carol', 'Dave', 'Alice'] as const) {
      const c = captureIo();
      const out = join(dir, `${name.toLowerCase()}.response.json`);
      const status = await signCommand(
        requestPath,
        { out, module: 'softhsm2', token: serials[name.toLowerCase()]!, label: `root-${name.toLowerCase()}`, pinEnv: `${name.toUpperCase()}_PIN` },
        c.io,
        signDeps,
      );
      expect([name, status, c.err]).toEqual([name, 0, []]);
      expect(c.out.join('\n')).toContain(`root: ${reviewKey(listed.Carol!)} named "Carol" is REPLACED by ${reviewKey(listed.Dave!)} named "Dave" (the old key loses the root role, the new one gains it) — retired\n`);
      expect(JSON.parse(readFileSync(out, 'utf8')).signer).toEqual({ name, token: { serial: serials[name.toLowerCase()], label: name.toLowerCase() } }); // serial and label name the token
      // The session transcript (issue #16): sealed by the token key in the same login; the PIN is not in it.
      const transcript = new Uint8Array(readFileSync(`${out}.transcript.jsonl`));
      expect(verifyTranscript(transcript).sealedBy!.fingerprint).toBe(listed[name]!.key.fingerprint);
      expectNoSecrets(transcript, [new TextEncoder().encode(PINS[`${name.toUpperCase()}_PIN`]!)]);
      responses.push(out);
    }

    // The same request as a batch of one, signed on a token (one PIN): its transcript is sealed by that key too.
    const batchPath = join(dir, 'batch.json');
    writeFileSync(batchPath, serializeBatchRequest(buildBatchRequest([request])));
    const bc = captureIo();
    const batchOut = join(dir, 'bob.batch-response.json');
    expect(await signCommand(batchPath, { out: batchOut, module: 'softhsm2', token: serials.bob!, label: 'root-bob', pinEnv: 'BOB_PIN', json: true }, bc.io, signDeps), bc.err.join('\n')).toBe(0);
    const batchTranscript = new Uint8Array(readFileSync(`${batchOut}.transcript.jsonl`));
    const bv = verifyTranscript(batchTranscript, { expectedSealKeyId: (JSON.parse(bc.out.join('')) as { sealKeyId: string }).sealKeyId });
    expect(bv.entries.map((e) => e.step)).toEqual(['request.review', 'co-sign', 'co-sign.response']);
    expect(bv.entries[1]!.token).toMatchObject({ serial: serials.bob });
    expectNoSecrets(batchTranscript, [new TextEncoder().encode(PINS.BOB_PIN!)]);

    const result = join(dir, '2.root.json');
    let c = captureIo();
    expect(await mergeCommand(requestPath, responses.slice(0, 2), { out: result, partial: true }, c.io)).toBe(0);
    expect(c.out[0]).toBe('1 of 2 old keys (of 3), 1 of 2 new keys (of 3); waiting for: Alice (old and new), Bob (old and new)');
    c = captureIo();
    expect(await mergeCommand(requestPath, responses, { out: result }, c.io)).toBe(0);
    expect(c.out[0]).toMatch(/^2 of 2 old keys \(of 3\), 2 of 2 new keys \(of 3\): both thresholds met/);
    const rootV2 = new Uint8Array(readFileSync(result));

    // The rest of the repository for v2, then a full verification from the pinned v1.
    const targets = await sign('notary', targetsSigned('notary', 1, { 'app.tar.gz': new TextEncoder().encode('app') }), [other.targets]);
    const snapshot = await sign('notary', { _type: 'Snapshot', version: 1, expires: formatExpires(new Date(now + YEAR)), meta: { root: metaEntry('notary', rootV2, 2), targets: metaEntry('notary', targets, 1) } }, [other.snapshot]);
    const timestamp = await sign('notary', { _type: 'Timestamp', version: 1, expires: formatExpires(new Date(now + 14 * 86_400_000)), meta: { snapshot: metaEntry('notary', snapshot, 1) } }, [other.timestamp]);
    const repo = verifyRepository(
      { versionedRoots: new Map([[1, rootV1], [2, rootV2]]), root: rootV2, targets, snapshot, timestamp, delegated: new Map() },
      { trustedRoot: rootV1, now: new Date(), gun: GUN, requireComplete: true },
    );
    expect(repo.root.signed.version).toBe(2);
    expect(repo.rootChain).toHaveLength(1);
    expect(repo.rootChain[0]!.byPrevious.signed.sort()).toEqual([listed.Alice!.keyId, listed.Carol!.keyId].sort());
    expect(repo.rootChain[0]!.bySelf.signed.sort()).toEqual([listed.Alice!.keyId, listed.Dave!.keyId].sort());
  });
});
