/**
 * `tuf-ceremony rotate PLAN --out REQUEST [--bundle]`, then the co-signing commands on bundles: the plan's
 * hash and the review are printed, the request bundle is written and never overwritten; `sign` (share
 * cards) answers a request bundle with a response bundle; `merge` takes bundles; `inspect` shows a request
 * bundle's review. TUF profile: root v1 = Alice, Bob and a backup key on share cards, 2 of 3; the plan
 * replaces Alice's lost key by Dave's.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { looksLikeBundle } from '../../../src/bundle/format.js';
import { runCli } from '../../../src/cli/program.js';
import type { JsonObject } from '../../../src/json/types.js';
import { readSignatureResponse, readSigningRequest, signRequest, wrapSignatureResponse } from '../../../src/rotation/index.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRootUpdate } from '../../../src/tuf/root-chain.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { sign, targetsSigned } from '../../support/repo.js';
import { backupOnShareCards, EXPIRES_V2, makeCustodian, rootFixture, type Custodian, type RootFixture } from './support.js';
import { captureIo } from '../../support/cli-io.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('tuf-ceremony rotate, and sign / merge / inspect on bundles', () => {
  let dir: string;
  let fx: RootFixture;
  let dave: Custodian;
  let planPath: string;
  let planText: string;
  let cardPaths: string[];

  beforeAll(async () => {
    dir = tmp('tufc-rotate-cli-');
    const cards = await backupOnShareCards(dir);
    cardPaths = cards.cardPaths;
    fx = await rootFixture('tuf', ['Alice', 'Bob', cards.backup]);
    dave = await makeCustodian('tuf', 'Dave');
    writeFileSync(join(dir, 'root.json'), fx.rootV1);
    // The key file as `tokens export` writes it: the TUF key object, 2-space JSON and a newline.
    const daveFile = `${JSON.stringify(dave.listed.json, null, 2)}\n`;
    writeFileSync(join(dir, 'dave.tuf.json'), daveFile);
    const [alice, bob, backup] = fx.custodians;
    const plan = {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'tuf',
      repository: 'example-repo',
      previousRoot: { file: 'root.json', sha256: sha(fx.rootV1), version: 1 },
      custodians: [
        { name: 'Alice', keyid: alice!.listed.keyId },
        { name: 'Bob', keyid: bob!.listed.keyId },
        { name: 'Backup', keyid: backup!.listed.keyId },
      ],
      expires: EXPIRES_V2,
      root: { replace: [{ custodian: 'Alice', by: { name: 'Dave', keyFile: 'dave.tuf.json', sha256: sha(daveFile) }, reason: 'lost' }] },
    };
    planText = `${JSON.stringify(plan, null, 2)}\n`;
    planPath = join(dir, 'rotation-plan.json');
    writeFileSync(planPath, planText);
  });

  it('rotate prints the plan hash and the review, writes a request bundle, and never overwrites it', async () => {
    const out = join(dir, 'request.tufbundle');
    let c = captureIo();
    expect(await runCli(['rotate', planPath, '--out', out, '--bundle'], c.io)).toBe(0);
    const text = c.out.join('\n');
    const h = sha(planText);
    expect(text).toContain(`plan intent hash (SHA-256 of the plan file): ${h.match(/.{4}/g)!.join(' ')}`);
    expect(text).toMatch(/root: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Alice\" is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\"/);
    expect(text).toMatch(/wrote .*request\.tufbundle: signing-request bundle [0-9a-f]{16}… for root version 2; expected signers: "Alice" \(lost\), "Bob", "Backup", "Dave"/);
    const bytes = new Uint8Array(readFileSync(out));
    expect(looksLikeBundle(bytes)).toBe(true);
    const got = readSigningRequest(bytes, 'request.tufbundle');
    expect(got.request.root.version).toBe(2);
    expect(got.bundle!.repository).toBe('example-repo');

    c = captureIo();
    expect(await runCli(['rotate', planPath, '--out', out, '--bundle'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]/);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rotate --json without --bundle writes the plain request and documents what it did', async () => {
    const out = join(dir, 'request.json');
    const c = captureIo();
    expect(await runCli(['rotate', planPath, '--out', out, '--json'], c.io)).toBe(0);
    const report = JSON.parse(c.out.join('')) as JsonObject;
    expect(report).toMatchObject({ ok: true, out, form: 'request', plan: { sha256: sha(planText) }, fromVersion: 1, toVersion: 2, bundle: null });
    expect(c.err.join('\n')).toMatch(/is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\"/);
    expect(readSigningRequest(new Uint8Array(readFileSync(out))).request.requestId).toBe(report.requestId);
  });

  it('sign answers a request bundle with a response bundle; merge takes bundles; inspect shows the review', async () => {
    const requestPath = join(dir, 'request.tufbundle');
    let c = captureIo();
    expect(await runCli(['inspect', requestPath], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/^request\.tufbundle: signing-request bundle for tuf repository example-repo/);
    expect(c.out.join('\n')).toMatch(/root: key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Alice\" is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named \"Dave\"/);

    const backupOut = join(dir, 'backup.response.tufbundle');
    c = captureIo();
    expect(await runCli(['sign', requestPath, '--out', backupOut, '--share-card', ...cardPaths, '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ ok: true, form: 'bundle', signer: { name: 'Backup' } });
    expect(c.err.join('\n')).toMatch(/request\.tufbundle: signing-request bundle, short hash .*; manifest checked/);
    const request = readSigningRequest(new Uint8Array(readFileSync(requestPath))).request;
    expect(readSignatureResponse(new Uint8Array(readFileSync(backupOut)), 'backup', request).bundle?.kind).toBe('signature-response');

    const bobOut = join(dir, 'bob.response.tufbundle');
    writeFileSync(bobOut, wrapSignatureResponse(await signRequest(request, fx.custodians[1]!.key), request, new Date()));
    const result = join(dir, '2.root.json');
    c = captureIo();
    expect(await runCli(['merge', requestPath, bobOut, backupOut, '--out', result], c.io)).toBe(0);
    expect(c.out[0]).toMatch(/^2 of 2 old keys \(of 3\), 2 of 2 new keys \(of 3\): both thresholds met/);
    const previous = parseMetadata(fx.rootV1, 'root', { maxBytes: 1 << 20, source: '1.root.json' });
    const next = parseMetadata(readFileSync(result), 'root', { maxBytes: 1 << 20, source: '2.root.json' });
    expect(verifyRootUpdate(previous, next).version).toBe(2);

    // A response bundle given where the request goes: the wrong kind, refused before anything else.
    c = captureIo();
    expect(await runCli(['merge', backupOut, bobOut, '--out', join(dir, 'x.json')], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[BUNDLE_KIND_UNEXPECTED\]/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });

  it('rotate with a delegations plan builds a targets.json request, signed by the targets key holder', async () => {
    const targetsV1 = await sign('tuf', targetsSigned('tuf', 1, { 'app.tar.gz': new TextEncoder().encode('app') }), [metadataSigner(fx.targets.key, fx.targets.listed)]);
    writeFileSync(join(dir, 'targets.json'), targetsV1);
    const daveFile = readFileSync(join(dir, 'dave.tuf.json'));
    const plan = {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'tuf',
      repository: 'example-repo',
      previousRoot: { file: 'root.json', sha256: sha(fx.rootV1) },
      custodians: [{ name: 'Tina', keyid: fx.targets.listed.keyId }],
      expires: EXPIRES_V2,
      delegations: {
        targets: { file: 'targets.json', sha256: sha(targetsV1) },
        add: [{ name: 'releases', threshold: 1, paths: ['releases/*'], keys: [{ name: 'Dave (CI)', keyFile: 'dave.tuf.json', sha256: sha(daveFile) }] }],
      },
    };
    const planFile = join(dir, 'delegations-plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    const out = join(dir, 'targets-request.json');
    const c = captureIo();
    expect(await runCli(['rotate', planFile, '--out', out, '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ ok: true, fromVersion: 1, toVersion: 2, expectedSigners: [{ name: 'Tina', from: 'targets' }] });
    expect(c.err.join('\n')).toMatch(/for targets\.json version 2; expected signers: "Tina"/);
    const request = readSigningRequest(new Uint8Array(readFileSync(out))).request;
    expect(request.role).toBe('targets');
    expect(request.targets!.next.delegations!.roles.map((r) => r.name)).toEqual(['releases']);
  });

  it('refuses a plan whose key file is not the reviewed one, naming the field; writes nothing', async () => {
    const other = join(dir, 'other-plan.json');
    writeFileSync(other, planText.replace(/"sha256": "[0-9a-f]{64}",\n\s*"version"/, (m) => m.replace(/[0-9a-f]{64}/, '0'.repeat(64))));
    const out = join(dir, 'never.tufbundle');
    let c = captureIo();
    expect(await runCli(['rotate', other, '--out', out, '--bundle'], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[PLAN_INPUT_MISMATCH\]: root\.json has SHA-256 .* \(at \$\.previousRoot\.sha256\)/);
    expect(existsSync(out)).toBe(false);

    const missing = join(dir, 'missing-plan.json');
    writeFileSync(missing, planText.replace('dave.tuf.json', 'erin.tuf.json'));
    c = captureIo();
    expect(await runCli(['rotate', missing, '--out', out], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[PLAN_INPUT_MISMATCH\]: erin\.tuf\.json, which the plan names, cannot be read next to the plan \(at \$\.root\.replace\[0\]\.by\.keyFile\)/);
    expect(existsSync(out)).toBe(false);
  });
});
