/**
 * The root ceremony machine on in-process software rehearsal tokens, both profiles: what it writes, that
 * it verifies as a client would (verifyRepository with the new root pinned; @tufjs/models for TUF), the
 * transcript (one entry per step, sealed by the first custodian's root key, marked as a rehearsal), the
 * Shamir backup, and the refusals that must leave nothing behind.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { outPath } from '../../support/ceremony-out.js';
import { join } from 'node:path';
import { Metadata, MetadataKind } from '@tufjs/models';
import { afterAll, describe, expect, it } from 'vitest';
import { CeremonyError, ERROR_CODES } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { runCeremony, STEPS, type CeremonyResult } from '../../../src/ceremony/machine.js';
import { parsePlan } from '../../../src/ceremony/plan.js';
import { readState } from '../../../src/ceremony/state.js';
import { parseInventory } from '../../../src/ceremony/inventory.js';
import { parseJsonStrict } from '../../../src/json/parse.js';
import { parseShareCard, withReconstructedKey } from '../../../src/shamir/index.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { cleanup, filesUnder, GUN, planBytesOf, preparePlan, recordingTokens, sha256, tempDir, type PreparedPlan } from './support.js';

afterAll(cleanup);

const CUSTODIANS = ['Alice', 'Bob', 'Carol'];

async function ceremony(p: PreparedPlan, outDir = p.dir): Promise<{ result: CeremonyResult; lines: string[] }> {
  const { provider } = await recordingTokens(CUSTODIANS);
  const lines: string[] = [];
  try {
    const result = await runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir, tokens: provider, report: (l) => lines.push(l) });
    return { result, lines };
  } finally {
    await provider.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<CeremonyError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    return err as CeremonyError;
  }
  throw new Error('expected a refusal');
}

// Outputs by file name, in their metadata/, secret/ or state/ folder (src/ceremony/layout.ts).
const read = (dir: string, name: string): Uint8Array => new Uint8Array(readFileSync(outPath(dir, name)));
const json = (dir: string, name: string): JsonObject => JSON.parse(readFileSync(outPath(dir, name), 'utf8')) as JsonObject;

describe('notary profile', () => {
  let p: PreparedPlan;
  let result: CeremonyResult;
  let lines: string[];

  it('runs every step and writes root.json, targets.json, snapshot.json (no timestamp: the server makes it)', async () => {
    p = preparePlan('notary');
    ({ result, lines } = await ceremony(p));
    expect(result.metadata).toEqual(['root.json', 'targets.json', 'snapshot.json']);
    expect(result.rehearsal).toBe(true);
    expect(result.resumed).toBe(false);
    for (const f of result.files) expect(existsSync(join(p.dir, f)), f).toBe(true);
    expect(existsSync(outPath(p.dir, 'timestamp.json'))).toBe(false);
    // Publishable, secret and the ceremony's records apart (issue #16): only metadata in metadata/.
    expect(readdirSync(join(p.dir, 'metadata')).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json']);
    expect(readdirSync(join(p.dir, 'secret')).sort()).toEqual(['share-card-1-of-3.txt', 'share-card-2-of-3.txt', 'share-card-3-of-3.txt', 'share-cards.html']);
    expect(readdirSync(join(p.dir, 'state')).sort()).toEqual(['ceremony-state.json', 'key-inventory.json', 'transcript.html', 'transcript.jsonl']);
    expect(statSync(join(p.dir, 'secret')).mode & 0o777).toBe(0o700);
    expect(result.metadataDir).toBe(join(p.dir, 'metadata'));
    expect(result.transcriptPath).toBe(join(p.dir, 'state', 'transcript.jsonl'));
    expect(lines[0]).toMatch(/^plan intent hash \(SHA-256 of the plan file\): /);
    expect(lines[0]!.replace(/^.*: /, '').replaceAll(' ', '')).toBe(sha256(p.bytes));
    expect(lines.join('\n')).toMatch(/REHEARSAL: in-process software token/);
  });

  it('the metadata verifies with the new root pinned, the GUN checked against the root certificates', () => {
    const root = read(p.dir, 'root.json');
    const v = verifyRepository(
      { versionedRoots: new Map(), root, targets: read(p.dir, 'targets.json'), snapshot: read(p.dir, 'snapshot.json'), delegated: new Map() },
      { trustedRoot: root, now: new Date(), gun: GUN },
    );
    expect(v.rootResult).toMatchObject({ verified: true, threshold: 2 });
    expect(v.rootResult.signed).toHaveLength(2);
    expect(v.absent).toEqual(['timestamp']);
    const role = v.root.signed.roles.get('root')!;
    expect(role.keyids).toEqual(result.rootKeyIds);
    for (const id of role.keyids) {
      const k = v.root.signed.keys.get(id)!;
      expect(k.key.keytype).toBe('ecdsa-x509');
      expect(k.key.certificate).toMatchObject({ subjectCN: GUN, isCA: false });
    }
    // The server's timestamp key, exactly as served.
    const ts = json(p.dir, 'timestamp.key');
    expect((json(p.dir, 'root.json').signed as JsonObject).keys).toMatchObject({ [result.keyIds.timestamp]: { keytype: 'ed25519', keyval: { private: null, public: (ts.keyval as JsonObject).public } } });
    expect(v.root.signed.roles.get('timestamp')!.keyids).toEqual([result.keyIds.timestamp]);
  });

  it('writes the files as notary does: envelope order, empty delegations, snapshot over root and targets', () => {
    const root = readFileSync(outPath(p.dir, 'root.json'), 'utf8');
    expect(root.startsWith('{"signed":{"_type":"Root","consistent_snapshot":false,')).toBe(true);
    expect(root).toMatch(/"signatures":\[\{"keyid":"[0-9a-f]{64}","method":"ecdsa","sig":"/);
    const targets = json(p.dir, 'targets.json').signed as JsonObject;
    expect(targets).toMatchObject({ _type: 'Targets', version: 1, targets: {}, delegations: { keys: {}, roles: [] } });
    const snapshot = json(p.dir, 'snapshot.json').signed as JsonObject;
    expect(Object.keys(snapshot.meta as JsonObject).sort()).toEqual(['root', 'targets']);
    expect((snapshot.meta as JsonObject).root).toEqual({
      hashes: { sha256: Buffer.from(sha256(read(p.dir, 'root.json')), 'hex').toString('base64'), sha512: expect.any(String) },
      length: read(p.dir, 'root.json').length,
    });
    expect(parseMetadata(read(p.dir, 'root.json'), 'root', { maxBytes: 1 << 20, source: 'root.json' }).signed.expiresText).toBe(p.plan.root.expires.text);
  });

  it('the transcript: sealed by Alice’s root key, one entry per step, a rehearsal, the plan’s hash', () => {
    const t = verifyTranscript(read(p.dir, 'transcript.jsonl'), { expectedSealKeyId: result.sealKeyId });
    expect(t.sealed && t.sealKeyPinned).toBe(true);
    expect(t.rehearsal).toBe(true);
    expect(t.header).toMatchObject({ kind: 'root', profile: 'notary', repository: GUN, planHash: sha256(p.bytes) });
    const steps = t.entries.map((e) => e.step);
    for (const s of STEPS) expect(steps.filter((x) => x === `ceremony.${s.name}`), s.name).toHaveLength(1);
    expect(steps[0]).toBe('plan.review');
    expect(steps.filter((s) => s === 'token.check')).toHaveLength(3);
    expect(steps.filter((s) => s === 'root.sign')).toHaveLength(2);
    expect(steps).toContain('shamir.split');
    expect(steps).toContain('key.server');
    const signs = t.entries.filter((e) => e.step === 'root.sign');
    expect(signs.map((e) => e.actor.name)).toEqual(['Alice', 'Bob']);
    expect(signs[0]!.token!.keyId).toBe(result.rootKeyIds[0]);
    expect(readFileSync(outPath(p.dir, 'transcript.html'), 'utf8')).toMatch(/REHEARSAL/);
  });

  it('the state holds public facts only, every step done', () => {
    const state = readState(parseJsonStrict(read(p.dir, 'ceremony-state.json'), { maxBytes: 1 << 22, path: '$' }));
    expect(state.sealed).toBe(true);
    for (const s of STEPS) expect(state.steps[s.name]?.status).toBe('done');
    expect(Object.keys(state.keys).sort()).toEqual(['root/Alice', 'root/Bob', 'root/Carol', 'root/shamir', 'snapshot', 'targets', 'timestamp']);
    expect(state.outputs['root.json']).toBe(sha256(read(p.dir, 'root.json')));
  });

  it('the key inventory (issue #17): every key of the state with its role in this repository, custodian, token and CKA_ID, as a multi-repository ceremony writes it', () => {
    const state = readState(parseJsonStrict(read(p.dir, 'ceremony-state.json'), { maxBytes: 1 << 22, path: '$' }));
    const inv = parseInventory(read(p.dir, 'key-inventory.json'));
    const rows = inv.keys.map((k) => [k.fingerprint, k.custodian ?? null, k.ckaId ?? null, k.roles.map((r) => `${r.role} ${r.repository} ${r.profile} ${r.keyId}`)]);
    const want = Object.values(state.keys).map((k) => [k.fingerprint, k.custodian ?? null, k.tokenKeyId ?? null, [`${k.role} ${GUN} notary ${k.keyId}`]]);
    expect(rows).toEqual(want);
    expect(inv.keys.every((k) => k.rehearsal)).toBe(true);
    // Root keys: the certificate's expiry is the root's; every role's metadata expiry as planned.
    const root = parseMetadata(read(p.dir, 'root.json'), 'root', { maxBytes: 1 << 20, source: 'root.json' });
    const alice = inv.keys.find((k) => k.custodian === 'Alice' && k.roles[0]!.role === 'root')!;
    expect(alice.roles[0]).toMatchObject({ expires: root.signed.expiresText, certificateExpires: root.signed.expiresText });
    expect(alice.token).toEqual(state.tokens['Alice']);
  });

  it('the share cards rebuild the software root key that root.json lists; written 0600', async () => {
    const cards = [1, 3].map((i) => parseShareCard(read(p.dir, `share-card-${i}-of-3.txt`)));
    const state = readState(parseJsonStrict(read(p.dir, 'ceremony-state.json'), { maxBytes: 1 << 22, path: '$' }));
    const fp = await withReconstructedKey(cards, (k) => k.fingerprint);
    expect(fp).toBe(state.keys['root/shamir']!.fingerprint);
    expect(result.rootKeyIds[3]).toBe(state.keys['root/shamir']!.keyId);
    expect(cards[0]!.rehearsal).toBe(true);
    for (const f of ['share-card-1-of-3.txt', 'share-cards.html']) expect(statSync(outPath(p.dir, f)).mode & 0o777).toBe(0o600);
  });

  it('never overwrites: the same ceremony again is complete; a new one refuses a folder holding outputs', async () => {
    const before = filesUnder(p.dir);
    const again = await refusal(ceremony(p));
    expect(again.code).toBe('CEREMONY_COMPLETE');
    expect(ERROR_CODES[again.code].cls).toBe('usage');
    const other = tempDir();
    writeFileSync(join(other, 'root.json'), 'mine');
    const clash = await refusal(ceremony(p, other));
    expect(clash.code).toBe('OUTPUT_EXISTS');
    expect([...filesUnder(other).keys()]).toEqual(['root.json']);
    expect(clash.message).toMatch(/older version/);
    // In the new layout too: a metadata file already in metadata/ is never overwritten.
    const third = tempDir();
    mkdirSync(join(third, 'metadata'));
    writeFileSync(join(third, 'metadata', 'targets.json'), 'mine');
    const clash2 = await refusal(ceremony(p, third));
    expect(clash2.code).toBe('OUTPUT_EXISTS');
    expect(clash2.path).toBe(join(third, 'metadata', 'targets.json'));
    expect([...filesUnder(third).keys()]).toEqual(['metadata/targets.json']);
    expect(filesUnder(p.dir)).toEqual(before);
  });
});

describe('tuf profile', () => {
  let p: PreparedPlan;
  let result: CeremonyResult;

  it('writes root, 1.root, targets, snapshot and timestamp, all v1', async () => {
    p = preparePlan('tuf');
    ({ result } = await ceremony(p));
    expect(result.metadata).toEqual(['root.json', '1.root.json', 'targets.json', 'snapshot.json', 'timestamp.json']);
    expect(read(p.dir, '1.root.json')).toEqual(read(p.dir, 'root.json'));
  });

  it('verifies completely with the new root pinned', () => {
    const root = read(p.dir, 'root.json');
    const files = { versionedRoots: new Map([[1, root]]), root, targets: read(p.dir, 'targets.json'), snapshot: read(p.dir, 'snapshot.json'), timestamp: read(p.dir, 'timestamp.json'), delegated: new Map() };
    const v = verifyRepository(files, { trustedRoot: root, now: new Date(), requireComplete: true });
    expect(v.rootResult.signed).toHaveLength(2);
    expect(v.root.signed.roles.get('root')!.keyids).toHaveLength(4);
  });

  it('@tufjs/models accepts every role’s signatures', () => {
    const root = Metadata.fromJSON(MetadataKind.Root, json(p.dir, 'root.json') as never);
    root.verifyDelegate('root', root);
    root.verifyDelegate('targets', Metadata.fromJSON(MetadataKind.Targets, json(p.dir, 'targets.json') as never));
    root.verifyDelegate('snapshot', Metadata.fromJSON(MetadataKind.Snapshot, json(p.dir, 'snapshot.json') as never));
    root.verifyDelegate('timestamp', Metadata.fromJSON(MetadataKind.Timestamp, json(p.dir, 'timestamp.json') as never));
    expect(root.signed.roles.root!.threshold).toBe(2);
  });
});

describe('refusals before anything is written', () => {
  it('a server key file that is not the one reviewed', async () => {
    const p = preparePlan('notary');
    writeFileSync(join(p.dir, 'timestamp.key'), '{"keytype":"ed25519","keyval":{"public":"AAAA","private":null}}');
    const err = await refusal(ceremony(p, join(p.dir, 'out')));
    expect(err.code).toBe('PLAN_INPUT_MISMATCH');
    expect(existsSync(join(p.dir, 'out'))).toBe(false);
  });

  it('a plan whose targets already expired', async () => {
    const p = preparePlan('tuf');
    const json2 = structuredClone(p.json);
    (json2.targets as JsonObject).expires = '2001-01-01T00:00:00Z';
    const bytes = planBytesOf(json2);
    const { provider } = await recordingTokens(CUSTODIANS);
    const err = await refusal(runCeremony({ planBytes: bytes, plan: parsePlan(bytes, { rehearsal: true }), planName: 'plan.json', planDir: p.dir, outDir: join(p.dir, 'out'), tokens: provider }));
    expect([err.code, err.path]).toEqual(['PLAN_INVALID', '$.targets.expires']);
    expect(existsSync(join(p.dir, 'out'))).toBe(false);
  });

  it('a rehearsal never resumes: an existing state is refused', async () => {
    const p = preparePlan('tuf');
    await ceremony(p, join(p.dir, 'a'));
    const { provider } = await recordingTokens(CUSTODIANS);
    const err = await refusal(runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: join(p.dir, 'a'), tokens: provider, resume: false }));
    expect(err.code).toBe('OUTPUT_EXISTS');
  });
});
