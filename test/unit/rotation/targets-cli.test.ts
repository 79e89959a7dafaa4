/**
 * The existing CLI commands, unchanged, on a targets request (issue #5): `inspect REQUEST` prints the
 * delegation review, `sign --share-card …` signs with the targets key rebuilt from share cards (the token
 * path is covered by test/integration/delegations-notary.test.ts), `merge` writes targets.json N+1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import type { JsonObject } from '../../../src/json/types.js';
import { buildTargetsPayload, buildTargetsSigningRequest, serializeSignatureResponse, serializeSigningRequest, signRequest, type SigningRequest } from '../../../src/rotation/index.js';
import { formatShareCard, splitKey } from '../../../src/shamir/index.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { serializeMetadata, signMetadata } from '../../../src/tuf/sign.js';
import { requireVerified, verifyRole } from '../../../src/tuf/verify.js';
import { targetsSigned } from '../../support/repo.js';
import { EXPIRES_V2, makeRoleKey, rootFixture, type RootFixture } from './support.js';
import { captureIo } from '../../support/cli-io.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

describe('tuf-ceremony inspect / sign / merge on a targets request', () => {
  let dir: string;
  let fx: RootFixture;
  let request: SigningRequest;
  let requestPath: string;
  const cardPaths: string[] = [];

  beforeAll(async () => {
    dir = tmp('tufc-targets-cli-');
    fx = await rootFixture('tuf');
    // The targets key is kept as share cards (2 of 3), as an offline targets key might be.
    const split = await fx.targets.key.withSecret((secret) => splitKey('ed25519', Uint8Array.from(secret), { threshold: 2, shares: 3, label: 'Targets key' }));
    split.cards.slice(1, 3).forEach((card, i) => {
      const p = join(dir, `card-${i + 1}.txt`);
      writeFileSync(p, formatShareCard(card));
      cardPaths.push(p);
    });
    const targetsV1 = serializeMetadata('tuf', await signMetadata('tuf', targetsSigned('tuf', 1, { 'v1.2': new TextEncoder().encode('app') }), [metadataSigner(fx.targets.key, fx.targets.listed)]));
    const qa = makeRoleKey('tuf', 'QA');
    const payload = buildTargetsPayload(
      fx.rootV1,
      targetsV1,
      { expires: EXPIRES_V2, delegations: { add: [{ name: 'qa', keys: [{ json: qa.listed.json, name: 'QA' }], threshold: 1, paths: ['qa/*'] }] }, revokeTargets: ['v1.2'] },
      { names: new Map([[fx.targets.listed.keyId, 'Targets (cards)']]) },
    );
    request = buildTargetsSigningRequest(payload, { repository: 'example-repo' });
    requestPath = join(dir, 'targets.request.json');
    writeFileSync(requestPath, serializeSigningRequest(request));
  });

  it('inspect REQUEST prints the review: delegation added, target revoked, who must sign', async () => {
    const c = captureIo();
    expect(await runCli(['inspect', requestPath], c.io)).toBe(0);
    const text = c.out.join('\n');
    expect(text).toContain('targets version 1 → 2');
    expect(text).toMatch(/delegation qa ADDED, threshold 1 of 1: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"QA\"; trusted for paths "qa\/\*"/);
    expect(text).toContain('target "v1.2" REVOKED (removed from targets.json)');
    expect(text).toMatch(/  key [0-9a-f]{12}… named "Targets \(cards\)"  \(targets key of root version/);
    const j = captureIo();
    expect(await runCli(['inspect', requestPath, '--json'], j.io)).toBe(0);
    const doc = JSON.parse(j.out.join('')) as { role: string; targetsChanges: { kind: string }[] };
    expect([doc.role, doc.targetsChanges.map((c) => c.kind)]).toEqual(['targets', ['delegation-added', 'target-removed', 'targets-expires']]);
  });

  it('sign --share-card (the targets key rebuilt), then merge writes targets.json v2 verified by the root', async () => {
    const response = join(dir, 'targets.response.json');
    let c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', response, '--share-card', ...cardPaths], c.io), c.err.join('\n')).toBe(0);
    expect(c.out.join('\n')).toContain('with this response alone: 1 of 1 targets keys: threshold met, targets version 2 is complete');

    c = captureIo();
    const out = join(dir, 'targets.json');
    expect(await runCli(['merge', requestPath, response, '--out', out, '--json'], c.io), c.err.join('\n')).toBe(0);
    const report = JSON.parse(c.out.join('')) as JsonObject;
    expect(report).toMatchObject({ ok: true, final: true, out, status: '1 of 1 targets keys: threshold met, targets version 2 is complete' });
    const md = parseMetadata(readFileSync(out), 'targets', { maxBytes: 1 << 20, source: 'targets.json' });
    const root = parseMetadata(fx.rootV1, 'root', { maxBytes: 1 << 20, source: 'root.json' });
    requireVerified(verifyRole(md, 'targets', root.signed.roles.get('targets')!, root.signed.keys), 'targets.json');
    expect(md.signed.version).toBe(2);
    expect(md.signed.delegations!.roles.map((r) => r.name)).toEqual(['qa']);

    // Never overwritten; a tampered request refused.
    c = captureIo();
    expect(await runCli(['merge', requestPath, response, '--out', out], c.io)).toBe(2);
    const doc = JSON.parse(readFileSync(requestPath, 'utf8')) as JsonObject;
    ((doc.payload as JsonObject).delegations as JsonObject).roles = [];
    const tampered = join(dir, 'tampered.request.json');
    writeFileSync(tampered, JSON.stringify(doc));
    c = captureIo();
    expect(await runCli(['merge', tampered, response, '--out', join(dir, 'other.json')], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_REQUEST_TAMPERED\]/);
    expect(existsSync(join(dir, 'other.json'))).toBe(false);
  });

  it('sign with cards of a key that is not a targets key: refused before anything is rebuilt', async () => {
    const alice = fx.custodians[0]!;
    const split = await alice.key.withSecret((secret) => splitKey('ed25519', Uint8Array.from(secret), { threshold: 2, shares: 2, label: 'Alice' }));
    const paths = split.cards.map((card, i) => {
      const p = join(dir, `alice-${i}.txt`);
      writeFileSync(p, formatShareCard(card));
      return p;
    });
    const c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', join(dir, 'alice.response.json'), '--share-card', ...paths], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[ROTATION_SIGNER_UNKNOWN\].*not a targets key of root version 1: nothing was rebuilt/);
  });
});

describe('tuf-ceremony merge on a targets request whose targets role is 2 of 2: the words follow the role', () => {
  it('partial → THRESHOLD_NOT_MET naming targets version 2 (nothing written); --partial --json reports the targets side; both → writes targets version 2', async () => {
    const dir = tmp('tufc-targets-merge-');
    const fx = await rootFixture('tuf');
    const tom = makeRoleKey('tuf', 'Tom');
    // Root v1 with a 2-of-2 targets role (the fixture's targets key and Tom's).
    const rootDoc = JSON.parse(Buffer.from(fx.rootV1).toString('utf8')) as { signed: JsonObject };
    const signed = rootDoc.signed as { keys: JsonObject; roles: JsonObject };
    signed.keys[tom.listed.keyId] = tom.listed.json;
    signed.roles.targets = { keyids: [fx.targets.listed.keyId, tom.listed.keyId], threshold: 2 };
    const rootV1 = serializeMetadata('tuf', await signMetadata('tuf', rootDoc.signed, fx.custodians.slice(0, 2).map((c) => metadataSigner(c.key, c.listed))));
    const targetsV1 = serializeMetadata(
      'tuf',
      await signMetadata('tuf', targetsSigned('tuf', 1, { 'v1.2': new TextEncoder().encode('app') }), [metadataSigner(fx.targets.key, fx.targets.listed), metadataSigner(tom.key, tom.listed)]),
    );
    const payload = buildTargetsPayload(rootV1, targetsV1, { expires: EXPIRES_V2, revokeTargets: ['v1.2'] }, { names: new Map([[fx.targets.listed.keyId, 'Tina'], [tom.listed.keyId, 'Tom']]) });
    const request = buildTargetsSigningRequest(payload, { repository: 'example-repo' });
    const requestPath = join(dir, 'request.json');
    writeFileSync(requestPath, serializeSigningRequest(request));
    const tina = join(dir, 'tina.response.json');
    const tomResponse = join(dir, 'tom.response.json');
    writeFileSync(tina, serializeSignatureResponse(await signRequest(request, fx.targets.key)));
    writeFileSync(tomResponse, serializeSignatureResponse(await signRequest(request, tom.key)));
    const out = join(dir, 'targets.json');

    let c = captureIo();
    expect(await runCli(['merge', requestPath, tina, '--out', out], c.io)).toBe(1);
    expect(c.err[0]).toBe('error[THRESHOLD_NOT_MET]: targets version 2 is not final: 1 of 2 targets keys; waiting for: Tom (targets) (merge with --partial to accept a partial result) (at $.signatures)');
    expect(existsSync(out)).toBe(false);

    c = captureIo();
    expect(await runCli(['merge', requestPath, tina, '--out', out, '--partial', '--json'], c.io)).toBe(0);
    const partial = JSON.parse(c.out.join('')) as JsonObject;
    expect(partial).toMatchObject({ ok: true, role: 'targets', version: 2, final: false, out: null, targets: { threshold: 2, signed: [fx.targets.listed.keyId], missing: [tom.listed.keyId], verified: false } });
    expect(partial.waitingFor).toEqual([{ keyid: tom.listed.keyId, name: 'Tom', side: 'targets' }]);
    expect([partial.previous, partial.new]).toEqual([undefined, undefined]);
    expect(existsSync(out)).toBe(false);

    c = captureIo();
    expect(await runCli(['merge', requestPath, tomResponse, tina, '--out', out], c.io), c.err.join('\n')).toBe(0);
    expect(c.out).toEqual([
      '2 of 2 targets keys: threshold met, targets version 2 is complete',
      `wrote targets version 2 to ${out}`,
      `session transcript ${out}.transcript.jsonl (hash-chained, unsealed: tuf-ceremony transcript verify ${out}.transcript.jsonl --allow-unsealed)`,
    ]);
    const md = parseMetadata(readFileSync(out), 'targets', { maxBytes: 1 << 20, source: 'targets.json' });
    const root = parseMetadata(rootV1, 'root', { maxBytes: 1 << 20, source: 'root.json' });
    expect(requireVerified(verifyRole(md, 'targets', root.signed.roles.get('targets')!, root.signed.keys), 'targets.json').signed).toHaveLength(2);
    expect(md.signed.version).toBe(2);
  });
});
