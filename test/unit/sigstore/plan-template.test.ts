/**
 * `tuf-ceremony plan-template --profile sigstore`: a plan the strict parser accepts for a real ceremony
 * (no rehearsal keys): TUF with consistent snapshots, root and targets on tokens, snapshot and timestamp on
 * a token or the online service's keys pinned by SHA-256; refusals.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planTemplateCommand } from '../../../src/cli/plan-template.js';
import { parsePlan } from '../../../src/ceremony/plan.js';
import { captureIo } from '../../support/cli-io.js';

const work = mkdtempSync(join(tmpdir(), 'tufc-plan-template-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('plan-template --profile sigstore', () => {
  it('offline snapshot and timestamp on a token (refreshed): a valid plan for run', async () => {
    const out = join(work, 'plan.json');
    const c = captureIo();
    expect(await planTemplateCommand({ profile: 'sigstore', repository: 'tuf.sigstore.example.com', out, json: true }, c.io)).toBe(0);
    const plan = parsePlan(new Uint8Array(readFileSync(out)));
    expect(plan).toMatchObject({ profile: 'tuf', consistentSnapshot: true, root: { threshold: 2 } });
    expect(plan.targets.key.kind).toBe('token');
    expect(plan.snapshot.key.kind).toBe('token');
    expect(plan.timestamp.key.kind).toBe('token');
    expect(JSON.parse(c.out.join(''))).toMatchObject({ ok: true, online: [] });
  });

  it('with the service\'s keys: snapshot and timestamp online, pinned by SHA-256', async () => {
    const dir = mkdtempSync(join(work, 'online-'));
    const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const pem2 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(join(dir, 'snapshot.pem'), pem);
    writeFileSync(join(dir, 'timestamp.pem'), pem2);
    const out = join(dir, 'plan.json');
    const c = captureIo();
    expect(await planTemplateCommand({ profile: 'sigstore', repository: 'tuf.sigstore.example.com', out, snapshotKey: join(dir, 'snapshot.pem'), timestampKey: join(dir, 'timestamp.pem'), json: true }, c.io)).toBe(0);
    const plan = parsePlan(new Uint8Array(readFileSync(out)));
    expect(plan.snapshot.key).toEqual({ kind: 'server', keyFile: 'snapshot.pem', sha256: createHash('sha256').update(pem).digest('hex') });
    expect(plan.timestamp.key).toMatchObject({ kind: 'server', keyFile: 'timestamp.pem' });
  });

  it('refusals: a private key as the service key (KEY_FILE_PRIVATE), an unknown profile (USAGE), an existing plan (OUTPUT_EXISTS)', async () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    writeFileSync(join(dir, 'ts.pem'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const a = captureIo();
    expect(await planTemplateCommand({ profile: 'sigstore', repository: 'x', out: join(dir, 'plan.json'), timestampKey: join(dir, 'ts.pem') }, a.io)).toBe(1);
    expect(a.err[0]).toMatch(/^error\[KEY_FILE_PRIVATE\]/);
    expect(a.err.join('\n')).not.toMatch(/BEGIN/);
    const b = captureIo();
    expect(await planTemplateCommand({ profile: 'notary', repository: 'x', out: join(dir, 'plan.json') }, b.io)).toBe(2);
    writeFileSync(join(dir, 'taken.json'), 'x');
    const d = captureIo();
    expect(await planTemplateCommand({ profile: 'sigstore', repository: 'x', out: join(dir, 'taken.json') }, d.io)).toBe(2);
    expect(d.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]/);
  });
});
