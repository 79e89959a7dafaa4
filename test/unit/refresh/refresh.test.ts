/**
 * `tuf-ceremony refresh` with key files (the token path: test/integration/refresh-softhsm.test.ts): snapshot
 * N+1 and timestamp M+1 as a new tree, a timestamp-only refresh, an expired timestamp renewed, and every
 * refusal with its code and nothing written.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { refreshCommand, type RefreshOptions } from '../../../src/cli/refresh.js';
import { writeVerifiedTree } from '../../../src/cli/tree.js';
import { readRepositoryDir } from '../../../src/io/files.js';
import type { JsonObject } from '../../../src/json/types.js';
import { parseExpiryOption } from '../../../src/refresh/refresh.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { captureIo } from '../../support/cli-io.js';
import type { TestKey } from '../../support/keys.js';
import { buildRepo, PAST, parseBytes, sign, withField, type BuiltRepo } from '../../support/repo.js';

const work = mkdtempSync(join(tmpdir(), 'tufc-refresh-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string): string => join(work, `${name}-${++n}`);

function pemFile(key: TestKey | { privateKey: import('node:crypto').KeyObject }, name: string): string {
  const path = join(work, `${name}-${++n}.pem`);
  writeFileSync(path, key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return path;
}

async function consistentRepo(): Promise<BuiltRepo> {
  const r = await buildRepo('tuf');
  r.roots[0] = await sign('tuf', withField(parseBytes(r.roots[0]!).signed as JsonObject, ['consistent_snapshot'], true), r.keys.root.slice(0, 2));
  return r;
}

async function treeOf(r: BuiltRepo, name: string): Promise<{ dir: string; pin: string }> {
  const dir = fresh(name);
  const pin = join(work, `${name}-${++n}-pin.json`);
  writeFileSync(pin, r.roots[0]!);
  await writeVerifiedTree({ files: r.files(), trustedRoot: r.roots[0]!, out: dir, now: new Date() });
  return { dir, pin };
}

async function refresh(input: string, opts: RefreshOptions, now = new Date()) {
  const c = captureIo();
  const status = await refreshCommand(input, { ...opts, json: true }, c.io, { load: () => Promise.reject(new Error('no tokens here')), exists: () => false, platform: 'linux', env: {}, interactive: false, promptPin: () => Promise.reject(new Error('no prompt')), now: () => now });
  return { status, json: c.out.length ? JSON.parse(c.out.join('')) : undefined, err: c.err };
}

describe('refresh with key files', () => {
  let r: BuiltRepo;
  let tree: { dir: string; pin: string };
  let snapshotKey: string;
  let timestampKey: string;
  beforeAll(async () => {
    r = await consistentRepo();
    tree = await treeOf(r, 'start');
    snapshotKey = pemFile(r.keys.snapshot[0]!, 'snapshot');
    timestampKey = pemFile(r.keys.timestamp[0]!, 'timestamp');
  });

  it('signs snapshot N+1 and timestamp M+1 and writes the refreshed tree; then a timestamp-only refresh', async () => {
    const out = fresh('refreshed');
    const a = await refresh(tree.dir, { root: tree.pin, out, snapshotKeyFile: snapshotKey, timestampKeyFile: timestampKey, snapshotExpires: '3d', timestampExpires: '12h' });
    expect(a.status).toBe(0);
    expect(a.json).toMatchObject({ ok: true, snapshot: { from: 1, to: 2 }, timestamp: { from: 1, to: 2 } });
    expect(a.json.files).toEqual(expect.arrayContaining(['1.root.json', '2.snapshot.json', '1.targets.json', '1.releases.json', 'timestamp.json']));
    const v = verifyRepository(await readRepositoryDir(out), { trustedRoot: r.roots[0]!, now: new Date(), requireComplete: true });
    expect(v.snapshot!.md.signed.version).toBe(2);
    const hours = (v.timestamp!.md.signed.expires.getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11);
    expect(hours).toBeLessThanOrEqual(12);
    // Only the timestamp: it names snapshot 2 again.
    const out2 = fresh('ts-only');
    const b = await refresh(out, { root: tree.pin, out: out2, timestampKeyFile: timestampKey });
    expect(b.status).toBe(0);
    expect(b.json).toMatchObject({ snapshot: null, timestamp: { from: 2, to: 3 } });
    const parsed = parseBytes(new Uint8Array(readFileSync(join(out2, 'timestamp.json')))).signed as JsonObject;
    expect((parsed.meta as JsonObject)['snapshot.json']).toMatchObject({ version: 2 });
    // The key files are not changed by being read (the copies in memory are wiped).
    expect(readFileSync(timestampKey, 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
  });

  it('renews a timestamp that has expired (the reason to refresh)', async () => {
    const r2 = await consistentRepo();
    const ts = parseBytes(r2.timestamp).signed as JsonObject;
    await r2.relink({ timestampSigned: { ...ts, expires: PAST } });
    const t = await treeOf(r2, 'expired-ts').catch((e: unknown) => e);
    // The tree command itself refuses an expired timestamp, as a client would...
    expect(t).toMatchObject({ code: 'EXPIRED' });
    // ...a refresh of its metadata folder renews it.
    const dir = fresh('expired-ts-meta');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, '1.root.json'), r2.roots[0]!);
    writeFileSync(join(dir, 'timestamp.json'), r2.timestamp);
    writeFileSync(join(dir, 'snapshot.json'), r2.snapshot);
    writeFileSync(join(dir, 'targets.json'), r2.targets);
    writeFileSync(join(dir, 'releases.json'), r2.delegated);
    const pin = join(dir, '1.root.json');
    const out = fresh('renewed');
    const res = await refresh(dir, { root: pin, out, snapshotKeyFile: pemFile(r2.keys.snapshot[0]!, 's'), timestampKeyFile: pemFile(r2.keys.timestamp[0]!, 't') });
    expect(res.status).toBe(0);
    const c = captureIo();
    expect(await runCli(['verify', out, '--root', pin], c.io)).toBe(0);
  });
});

describe('refresh refusals: each its own code, nothing written', () => {
  let r: BuiltRepo;
  let tree: { dir: string; pin: string };
  beforeAll(async () => {
    r = await consistentRepo();
    tree = await treeOf(r, 'refusals');
  });

  const stranger = (): string => pemFile({ privateKey: generateKeyPairSync('ed25519').privateKey }, 'stranger');

  it('a repository that does not verify: its verification code', async () => {
    const bad = await treeOf(r, 'tampered');
    writeFileSync(join(bad.dir, '1.targets.json'), Buffer.concat([readFileSync(join(bad.dir, '1.targets.json')), Buffer.from(' ')]));
    const out = fresh('out');
    const res = await refresh(bad.dir, { root: bad.pin, out, timestampKeyFile: pemFile(r.keys.timestamp[0]!, 't') });
    expect(res.status).toBe(1);
    expect(res.err[0]).toMatch(/^error\[LENGTH_MISMATCH\]/);
    expect(existsSync(out)).toBe(false);
  });

  it('an expired root: ROOT_EXPIRED', async () => {
    const r2 = await consistentRepo();
    const old = await sign('tuf', withField(parseBytes(r2.roots[0]!).signed as JsonObject, ['expires'], PAST), r2.keys.root.slice(0, 2));
    const dir = fresh('old-root');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, '1.root.json'), old);
    for (const [name, bytes] of [['timestamp.json', r2.timestamp], ['1.snapshot.json', r2.snapshot], ['1.targets.json', r2.targets], ['1.releases.json', r2.delegated]] as const) writeFileSync(join(dir, name), bytes);
    const out = fresh('out');
    const res = await refresh(dir, { root: join(dir, '1.root.json'), out, timestampKeyFile: pemFile(r2.keys.timestamp[0]!, 't') });
    expect(res.status).toBe(1);
    expect(res.err[0]).toMatch(/^error\[ROOT_EXPIRED\]/);
    expect(existsSync(out)).toBe(false);
  });

  const keyCases: { name: string; opts: () => Partial<RefreshOptions>; code: string; status: number }[] = [
    { name: 'a timestamp key not in the root', opts: () => ({ timestampKeyFile: stranger() }), code: 'REFRESH_KEY_NOT_IN_ROOT', status: 1 },
    { name: 'a snapshot key not in the root', opts: () => ({ snapshotKeyFile: stranger(), timestampKeyFile: pemFile(r.keys.timestamp[0]!, 't') }), code: 'REFRESH_KEY_NOT_IN_ROOT', status: 1 },
    { name: 'the snapshot key given as the timestamp key', opts: () => ({ timestampKeyFile: pemFile(r.keys.snapshot[0]!, 's') }), code: 'REFRESH_KEY_NOT_IN_ROOT', status: 1 },
    { name: 'a key file that is not a private key', opts: () => ({ timestampKeyFile: tree.pin }), code: 'KEY_INVALID', status: 1 },
    { name: 'no timestamp key', opts: () => ({ snapshotKeyFile: pemFile(r.keys.snapshot[0]!, 's') }), code: 'USAGE', status: 2 },
    { name: 'a label without a token', opts: () => ({ timestampLabel: 'ts' }), code: 'USAGE', status: 2 },
    { name: 'an expiry in the past', opts: () => ({ timestampKeyFile: pemFile(r.keys.timestamp[0]!, 't'), timestampExpires: PAST }), code: 'USAGE', status: 2 },
  ];
  for (const c of keyCases) {
    it(`${c.name}: ${c.code}`, async () => {
      const out = fresh('out');
      const res = await refresh(tree.dir, { root: tree.pin, out, ...c.opts() });
      expect(res.status).toBe(c.status);
      expect(res.err[0]).toMatch(new RegExp(`^error\\[${c.code}\\]`));
      expect(existsSync(out)).toBe(false);
      // A private key's content is never repeated.
      expect(res.err.join('\n')).not.toMatch(/PRIVATE KEY/);
    });
  }

  it('--targets not newer than the published targets.json: ROLLBACK; --targets without the snapshot key: USAGE', async () => {
    const same = join(work, `same-targets-${++n}.json`);
    writeFileSync(same, r.targets);
    const out = fresh('out');
    const a = await refresh(tree.dir, { root: tree.pin, out, targets: same, snapshotKeyFile: pemFile(r.keys.snapshot[0]!, 's'), timestampKeyFile: pemFile(r.keys.timestamp[0]!, 't') });
    expect(a.err[0]).toMatch(/^error\[ROLLBACK\]/);
    const b = await refresh(tree.dir, { root: tree.pin, out, targets: same, timestampKeyFile: pemFile(r.keys.timestamp[0]!, 't') });
    expect(b.status).toBe(2);
    expect(b.err[0]).toMatch(/^error\[USAGE\]/);
    // A targets.json the targets role did not sign.
    const forged = join(work, `forged-targets-${++n}.json`);
    writeFileSync(forged, await sign('tuf', { ...(parseBytes(r.targets).signed as JsonObject), version: 2 }, [r.keys.snapshot[0]!]));
    const c = await refresh(tree.dir, { root: tree.pin, out, targets: forged, snapshotKeyFile: pemFile(r.keys.snapshot[0]!, 's'), timestampKeyFile: pemFile(r.keys.timestamp[0]!, 't') });
    expect(c.err[0]).toMatch(/^error\[THRESHOLD_NOT_MET\]/);
    expect(existsSync(out)).toBe(false);
  });

  it('an existing output: OUTPUT_EXISTS (exit 2), left as it was', async () => {
    const res = await refresh(tree.dir, { root: tree.pin, out: tree.dir, timestampKeyFile: pemFile(r.keys.timestamp[0]!, 't') });
    expect(res.status).toBe(2);
    expect(res.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]/);
  });

  it('expiry options: durations from now, or a date', () => {
    const now = new Date('2030-01-01T00:00:00.500Z');
    expect(parseExpiryOption('7d', now, '--x')).toBe('2030-01-08T00:00:00Z');
    expect(parseExpiryOption('12h', now, '--x')).toBe('2030-01-01T12:00:00Z');
    expect(parseExpiryOption('2030-02-01T00:00:00Z', now, '--x')).toBe('2030-02-01T00:00:00Z');
    expect(() => parseExpiryOption('7w', now, '--x')).toThrow(/YYYY/);
  });
});
