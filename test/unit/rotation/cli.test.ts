import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import type { JsonObject } from '../../../src/json/types.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRootUpdate } from '../../../src/tuf/root-chain.js';
import {
  buildRotationPayload,
  buildSigningRequest,
  inspectRotationDocument,
  parseSigningRequest,
  requestIdForDocument,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequest,
  type SigningRequest,
} from '../../../src/rotation/index.js';
import { backupOnShareCards, EXPIRES_V2, makeCustodian, rootFixture, type Custodian, type RootFixture } from './support.js';
import { captureIo } from '../../support/cli-io.js';
import { expectNoSecrets, expectVerifiesAndRefusesTampering } from '../../support/session-transcripts.js';
import { parseShareCard } from '../../../src/shamir/index.js';
import { makeSeal } from '../../../src/audit/seal.js';
import { recordLine } from '../../../src/audit/schema.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { groupHex, groupWords } from '../../../src/crypto/digest-words.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

describe('tuf-ceremony sign / merge (share cards, files)', () => {
  let dir: string;
  let fx: RootFixture;
  let dave: Custodian;
  let request: SigningRequest;
  let requestPath: string;
  let cardPaths: string[];

  beforeAll(async () => {
    dir = tmp('tufc-rotation-cli-');
    // Root keys: Alice, Bob (software) and a backup key split 2-of-3 onto share cards.
    const cards = await backupOnShareCards(dir);
    cardPaths = cards.cardPaths;
    fx = await rootFixture('tuf', ['Alice', 'Bob', cards.backup]);
    dave = await makeCustodian('tuf', 'Dave');
    const alice = fx.custodians[0]!;
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: alice.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'lost' }] } }, { names: fx.names });
    request = buildSigningRequest(payload, { repository: 'example-repo' });
    requestPath = join(dir, 'request.json');
    writeFileSync(requestPath, serializeSigningRequest(request));
  });

  it('inspect: the review names Alice and Dave, with the hash as words', () => {
    const ins = inspectRotationDocument(readFileSync(requestPath), 'request.json')!;
    expect(ins.kind).toBe('signing-request');
    expect(ins.text).toMatch(/root: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Alice\" is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\"/);
    expect(ins.text).toMatch(/  key [0-9a-f]{12}… named "Backup"  \(old and new root\)/);
  });

  it('tuf-ceremony inspect REQUEST prints the same review', async () => {
    const c = captureIo();
    expect(await runCli(['inspect', requestPath], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/root: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Alice\" is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\"/);
  });

  it('sign with share cards, merge partial / final; outputs never overwritten', async () => {
    const review = inspectRotationDocument(readFileSync(requestPath), 'request.json')!;
    const digest = (review.json as { digest: { hex: string } }).digest;

    // wrong expected hash: refused before anything is rebuilt
    let c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', join(dir, 'never.json'), '--share-card', ...cardPaths, '--expect-hash', '0'.repeat(32)], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_REQUEST_TAMPERED\]/);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);

    // The 64-bit short hash of earlier versions (16 hex digits or 8 words), even the right one: refused, not compared on its first bytes.
    const words = (review.json as { digest: { words: string[] } }).digest.words;
    for (const old of [digest.hex.slice(0, 16), groupHex(digest.hex.slice(0, 16)), words.slice(0, 8).join(' ')]) {
      c = captureIo();
      expect(await runCli(['sign', requestPath, '--out', join(dir, 'never.json'), '--share-card', ...cardPaths, '--expect-hash', old], c.io)).toBe(2);
      expect(c.err[0]).toMatch(/^error\[HASH_TOO_SHORT\]: --expect-hash gives 8 bytes \(64 bits\); the short hash compared is 16 bytes \(128 bits/);
      expect(existsSync(join(dir, 'never.json'))).toBe(false);
    }
    // A word dropped: located.
    c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', join(dir, 'never.json'), '--share-card', ...cardPaths, '--expect-hash', [words[0], ...words.slice(2)].join(' ')], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[USAGE\]: --expect-hash .* word 2, .* is from the wrong list/);
    // The 16 words as read aloud, in their groups, are accepted like the 32 hex digits (a dry check: wrong file refused after).
    c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', join(dir, 'never.json'), '--share-card', cardPaths[0]!, '--expect-hash', groupWords(words)], c.io)).toBe(1);
    expect(c.err[0]).not.toMatch(/HASH_TOO_SHORT|ROTATION_REQUEST_TAMPERED|USAGE/);

    c = captureIo();
    const r1 = join(dir, 'backup.response.json');
    // A witness name that is not shown text: a usage error, nothing written.
    expect(await runCli(['sign', requestPath, '--out', r1, '--share-card', ...cardPaths, '--expect-hash', digest.hex, '--witness', 'Dana\u202e'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[USAGE\]: --witness: /);
    c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', r1, '--share-card', ...cardPaths, '--expect-hash', digest.hex, '--witness', 'Dana Witness', 'Eve Auditor', '--json'], c.io)).toBe(0);
    const out = JSON.parse(c.out.join('')) as JsonObject;
    expect(out).toMatchObject({ ok: true, requestId: request.requestId, signer: { name: 'Backup' }, witnesses: ['Dana Witness', 'Eve Auditor'] });
    // The optional witness line is in the response written.
    expect(JSON.parse(readFileSync(r1, 'utf8')).witnesses).toEqual(['Dana Witness', 'Eve Auditor']);
    expect(c.err.join('\n')).toMatch(/is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\"/);

    // never overwritten
    c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', r1, '--share-card', ...cardPaths], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]/);

    // partial: refused without --partial, a status with it
    const result = join(dir, 'root.v2.json');
    c = captureIo();
    expect(await runCli(['merge', requestPath, r1, '--out', result], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROOT_NOT_SIGNED_BY_PREVIOUS\]: root version 2 is not final: 1 of 2 old keys \(of 3\), 1 of 2 new keys \(of 3\); waiting for: Bob \(old and new\), Dave \(new\)/);
    c = captureIo();
    expect(await runCli(['merge', requestPath, r1, '--out', result, '--partial'], c.io)).toBe(0);
    expect(c.out[0]).toBe('1 of 2 old keys (of 3), 1 of 2 new keys (of 3); waiting for: Bob (old and new), Dave (new)');
    expect(existsSync(result)).toBe(false);

    // Bob signs: both thresholds met (Bob and Backup are in both roots)
    const r2 = join(dir, 'bob.response.json');
    writeFileSync(r2, serializeSignatureResponse(await signRequest(request, fx.custodians[1]!.key)));
    c = captureIo();
    expect(await runCli(['merge', requestPath, r2, r1, '--out', result, '--json'], c.io)).toBe(0);
    const merged = JSON.parse(c.out.join('')) as JsonObject;
    expect(merged).toMatchObject({ ok: true, role: 'root', version: 2, final: true, waitingFor: [], out: result, previous: { verified: true }, new: { verified: true } });
    expect(merged.targets).toBeUndefined();
    const previous = parseMetadata(fx.rootV1, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const next = parseMetadata(readFileSync(result), 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    expect(verifyRootUpdate(previous, next).version).toBe(2);

    c = captureIo();
    expect(await runCli(['merge', requestPath, r2, r1, '--out', result], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]/);

    // Session transcripts (issue #16): the co-signer's, sealed by the key that signed (here the key rebuilt
    // from the share cards, before it was wiped); the merge's, hash-chained and unsealed.
    expect(out.transcript).toBe(`${r1}.transcript.jsonl`);
    c = captureIo();
    expect(await runCli(['transcript', 'verify', `${r1}.transcript.jsonl`, '--seal-key', out.sealKeyId as string, '--json'], c.io)).toBe(0);
    const cosign = JSON.parse(c.out.join('')) as { kind: string; planHash: string; entries: { step: string; outputs: { name: string; sha256: string }[] }[] };
    expect(cosign.kind).toBe('co-sign');
    expect(cosign.planHash).toBe(createHash('sha256').update(readFileSync(requestPath)).digest('hex'));
    expect(cosign.entries.map((e) => e.step)).toEqual(['request.review', 'co-sign']);
    expect(cosign.entries[1]!.outputs).toEqual([{ name: 'backup.response.json', sha256: createHash('sha256').update(readFileSync(r1)).digest('hex') }]);
    // No share (the secret each card carries) in any encoding; the merge's transcript is refused when damaged too.
    expectNoSecrets(readFileSync(`${r1}.transcript.jsonl`), cardPaths.map((p) => parseShareCard(readFileSync(p)).share));
    await expectVerifiesAndRefusesTampering(`${result}.transcript.jsonl`, readFileSync(`${result}.transcript.jsonl`), dir, {});
    expect(merged.transcript).toBe(`${result}.transcript.jsonl`);
    c = captureIo();
    expect(await runCli(['transcript', 'verify', `${result}.transcript.jsonl`], c.io)).toBe(1); // unsealed: only with --allow-unsealed
    expect(await runCli(['transcript', 'verify', `${result}.transcript.jsonl`, '--allow-unsealed', '--json'], c.io)).toBe(0);

    // Refused: edited, truncated, reordered, or sealed by another key (each with its code).
    const lines = readFileSync(`${r1}.transcript.jsonl`, 'utf8').split('\n').filter(Boolean);
    const seal = JSON.parse(lines[3]!) as JsonObject;
    const other = SoftwareKey.generate('ed25519', { label: 'not the signer', rehearsal: true });
    const entries = lines.slice(1, 3).map((l) => JSON.parse(l) as { hash: string });
    const forged = await makeSeal(metadataSigner(other, listPublicKey('tuf', other.spki)), { header: seal.header as string, entries: 2, last: entries[1]!.hash, time: seal.time as string });
    other.dispose();
    const variants: [string, string[], string][] = [
      ['an entry edited', [lines[0]!, lines[1]!.replace('"request.review"', '"request.reviewe"'), lines[2]!, lines[3]!], 'TRANSCRIPT_CHAIN_BROKEN'],
      ['the last entry cut off, the seal kept', [lines[0]!, lines[1]!, lines[3]!], 'TRANSCRIPT_SEAL_INVALID'],
      ['the seal cut off', [lines[0]!, lines[1]!, lines[2]!], 'TRANSCRIPT_NOT_SEALED'],
      ['entries reordered', [lines[0]!, lines[2]!, lines[1]!, lines[3]!], 'TRANSCRIPT_SEQUENCE'],
      ['sealed by another key', [lines[0]!, lines[1]!, lines[2]!, new TextDecoder().decode(recordLine(forged)).trimEnd()], 'TRANSCRIPT_SEAL_KEY_UNEXPECTED'],
    ];
    const got: string[] = [];
    for (const [what, body] of variants) {
      const path = join(dir, `variant-${what.replaceAll(' ', '-')}.jsonl`);
      writeFileSync(path, `${body.join('\n')}\n`);
      c = captureIo();
      expect(await runCli(['transcript', 'verify', path, '--seal-key', out.sealKeyId as string], c.io), what).toBe(1);
      got.push(`${what}: ${c.err[0]}`);
    }
    expect(got).toEqual(variants.map(([what, , code]) => expect.stringMatching(new RegExp(`^${what}: error\\[${code}\\]`))));

    // the same response twice: a duplicate signer
    c = captureIo();
    expect(await runCli(['merge', requestPath, r1, r1, '--out', join(dir, 'dup.json')], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_SIGNATURE_DUPLICATE\]/);
  });

  it('a request changed after export is refused by sign and merge', async () => {
    const doc = JSON.parse(readFileSync(requestPath, 'utf8')) as JsonObject;
    ((doc.payload as JsonObject).roles as JsonObject).root = { ...(((doc.payload as JsonObject).roles as JsonObject).root as JsonObject), threshold: 1 };
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(doc));
    let c = captureIo();
    expect(await runCli(['sign', tampered, '--out', join(dir, 't.response.json'), '--share-card', ...cardPaths], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_REQUEST_TAMPERED\]/);
    c = captureIo();
    expect(await runCli(['merge', tampered, join(dir, 'backup.response.json'), '--out', join(dir, 't.root.json')], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_REQUEST_TAMPERED\]/);
    expect(() => parseSigningRequest(readFileSync(tampered))).toThrow(/request ID does not match/);
    void dave;
  });

  it('a relabelled repository: refused as tampered; with its ID recomputed, the signature does not merge into the real request', async () => {
    const doc = JSON.parse(readFileSync(requestPath, 'utf8')) as JsonObject;
    doc.repository = 'throw-away test repo';
    const relabelled = join(dir, 'relabelled.json');
    writeFileSync(relabelled, JSON.stringify(doc));
    let c = captureIo();
    expect(await runCli(['sign', relabelled, '--out', join(dir, 'relabelled.response.json'), '--share-card', ...cardPaths], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_REQUEST_TAMPERED\]: .*repository/);
    expect(existsSync(join(dir, 'relabelled.response.json'))).toBe(false);

    // The ID is a hash anyone can recompute: the co-signer then reads the false name and signs…
    doc.requestId = requestIdForDocument(doc);
    expect(doc.requestId).not.toBe(request.requestId);
    const recomputed = join(dir, 'relabelled-rehashed.json');
    writeFileSync(recomputed, JSON.stringify(doc));
    const response = join(dir, 'relabelled-rehashed.response.json');
    c = captureIo();
    expect(await runCli(['sign', recomputed, '--out', response, '--share-card', ...cardPaths], c.io)).toBe(0);
    expect(c.out.join('\n')).toContain('TUF repository "throw-away test repo"');
    // …but what they signed answers another request: the administrator's merge refuses it.
    c = captureIo();
    expect(await runCli(['merge', requestPath, response, '--out', join(dir, 'never.root.json'), '--partial'], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_RESPONSE_MISMATCH\]: .*answers another signing request/);
    expect(existsSync(join(dir, 'never.root.json'))).toBe(false);
  });

  it('a request made before the repository and names were bound is refused with a message that says so', async () => {
    const doc = JSON.parse(readFileSync(requestPath, 'utf8')) as JsonObject;
    // The earlier ID: SHA-256(canonical(payload) ‖ SHA-256(previous root)); this request names no other keys.
    doc.requestId = createHash('sha256').update(request.payloadBytes).update(createHash('sha256').update(request.previousRootBytes).digest()).digest('hex');
    const old = join(dir, 'old-id.json');
    writeFileSync(old, JSON.stringify(doc));
    const c = captureIo();
    expect(await runCli(['sign', old, '--out', join(dir, 'old.response.json'), '--share-card', ...cardPaths], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_REQUEST_TAMPERED\]: this request was made by an earlier version of tuf-ceremony/);
  });

  it('usage errors: neither or both signing methods', async () => {
    let c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', join(dir, 'u.json')], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[USAGE\]/);
    c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', join(dir, 'u.json'), '--module', 'softhsm2', '--share-card', cardPaths[0]!], c.io)).toBe(2);
  });
});
