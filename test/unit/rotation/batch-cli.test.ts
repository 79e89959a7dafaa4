import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRootUpdate } from '../../../src/tuf/root-chain.js';
import { buildRotationPayload, buildSigningRequest, parseBatchRequest, serializeBatchResponse, serializeSigningRequest, signBatch, type BatchRequest } from '../../../src/rotation/index.js';
import { backupOnShareCards, EXPIRES_V2, makeCustodian, rootFixture, type Custodian } from './support.js';
import { captureIo } from '../../support/cli-io.js';
import { expectNoSecrets, expectVerifiesAndRefusesTampering } from '../../support/session-transcripts.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { parseShareCard } from '../../../src/shamir/index.js';
import { createHash } from 'node:crypto';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const REPOS = ['site/app-1', 'site/app-2', 'site/app-3'];

describe('tuf-ceremony batch / sign / merge of a batch (share cards, files)', () => {
  let dir: string;
  let cardPaths: string[];
  let alice: Custodian;
  let bob: Custodian;
  let dave: Custodian;
  const roots = new Map<string, Uint8Array>();

  beforeAll(async () => {
    dir = tmp('tufc-batch-cli-');
    const cards = await backupOnShareCards(dir);
    cardPaths = cards.cardPaths;
    alice = await makeCustodian('tuf', 'Alice');
    bob = await makeCustodian('tuf', 'Bob');
    dave = await makeCustodian('tuf', 'Dave');
    for (const [i, repo] of REPOS.entries()) {
      const fx = await rootFixture('tuf', [alice, bob, cards.backup]);
      roots.set(repo, fx.rootV1);
      const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: alice.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'lost' }] } }, { names: fx.names });
      writeFileSync(join(dir, `request-${i}.json`), serializeSigningRequest(buildSigningRequest(payload, { repository: repo })));
    }
  }, 60_000);

  it('batch → sign (one review, the batch hash checked) → merge per repository into a new folder', async () => {
    const c = captureIo();
    const batchPath = join(dir, 'batch.json');
    expect(await runCli(['batch', ...REPOS.map((_, i) => join(dir, `request-${i}.json`)), '--out', batchPath, '--json'], c.io)).toBe(0);
    const made = JSON.parse(c.out.join('\n')) as { batchId: string; shortHash: string; repositories: number; summary: { change: string[] } };
    expect(made.repositories).toBe(3);
    expect(made.summary.change[0]).toMatch(/^root key "Alice" \(fingerprint [0-9a-f ]+\) replaced by "Dave"/);
    const batch: BatchRequest = parseBatchRequest(readFileSync(batchPath));

    // A wrong hash read out: refused before the cards are touched.
    const wrong = captureIo();
    expect(await runCli(['sign', batchPath, '--share-card', ...cardPaths, '--out', join(dir, 'never.json'), '--expect-hash', 'ab'.repeat(16)], wrong.io)).toBe(1);
    expect(wrong.err[0]).toMatch(/^error\[ROTATION_REQUEST_TAMPERED\]/);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);

    // --full names every repository of a batch; a single request's review is complete already: refused, not ignored.
    const single = captureIo();
    expect(await runCli(['sign', join(dir, 'request-0.json'), '--share-card', ...cardPaths, '--out', join(dir, 'never.json'), '--full'], single.io)).toBe(2);
    expect(single.err[0]).toMatch(/^error\[USAGE\]: --full names every repository of a batch request/);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);

    // Witnesses and the bundle form are not carried by a batch response: refused, never dropped silently.
    for (const extra of [['--witness', 'Wendy'], ['--bundle']]) {
      const w = captureIo();
      expect(await runCli(['sign', batchPath, '--share-card', ...cardPaths, '--out', join(dir, 'never.json'), ...extra], w.io)).toBe(2);
      expect(w.err[0]).toMatch(/^error\[USAGE\]: a batch response records no witnesses/);
      expect(existsSync(join(dir, 'never.json'))).toBe(false);
    }

    const s = captureIo();
    const backupResponse = join(dir, 'backup.json');
    expect(await runCli(['sign', batchPath, '--share-card', ...cardPaths, '--out', backupResponse, '--expect-hash', made.shortHash, '--json'], s.io)).toBe(0);
    const signed = JSON.parse(s.out.join('\n')) as { form: string; signed: number; review: { lines: string[] } };
    expect(signed.form).toBe('batch-response');
    expect(signed.signed).toBe(3);
    expect(s.err.join('\n')).toContain('In 3 repositories: root key "Alice"');
    // The repositories the change covers, by name, right under it (review-13a L4).
    expect(s.err.join('\n')).toContain('\n  repositories: "site/app-1", "site/app-2", "site/app-3"\n');
    // The co-signer's session transcript (issue #16), as for a single request: sealed by the key rebuilt
    // from the cards; every repository signed is in it; the cards are not.
    const cosign = JSON.parse(s.out.join('\n')) as { transcript: string; sealKeyId: string };
    expect(cosign.transcript).toBe(`${backupResponse}.transcript.jsonl`);
    const cosignBytes = readFileSync(cosign.transcript);
    const v = verifyTranscript(cosignBytes, { expectedSealKeyId: cosign.sealKeyId });
    expect(v.header).toMatchObject({ kind: 'co-sign', repository: 'batch of 3 repositories', planHash: sha(readFileSync(batchPath)) });
    expect(v.entries.map((e) => e.step)).toEqual(['request.review', 'co-sign', 'co-sign', 'co-sign', 'co-sign.response']);
    expect(v.entries.slice(1, 4).map((e) => e.note)).toEqual(REPOS.map((r) => `tuf repository ${r}: 1 signature made and verified`));
    expect(v.entries[4]!.outputs).toEqual([{ name: 'backup.json', sha256: sha(readFileSync(backupResponse)) }]);
    // No share (the secret bytes each card carries) in any encoding.
    expectNoSecrets(cosignBytes, cardPaths.map((p) => parseShareCard(readFileSync(p)).share));
    await expectVerifiesAndRefusesTampering(cosign.transcript, cosignBytes, dir, { sealKeyId: cosign.sealKeyId });

    // Bob and Dave answer with their own batch responses (software keys).
    const bobPath = join(dir, 'bob.json');
    writeFileSync(bobPath, serializeBatchResponse((await signBatch(batch, bob.key, { name: 'Bob' })).response));
    const davePath = join(dir, 'dave.json');
    writeFileSync(davePath, serializeBatchResponse((await signBatch(batch, dave.key, { name: 'Dave' })).response));

    // Backup alone meets neither 2-of-3 threshold: a partial result is refused, nothing written.
    const p = captureIo();
    const out = join(dir, 'merged');
    expect(await runCli(['merge', batchPath, backupResponse, '--out', out], p.io)).toBe(1);
    expect(p.err[0]).toMatch(/^error\[THRESHOLD_NOT_MET\]: the batch is not complete: 0 of 3 repositories complete/);
    expect(existsSync(out)).toBe(false);

    const m = captureIo();
    expect(await runCli(['merge', batchPath, davePath, bobPath, backupResponse, '--out', out, '--json'], m.io)).toBe(0);
    const merged = JSON.parse(m.out.join('\n')) as { final: boolean; transcript: string; repositories: { repository: string; file: string }[] };
    expect(merged.final).toBe(true);
    // The merge session's transcript, beside the folder: hash-chained, unsealed, ended.
    expect(merged.transcript).toBe(`${out}.transcript.jsonl`);
    const mergeBytes = readFileSync(merged.transcript);
    const mv = verifyTranscript(mergeBytes, { allowUnsealed: true });
    expect(mv.header).toMatchObject({ kind: 'merge', repository: 'batch of 3 repositories' });
    expect(mv.entries.map((e) => e.step)).toEqual(['merge.inputs', 'merge', 'merge', 'merge', 'session.end']);
    expect(mv.entries[0]!.inputs.map((f) => f.name)).toEqual(['batch.json', 'dave.json', 'bob.json', 'backup.json']);
    expect(mv.entries.slice(1, 4).map((e) => e.outputs)).toEqual(REPOS.map((r) => [{ name: `${r}/root.json`, sha256: sha(readFileSync(join(out, r, 'root.json'))) }]));
    await expectVerifiesAndRefusesTampering(merged.transcript, mergeBytes, dir, {});
    for (const repo of REPOS) {
      const bytes = readFileSync(join(out, repo, 'root.json'));
      const previous = parseMetadata(roots.get(repo)!, 'root', { maxBytes: 1 << 20, source: 'v1' });
      const next = parseMetadata(bytes, 'root', { maxBytes: 1 << 20, source: 'v2' });
      expect(() => verifyRootUpdate(previous, next)).not.toThrow();
    }
    // Never over an existing folder.
    const again = captureIo();
    expect(await runCli(['merge', batchPath, davePath, bobPath, backupResponse, '--out', out], again.io)).toBe(2);
    expect(again.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]/);
  }, 120_000);
});
