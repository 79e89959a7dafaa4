/**
 * Names cannot forge the review's key text (issue #12 point 7): a name that imitates a key's
 * identification is refused (NAME_IMITATES_KEY_TEXT), two keys of one request cannot share a name
 * (NAME_DUPLICATE), default-ignorable characters are refused by the shown-text rule, and the review prints
 * each key's ID and fingerprint before its name, the name quoted — in the core, through `tuf-ceremony sign`
 * and `inspect`, and (test/unit/electron/rotation.test.ts) through the app's handlers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { isCeremonyError, type ErrorCode } from '../../../src/errors.js';
import { child } from '../../../src/json/fields.js';
import type { JsonObject } from '../../../src/json/types.js';
import { buildRotationPayload, buildSigningRequest, describeRequest, parseSigningRequest, requestIdForDocument, serializeSigningRequest } from '../../../src/rotation/index.js';
import { checkDistinctNames, checkKeyName, keyTextProblem } from '../../../src/rotation/names.js';
import { captureIo } from '../../support/cli-io.js';
import { EXPIRES_V2, makeCustodian, makeRoleKey, rootFixture } from './support.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const enc = new TextEncoder();
const json = (bytes: Uint8Array): JsonObject => JSON.parse(Buffer.from(bytes).toString('utf8')) as JsonObject;

function codeAndPath(fn: () => unknown): [ErrorCode | string, string | undefined] {
  try {
    fn();
  } catch (err) {
    return isCeremonyError(err) ? [err.code, err.path] : [String(err), undefined];
  }
  return ['no error', undefined];
}

/** Names that could be read as key text, each refused. */
const IMITATING: [string, string][] = [
  ['the issue’s example', 'Alice (key 7017…, fingerprint 0000 1111 …)'],
  ['"fingerprint"', 'Alice fingerprint'],
  ['"Fingerprints" any case', 'FINGERPRINTS checked'],
  ['"key ID"', 'Alice key ID'],
  ['"keyid"', 'keyid Alice'],
  ['"SHA-256"', 'Alice sha-256'],
  ['"key" then hex with a letter', 'key 7017ab'],
  ['"key" then six digits', 'key 701712'],
  ['the truncation mark …', 'Alice 7017…'],
  ['the truncation mark ...', 'Alice...'],
  ['hex in groups of four', 'Alice 0000 1111'],
  ['a key ID prefix', 'Alice a1b2c3d4'],
  ['a colon-separated hex run', 'Alice ab:12:cd:34'],
  ['full-width hex (NFKC)', 'Alice ａ１ｂ２ｃ３ｄ４'],
  ['two PGP words', 'Alice aardvark adroitness'],
  ['PGP words, other case and punctuation', 'Tiger-Tobacco'],
];

/** Names people use, each accepted. */
const ORDINARY = ['Alice', 'Bob', 'Dave (new)', 'targets 2026', 'targets key 2026', 'snapshot 2026', 'CI', 'QA bot #12', 'Alice (targets)', 'Backup', "Bob's YubiKey 5C", 'Alice 2026-11-25', 'Zoë Müller-Łukasz', '山田 太郎', 'Atlas team', 'unnamed key 1'];

describe('keyTextProblem / checkKeyName', () => {
  it('refuses each imitation of key text with NAME_IMITATES_KEY_TEXT and the path', () => {
    expect(IMITATING.map(([what, name]) => [what, ...codeAndPath(() => checkKeyName(name, '$.name'))])).toEqual(IMITATING.map(([what]) => [what, 'NAME_IMITATES_KEY_TEXT', '$.name']));
  });

  it('keeps ordinary names', () => {
    expect(ORDINARY.filter((n) => keyTextProblem(n) !== undefined)).toEqual([]);
    for (const n of ORDINARY) expect(checkKeyName(n, '$.name')).toBe(n);
  });

  it('default-ignorable characters are refused by the shown-text rule first (SCHEMA_INVALID)', () => {
    for (const hidden of ['Ali\u00adce', 'Alice\u3164', 'Alice\u115f', 'Alice\u{e0041}\u{e0042}', 'Alice\ufe0f', 'Alice\u180e', 'Alice\u034f']) {
      expect(codeAndPath(() => checkKeyName(hidden, '$.name'))).toEqual(['SCHEMA_INVALID', '$.name']);
    }
  });

  it('checkDistinctNames: the same name for two keys, compared ignoring case, width and spacing', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const fa = '1'.repeat(64);
    const fb = '2'.repeat(64);
    expect(codeAndPath(() => checkDistinctNames([{ keyid: a, fingerprint: fa, name: 'Alice', path: '$.x[0]' }, { keyid: b, fingerprint: fb, name: ' alice ', path: '$.x[1]' }]))).toEqual(['NAME_DUPLICATE', '$.x[1]']);
    expect(codeAndPath(() => checkDistinctNames([{ keyid: a, fingerprint: fa, name: 'Alice  Smith', path: '$.x[0]' }, { keyid: b, fingerprint: fb, name: 'ＡＬＩＣＥ smith', path: '$.x[1]' }]))).toEqual(['NAME_DUPLICATE', '$.x[1]']);
    // One key named in two places is not two keys.
    expect(codeAndPath(() => checkDistinctNames([{ keyid: a, fingerprint: fa, name: 'Alice', path: '$.x[0]' }, { keyid: a, fingerprint: fa, name: 'Alice', path: '$.x[1]' }]))).toEqual(['no error', undefined]);
  });

  it('checkDistinctNames decides by public key: one key under two key IDs (renewed certificate) may keep its name, two public keys may not', () => {
    const oldCertId = 'a'.repeat(64);
    const newCertId = 'b'.repeat(64);
    const samePublicKey = '1'.repeat(64);
    // Same fingerprint, two key IDs: a Notary ecdsa-x509 key whose certificate was re-issued.
    expect(codeAndPath(() => checkDistinctNames([{ keyid: oldCertId, fingerprint: samePublicKey, name: 'Rose', path: '$.x[0]' }, { keyid: newCertId, fingerprint: samePublicKey, name: 'Rose', path: '$.x[1]' }]))).toEqual(['no error', undefined]);
    // Different fingerprints: two keys, one name, refused even when one key ID repeats.
    expect(codeAndPath(() => checkDistinctNames([{ keyid: oldCertId, fingerprint: samePublicKey, name: 'Rose', path: '$.x[0]' }, { keyid: newCertId, fingerprint: '2'.repeat(64), name: 'rose', path: '$.x[1]' }]))).toEqual(['NAME_DUPLICATE', '$.x[1]']);
    expect(codeAndPath(() => checkDistinctNames([{ keyid: oldCertId, fingerprint: samePublicKey, name: 'Rose', path: '$.x[0]' }, { keyid: oldCertId, fingerprint: '2'.repeat(64), name: 'Rose', path: '$.x[1]' }]))).toEqual(['NAME_DUPLICATE', '$.x[1]']);
  });
});

describe.each(['tuf', 'notary'] as const)('signing requests: names (%s)', (profile) => {
  async function made() {
    const fx = await rootFixture(profile);
    const t2 = makeRoleKey(profile, 'targets 2026');
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, targets: { keys: [{ json: t2.listed.json, name: 'targets 2026' }] } }, { names: fx.names });
    const request = buildSigningRequest(payload, { repository: 'registry.example.com/org/app' });
    return { fx, t2, payload, request, bytes: serializeSigningRequest(request) };
  }

  it('parse refuses forged names even re-hashed: key-text imitations, duplicates (signers and key names), default-ignorables', async () => {
    const { fx, t2, bytes } = await made();
    const edits: [string, (d: JsonObject) => void, ErrorCode, string][] = [
      ['signer name imitating key text', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).name = 'Alice (key 7017…, fingerprint 0000 1111 …)'), 'NAME_IMITATES_KEY_TEXT', '$.expectedSigners[0].name'],
      ['key name imitating key text', (d) => ((d.keyNames as JsonObject)[t2.listed.keyId] = 'targets a1b2c3d4e5f6'), 'NAME_IMITATES_KEY_TEXT', child('$.keyNames', t2.listed.keyId)],
      ['two signers named alike', (d) => (((d.expectedSigners as JsonObject[])[1] as JsonObject).name = 'ALICE'), 'NAME_DUPLICATE', '$.expectedSigners[1].name'],
      ['a key name equal to a signer name', (d) => ((d.keyNames as JsonObject)[t2.listed.keyId] = 'Bob'), 'NAME_DUPLICATE', child('$.keyNames', t2.listed.keyId)],
      ['soft hyphen', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).name = 'Ali\u00adce'), 'SCHEMA_INVALID', '$.expectedSigners[0].name'],
      ['Hangul filler', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).name = 'Alice\u3164'), 'SCHEMA_INVALID', '$.expectedSigners[0].name'],
      ['tag characters', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).name = 'Alice\u{e0020}\u{e0041}'), 'SCHEMA_INVALID', '$.expectedSigners[0].name'],
      ['variation selector', (d) => (((d.expectedSigners as JsonObject[])[0] as JsonObject).name = 'Alice\ufe0e'), 'SCHEMA_INVALID', '$.expectedSigners[0].name'],
    ];
    const got = edits.map(([what, edit]) => {
      const d = json(bytes);
      edit(d);
      d.requestId = requestIdForDocument(d);
      return [what, ...codeAndPath(() => parseSigningRequest(enc.encode(JSON.stringify(d))))];
    });
    expect(got).toEqual(edits.map(([what, , code, path]) => [what, code, path]));
    void fx;
  }, 60_000);

  it('build refuses two keys under one name and names that imitate key text', async () => {
    const { fx, payload, t2 } = await made();
    const alice = fx.custodians[0]!.listed.keyId;
    const bob = fx.custodians[1]!.listed.keyId;
    const dup = new Map(fx.names).set(bob, 'alice');
    expect(codeAndPath(() => buildSigningRequest({ ...payload, names: dup }, { repository: 'r' }))).toEqual(['NAME_DUPLICATE', '$.expectedSigners[1].name']);
    const forged = new Map(fx.names).set(alice, 'Alice (key 7017…)');
    expect(codeAndPath(() => buildSigningRequest({ ...payload, names: forged }, { repository: 'r' }))).toEqual(['NAME_IMITATES_KEY_TEXT', '$.expectedSigners[0].name']);
    // A new key named like a custodian.
    const newNamedBob = new Map(fx.names).set(t2.listed.keyId, 'Bob');
    expect(codeAndPath(() => buildSigningRequest({ ...payload, names: newNamedBob }, { repository: 'r' }))[0]).toBe('NAME_DUPLICATE');
  }, 60_000);

  it('the review prints each key as its ID and fingerprint first, then the name, quoted; unnamed keys are "unnamed key N"', async () => {
    const { fx, payload } = await made();
    const dave = await makeCustodian(profile, 'Dave');
    const names = new Map(fx.names);
    names.delete(fx.custodians[1]!.listed.keyId);
    const p2 = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: fx.custodians[2]!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names });
    const request = parseSigningRequest(serializeSigningRequest(buildSigningRequest(p2, { repository: 'r' })));
    expect(request.expectedSigners.map((s) => s.name)).toEqual(['Alice', 'unnamed key 1', 'Carol', 'Dave']);
    const text = describeRequest(request).text;
    expect(text).toMatch(/root: key [0-9a-f]{12}… \(fingerprint (?:[0-9a-f]{4} ){7}[0-9a-f]{4}\) named "Carol" is REPLACED by key [0-9a-f]{12}… \(fingerprint (?:[0-9a-f]{4} ){7}[0-9a-f]{4}\) named "Dave"/);
    // No name ever stands before a key's identification.
    for (const name of ['Alice', 'Carol', 'Dave']) expect(text).not.toMatch(new RegExp(`(^|[ (])${name} \\(key`, 'm'));
    void payload;
  }, 60_000);
});

describe('tuf-ceremony sign / inspect refuse a request whose names forge key text', () => {
  it('exit 1 with error[NAME_IMITATES_KEY_TEXT] / error[NAME_DUPLICATE], nothing written', async () => {
    const dir = tmp('tufc-names-');
    const fx = await rootFixture('tuf');
    const request = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names: fx.names }), { repository: 'example-repo' });
    for (const [edit, code] of [
      [(d: JsonObject) => (((d.expectedSigners as JsonObject[])[2] as JsonObject).name = 'Carol (key 7017…, fingerprint 0000 1111 …)'), 'NAME_IMITATES_KEY_TEXT'],
      [(d: JsonObject) => (((d.expectedSigners as JsonObject[])[2] as JsonObject).name = 'alice'), 'NAME_DUPLICATE'],
    ] as const) {
      const d = json(serializeSigningRequest(request));
      edit(d);
      d.requestId = requestIdForDocument(d);
      const path = join(dir, `${code}.json`);
      writeFileSync(path, JSON.stringify(d));
      let c = captureIo();
      expect(await runCli(['inspect', path], c.io)).toBe(1);
      expect(c.err[0]).toMatch(new RegExp(`^error\\[${code}\\]`));
      c = captureIo();
      expect(await runCli(['sign', path, '--out', join(dir, 'r.json'), '--share-card', join(dir, 'none.card')], c.io)).toBe(1);
      expect(c.err[0]).toMatch(new RegExp(`^error\\[${code}\\]`));
    }
    // --name is checked the same way before anything is read.
    const c = captureIo();
    const ok = join(dir, 'ok.json');
    writeFileSync(ok, serializeSigningRequest(request));
    expect(await runCli(['sign', ok, '--out', join(dir, 'r.json'), '--share-card', join(dir, 'none.card'), '--name', 'Bob fingerprint 0000 1111'], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[NAME_IMITATES_KEY_TEXT\]/);
  }, 60_000);
});

describe('merge status with more signatures than the threshold (issue #16 point 10)', () => {
  it('says "3 old keys signed, 2 needed (of 3)", never "3 of 2"', async () => {
    const { signRequest, mergeResponses } = await import('../../../src/rotation/index.js');
    const fx = await rootFixture('tuf');
    const request = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names: fx.names }), { repository: 'r' });
    const responses = await Promise.all(fx.custodians.map((c) => signRequest(request, c.key)));
    const result = mergeResponses(request, responses);
    expect(result.final).toBe(true);
    expect(result.status).toMatch(/^3 old keys signed, 2 needed \(of 3\), 3 new keys signed, 2 needed \(of 3\): both thresholds met/);
    expect(result.status).not.toMatch(/3 of 2/);
  }, 60_000);
});

describe('a shortened expiry is flagged in the review (issue #16 point 10)', () => {
  it('CLI review and app review say SHORTENED when root N+1 expires before root N', async () => {
    const { reviewView } = await import('../../../electron/main/rotation.js');
    const { EXPIRES_V1 } = await import('./support.js');
    const fx = await rootFixture('tuf');
    const earlier = EXPIRES_V1.replace(/^(\d{4})/, (y) => String(Number(y) - 2));
    const request = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: earlier }, { names: fx.names }), { repository: 'r' });
    expect(describeRequest(request).text).toContain(`root expiry is SHORTENED from ${EXPIRES_V1} to ${earlier}`);
    expect(reviewView(request).changes.map((c) => c.text)).toContain(`root expiry is SHORTENED from ${EXPIRES_V1} to ${earlier}`);
    const later = buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names: fx.names }), { repository: 'r' });
    expect(describeRequest(later).text).toContain(`root expiry changes from ${EXPIRES_V1} to ${EXPIRES_V2}`);
  }, 60_000);
});

describe('the replacement reason is recorded in the request and shown to co-signers (issue #16 point 10)', () => {
  it('compromised / retired / lost: in the file, bound by the request ID, in the CLI and app reviews', async () => {
    const { reviewView } = await import('../../../electron/main/rotation.js');
    const fx = await rootFixture('tuf');
    const dave = await makeCustodian('tuf', 'Dave');
    const [alice, , carol] = fx.custodians;
    const payload = buildRotationPayload(
      fx.rootV1,
      { expires: EXPIRES_V2, root: { replace: [{ old: carol!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'compromised' }] } },
      { names: fx.names },
    );
    const built = buildSigningRequest(payload, { repository: 'r' });
    const bytes = serializeSigningRequest(built);
    const doc = json(bytes);
    expect((doc.expectedSigners as JsonObject[]).map((s) => [s.name, s.reason])).toEqual([
      ['Alice', undefined],
      ['Bob', undefined],
      ['Carol', 'compromised'],
      ['Dave', undefined],
    ]);
    const request = parseSigningRequest(bytes);
    const text = describeRequest(request).text;
    expect(text).toMatch(/named "Carol" is REPLACED by .* named "Dave" \(the old key loses the root role, the new one gains it\) — reported COMPROMISED/);
    const retired = describeRequest(
      parseSigningRequest(serializeSigningRequest(buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { remove: [{ keyid: alice!.listed.keyId, reason: 'retired' }] } }, { names: fx.names }), { repository: 'r' }))),
    ).text;
    expect(retired).toMatch(/named "Alice" LOSES the root role — retired/);
    expect(reviewView(request).changes.map((c) => c.text).join('\n')).toMatch(/named "Carol" is replaced by .* in the root role — reported COMPROMISED/);
    // Changed after export: tampered; a reason on a key that stays: refused even re-hashed.
    const edited = json(bytes);
    ((edited.expectedSigners as JsonObject[])[2] as JsonObject).reason = 'retired';
    void alice;
    expect(codeAndPath(() => parseSigningRequest(enc.encode(JSON.stringify(edited))))).toEqual(['ROTATION_REQUEST_TAMPERED', '$.requestId']);
    const stays = json(bytes);
    ((stays.expectedSigners as JsonObject[])[1] as JsonObject).reason = 'compromised';
    stays.requestId = requestIdForDocument(stays);
    expect(codeAndPath(() => parseSigningRequest(enc.encode(JSON.stringify(stays))))).toEqual(['ROTATION_REQUEST_TAMPERED', '$.expectedSigners[1].reason']);
  }, 60_000);
});
