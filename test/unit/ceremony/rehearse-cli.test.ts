/**
 * `tuf-ceremony rehearse` on in-process software tokens (SoftHSM2 is the integration test's): the files it
 * leaves (the contract in TEAM-NOTES, "ceremony"), the --json summary, the Notary timestamp key from a file
 * or made by the rehearsal, and the refusals (exit statuses as the CLI reports them).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reportError } from '../../../src/cli/output.js';
import { runCli } from '../../../src/cli/program.js';
import { rehearseCommand, type KeptRehearsalTokens, type RehearseOptions } from '../../../src/cli/rehearse.js';
import type { JsonObject } from '../../../src/json/types.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { cleanup, serverKeyFile, tempDir } from './support.js';

afterAll(cleanup);

const GUN = 'registry.example.com/org/rehearsed';
const software = { softhsmPath: () => undefined, now: () => new Date() };

async function rehearse(opts: RehearseOptions) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
  let status: number;
  try {
    status = await rehearseCommand(opts, io, software);
  } catch (e) {
    status = reportError(io, e, Boolean(opts.json));
  }
  return { status, out, err };
}

describe('rehearse --profile notary', () => {
  it('with the server’s timestamp key: root lists it; the documented files and --json summary', async () => {
    const dir = tempDir('rehearse-');
    const key = serverKeyFile(dir, 'server-timestamp.key');
    const out = join(dir, 'out');
    const r = await rehearse({ profile: 'notary', gun: GUN, timestampKey: join(dir, 'server-timestamp.key'), out, json: true });
    expect(r.err).toEqual([]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.out.join('')) as JsonObject;
    expect(j).toMatchObject({
      ok: true,
      profile: 'notary',
      repository: GUN,
      out,
      rehearsal: 'software',
      files: { root: 'root.json', targets: 'targets.json', snapshot: 'snapshot.json', timestamp: null },
      timestampKeySource: 'file',
      shareCards: ['share-card-1-of-3.txt', 'share-card-2-of-3.txt', 'share-card-3-of-3.txt', 'share-cards.html'],
    });
    expect(j.rootKeyIds).toHaveLength(4);
    expect(readdirSync(out).sort()).toEqual(
      [
        'ceremony-state.json',
        'plan.json',
        'root.json',
        'share-card-1-of-3.txt',
        'share-card-2-of-3.txt',
        'share-card-3-of-3.txt',
        'share-cards.html',
        'snapshot.json',
        'targets.json',
        'timestamp.key',
        'transcript.html',
        'transcript.jsonl',
      ].sort(),
    );
    expect(new Uint8Array(readFileSync(join(out, 'timestamp.key')))).toEqual(key);
    const root = new Uint8Array(readFileSync(join(out, 'root.json')));
    const v = verifyRepository(
      { versionedRoots: new Map(), root, targets: new Uint8Array(readFileSync(join(out, 'targets.json'))), snapshot: new Uint8Array(readFileSync(join(out, 'snapshot.json'))), delegated: new Map() },
      { trustedRoot: root, now: new Date(), gun: GUN },
    );
    expect(v.root.signed.roles.get('timestamp')!.keyids).toEqual([j.timestampKeyId]);
    // The transcript verifies with the CLI, pinned to the seal key the summary names.
    const io = { out: () => undefined, err: () => undefined };
    expect(await runCli(['transcript', 'verify', join(out, 'transcript.jsonl'), '--seal-key', j.sealKeyId as string], io)).toBe(0);
  });

  it('without --timestamp-key: makes its own and says so; says what the rehearsal does not cover yet', async () => {
    const out = join(tempDir('rehearse-'), 'out');
    const r = await rehearse({ out });
    expect(r.status).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/^REHEARSAL: notary root ceremony for rehearsal\.example\.com\/org\/app/);
    expect(text).toMatch(/no --timestamp-key: the rehearsal made its own timestamp key .*notary-server will not accept this root/);
    expect(text).toMatch(/not yet part of the rehearsal \(later issues\): rotation; export \(USB bundle, QR frames\); import at a simulated site/);
    expect(text).toContain(join(out, 'root.json'));
    expect(existsSync(join(out, 'timestamp.key'))).toBe(true);
  });
});

describe('rehearse --profile notary --snapshot-key FILE (a server-managed snapshot)', () => {
  it('root lists the server’s snapshot key; no snapshot.json; the tokens can be kept open for the caller', async () => {
    const dir = tempDir('rehearse-');
    serverKeyFile(dir, 'ts.key');
    const sn = serverKeyFile(dir, 'sn.key');
    const out = join(dir, 'out');
    let kept: KeptRehearsalTokens | undefined;
    const o: string[] = [];
    const status = await rehearseCommand(
      { gun: GUN, timestampKey: join(dir, 'ts.key'), snapshotKey: join(dir, 'sn.key'), out, json: true },
      { out: (l) => void o.push(l), err: () => undefined },
      { ...software, keepTokens: (k) => (kept = k) },
    );
    expect(status).toBe(0);
    const j = JSON.parse(o.join('')) as JsonObject;
    expect(j).toMatchObject({ files: { snapshot: null, timestamp: null }, snapshotKeySource: 'file' });
    expect(existsSync(join(out, 'snapshot.json'))).toBe(false);
    expect(new Uint8Array(readFileSync(join(out, 'snapshot.key')))).toEqual(sn);
    const snKey = JSON.parse(Buffer.from(sn).toString('utf8')) as JsonObject;
    const root = JSON.parse(readFileSync(join(out, 'root.json'), 'utf8')) as { signed: { keys: Record<string, JsonObject> } };
    expect(root.signed.keys[j.snapshotKeyId as string]).toEqual({ keytype: 'ed25519', keyval: { private: null, public: (snKey.keyval as JsonObject).public } });
    // The caller holds the rehearsal tokens: Alice's targets key can still sign.
    expect(kept!.tokens.map((t) => t.custodian)).toEqual(['Alice', 'Bob', 'Carol']);
    const targetsKey = await kept!.tokens[0]!.findKey('rehearsal-targets');
    expect(targetsKey.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    await kept!.close();
  });
});

describe('rehearse --profile tuf', () => {
  it('writes the complete TUF repository', async () => {
    const out = join(tempDir('rehearse-'), 'out');
    const r = await rehearse({ profile: 'tuf', out, json: true });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.out.join('')) as JsonObject;
    expect(j.files).toEqual({ root: 'root.json', targets: 'targets.json', snapshot: 'snapshot.json', timestamp: 'timestamp.json' });
    expect(j.timestampKeySource).toBeNull();
    for (const f of ['1.root.json', 'timestamp.json']) expect(existsSync(join(out, f))).toBe(true);
    expect(existsSync(join(out, 'timestamp.key'))).toBe(false);
  });
});

describe('refusals', () => {
  it('an output folder holding a file the rehearsal would write: OUTPUT_EXISTS, exit 2, nothing written', async () => {
    const out = tempDir('rehearse-');
    writeFileSync(join(out, 'root.json'), 'precious');
    const r = await rehearse({ out });
    expect(r.status).toBe(2);
    expect(r.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]: root\.json already exists/);
    expect(readdirSync(out)).toEqual(['root.json']);
  });

  it('--timestamp-key with --profile tuf, or an unknown profile: USAGE, exit 2', async () => {
    const out = join(tempDir('rehearse-'), 'out');
    expect((await rehearse({ profile: 'tuf', timestampKey: '/x', out })).status).toBe(2);
    expect((await rehearse({ profile: 'tuf', snapshotKey: '/x', out })).status).toBe(2);
    const bad = await rehearse({ profile: 'docker', out });
    expect(bad.status).toBe(2);
    expect(bad.err[0]).toMatch(/^error\[USAGE\]: --profile is notary or tuf/);
  });

  it('a timestamp key file that is not a server key: PLAN_INPUT_MISMATCH, exit 1', async () => {
    const dir = tempDir('rehearse-');
    writeFileSync(join(dir, 'ts.key'), '{"keytype":"ed25519","keyval":{"public":"AAAA","private":"secret"}}');
    const r = await rehearse({ timestampKey: join(dir, 'ts.key'), out: join(dir, 'out') });
    expect(r.status).toBe(1);
    expect(r.err[0]).toMatch(/^error\[PLAN_INPUT_MISMATCH\]: /);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('is registered on the program: a missing --out is a usage error', async () => {
    const err: string[] = [];
    expect(await runCli(['rehearse', '--profile', 'tuf'], { out: () => undefined, err: (s) => void err.push(s) })).toBe(2);
    expect(err[0]).toMatch(/^error\[USAGE\]: .*--out/);
  });
});
