/**
 * `tuf-ceremony rehearse` on in-process software tokens (SoftHSM2 is the integration test's): the files it
 * leaves (the contract in TEAM-NOTES, "ceremony"), the --json summary, the Notary timestamp key from a file
 * or made by the rehearsal, and the refusals (exit statuses as the CLI reports them).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { reportError } from '../../../src/cli/output.js';
import { runCli } from '../../../src/cli/program.js';
import { rehearseCommand, type KeptRehearsalTokens, type RehearseOptions } from '../../../src/cli/rehearse.js';
import type { JsonObject } from '../../../src/json/types.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { scanForSecrets } from '../../support/secret-scan.js';
import { cleanup, filesUnder, secretsOf, serverKeyFile, tempDir } from './support.js';

afterAll(cleanup);
// A rehearsal now runs every stage (root ceremony, rotation, USB + QR export, site import with QR decoding):
// 2–3 s alone, more on a loaded 2-core machine.
vi.setConfig({ testTimeout: 60_000 });

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
      files: { root: 'metadata/root.json', targets: 'metadata/targets.json', snapshot: 'metadata/snapshot.json', timestamp: null },
      metadataDir: 'metadata',
      transcript: 'state/transcript.jsonl',
      script: 'script.html',
      timestampKeySource: 'file',
      shareCards: ['secret/share-card-1-of-3.txt', 'secret/share-card-2-of-3.txt', 'secret/share-card-3-of-3.txt', 'secret/share-cards.html'],
    });
    expect(j.rootKeyIds).toHaveLength(4);
    // The root ceremony's outputs in the metadata/, secret/, state/ layout (src/ceremony/layout.ts).
    expect(readdirSync(out).sort()).toEqual(['export', 'metadata', 'plan.json', 'rotation', 'script.html', 'secret', 'state', 'timestamp.key']);
    expect(readdirSync(join(out, 'metadata')).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json']);
    expect(readdirSync(join(out, 'secret')).sort()).toEqual(['share-card-1-of-3.txt', 'share-card-2-of-3.txt', 'share-card-3-of-3.txt', 'share-cards.html']);
    expect(readdirSync(join(out, 'state')).sort()).toEqual(['ceremony-state.json', 'key-inventory.json', 'transcript.html', 'transcript.jsonl']);
    expect(readFileSync(join(out, 'script.html'), 'utf8')).toMatch(/REHEARSAL/);
    // With the server's timestamp key only the server can sign the site's timestamp.json: the site stage
    // is skipped, and the summary says so.
    expect(j.site).toBeNull();
    expect(j.notYetRehearsed).toEqual([expect.stringMatching(/^import at a simulated site: notary-server signs the timestamp with its own key/)]);
    expect(j.rotation).toMatchObject({ root: 'rotation/2.root.json', snapshot: 'rotation/snapshot.json', version: 2, replaced: { custodian: 'Carol', by: 'Dave' } });
    expect(existsSync(join(out, 'rotation', '2.root.json'))).toBe(true);
    expect(existsSync(join(out, 'export', 'usb', 'rehearsal-trust.bundle'))).toBe(true);
    expect(new Uint8Array(readFileSync(join(out, 'timestamp.key')))).toEqual(key);
    const root = new Uint8Array(readFileSync(join(out, 'metadata', 'root.json')));
    const v = verifyRepository(
      { versionedRoots: new Map(), root, targets: new Uint8Array(readFileSync(join(out, 'metadata', 'targets.json'))), snapshot: new Uint8Array(readFileSync(join(out, 'metadata', 'snapshot.json'))), delegated: new Map() },
      { trustedRoot: root, now: new Date(), gun: GUN },
    );
    expect(v.root.signed.roles.get('timestamp')!.keyids).toEqual([j.timestampKeyId]);
    // The transcript verifies with the CLI, pinned to the seal key the summary names.
    const io = { out: () => undefined, err: () => undefined };
    expect(await runCli(['transcript', 'verify', join(out, 'state', 'transcript.jsonl'), '--seal-key', j.sealKeyId as string], io)).toBe(0);
    // The rotation session's transcript, sealed by the same key (Alice's rehearsal root key).
    const rotation = j.rotation as { transcript: string; transcriptSealKeyId: string };
    expect(rotation.transcript).toBe('rotation/transcript.jsonl');
    expect(rotation.transcriptSealKeyId).toBe(j.sealKeyId);
    expect(await runCli(['transcript', 'verify', join(out, rotation.transcript), '--seal-key', rotation.transcriptSealKeyId], io)).toBe(0);
    expect(await runCli(['transcript', 'verify', join(out, rotation.transcript), '--seal-key', 'f'.repeat(64)], io)).toBe(1);
    // The metadata/ folder, and the output folder itself, verify with the CLI (issue #16: a ceremony output folder names its metadata/).
    for (const dir of [join(out, 'metadata'), out]) expect(await runCli(['verify', dir, '--root', join(out, 'metadata', 'root.json')], io), dir).toBe(0);
  });

  it('without --timestamp-key: makes its own and says so; rehearses every stage', async () => {
    const out = join(tempDir('rehearse-'), 'out');
    const r = await rehearse({ out });
    expect(r.status).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/^REHEARSAL: notary root ceremony for rehearsal\.example\.com\/org\/app/);
    expect(text).toMatch(/no --timestamp-key: the rehearsal made its own timestamp key .*notary-server will not accept this root/);
    expect(text).toMatch(/^ROTATION \(rehearsal\): Carol's token is reported lost/m);
    expect(text).toMatch(/^EXPORT: trust bundle /m);
    expect(text).toMatch(/^SITE \(simulated, air-gapped\): /m);
    expect(text).toMatch(/tampered copy .* refused with error\[LENGTH_MISMATCH\]/);
    // Refused by the installed store itself (not an empty folder), which is left byte for byte as it was.
    expect(text).toContain(`imported over the installed store: refused with error[LENGTH_MISMATCH]`);
    expect(text).toMatch(new RegExp(`nothing changed in ${join(out, 'site', 'trust-dir').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(tree SHA-256 [0-9a-f]{16}… before and after\\)`));
    expect(existsSync(join(out, 'site', 'tampered-trust-dir'))).toBe(false);
    expect(text).not.toMatch(/not rehearsed here/);
    expect(text).toContain(join(out, 'metadata'));
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
    expect(existsSync(join(out, 'metadata', 'snapshot.json'))).toBe(false);
    // The rotation still happens (root v2, no snapshot to re-sign); the site needs the server's snapshot and timestamp.
    expect(j.rotation).toMatchObject({ root: 'rotation/2.root.json', snapshot: null });
    expect(j.site).toBeNull();
    expect(j.notYetRehearsed).toEqual([expect.stringMatching(/^import at a simulated site: notary-server signs the snapshot and timestamp with its own keys/)]);
    expect(new Uint8Array(readFileSync(join(out, 'snapshot.key')))).toEqual(sn);
    const snKey = JSON.parse(Buffer.from(sn).toString('utf8')) as JsonObject;
    const root = JSON.parse(readFileSync(join(out, 'metadata', 'root.json'), 'utf8')) as { signed: { keys: Record<string, JsonObject> } };
    expect(root.signed.keys[j.snapshotKeyId as string]).toEqual({ keytype: 'ed25519', keyval: { private: null, public: (snKey.keyval as JsonObject).public } });
    // The caller holds the rehearsal tokens: Alice's targets key can still sign.
    expect(kept!.tokens.map((t) => t.custodian)).toEqual(['Alice', 'Bob', 'Carol']);
    const targetsKey = await kept!.tokens[0]!.findKey('rehearsal-targets');
    expect(targetsKey.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    await kept!.close();
  });
});

describe('rehearse: the stages write nothing secret', () => {
  it('no custodian token key appears in rotation/, export/ or site/ (PNG frames and bundles included)', async () => {
    const out = join(tempDir('rehearse-'), 'out');
    let kept: KeptRehearsalTokens | undefined;
    const status = await rehearseCommand({ profile: 'tuf', out, json: true }, { out: () => undefined, err: () => undefined }, { ...software, keepTokens: (k) => (kept = k) });
    expect(status).toBe(0);
    // Software rehearsal tokens: the keys' secrets are readable here (never on SoftHSM2).
    const labels = [['Alice', 'rehearsal-root-alice'], ['Alice', 'rehearsal-targets'], ['Bob', 'rehearsal-root-bob'], ['Carol', 'rehearsal-root-carol']] as const;
    const keys = await Promise.all(labels.map(([who, label]) => kept!.tokens.find((t) => t.custodian === who)!.findKey(label)));
    const secrets = secretsOf(keys);
    await kept!.close();
    expect(secrets).toHaveLength(4);
    const files = [...filesUnder(out)].filter(([name]) => /^(rotation|export|site)\//.test(name));
    expect(files.map(([n]) => n)).toEqual(expect.arrayContaining(['rotation/request.json', 'rotation/response-alice.json', 'export/usb/rehearsal-trust.bundle', 'export/qr/frames.txt', 'site/received-by-qr.bundle']));
    for (const [name, bytes] of files) expect(scanForSecrets(bytes, secrets), name).toEqual([]);
    // Positive control: Bob's key planted in his response is found.
    const response = files.find(([n]) => n === 'rotation/response-bob.json')![1];
    const planted = new TextEncoder().encode(`${new TextDecoder().decode(response)}${Buffer.from(secrets[2]!).toString('hex')}`);
    expect(scanForSecrets(planted, secrets).map((f) => f.secret)).toContain(2);
  });
});

describe('rehearse --profile tuf', () => {
  it('writes the complete TUF repository', async () => {
    const out = join(tempDir('rehearse-'), 'out');
    const r = await rehearse({ profile: 'tuf', out, json: true });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.out.join('')) as JsonObject;
    expect(j.files).toEqual({ root: 'metadata/root.json', targets: 'metadata/targets.json', snapshot: 'metadata/snapshot.json', timestamp: 'metadata/timestamp.json' });
    expect(j.timestampKeySource).toBeNull();
    for (const f of ['1.root.json', 'timestamp.json']) expect(existsSync(join(out, 'metadata', f))).toBe(true);
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
    // In the metadata/ folder the rehearsal writes into: the same.
    const out2 = tempDir('rehearse-');
    mkdirSync(join(out2, 'metadata'));
    writeFileSync(join(out2, 'metadata', 'targets.json'), 'precious');
    const r2 = await rehearse({ out: out2 });
    expect(r2.status).toBe(2);
    expect(r2.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]: targets\.json already exists/);
    expect(readdirSync(out2)).toEqual(['metadata']);
    expect(readdirSync(join(out2, 'metadata'))).toEqual(['targets.json']);
  });

  it('an output folder holding a stage folder (rotation/, export/, site/): OUTPUT_EXISTS before anything is written', async () => {
    for (const stage of ['rotation', 'export', 'site']) {
      const out = tempDir('rehearse-');
      writeFileSync(join(out, stage), 'precious');
      const r = await rehearse({ profile: 'tuf', out });
      expect(r.status).toBe(2);
      expect(r.err[0]).toMatch(new RegExp(`^error\\[OUTPUT_EXISTS\\]: ${stage} already exists`));
      expect(readdirSync(out)).toEqual([stage]);
    }
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
    writeFileSync(join(dir, 'ts.key'), '{"keytype":"ed25519","keyval":{"public":"AAAA","private":null}}');
    const r = await rehearse({ timestampKey: join(dir, 'ts.key'), out: join(dir, 'out') });
    expect(r.status).toBe(1);
    expect(r.err[0]).toMatch(/^error\[PLAN_INPUT_MISMATCH\]: /);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a timestamp key file that holds a private key: KEY_FILE_PRIVATE (treat it as exposed), exit 1, its content never repeated', async () => {
    const dir = tempDir('rehearse-');
    writeFileSync(join(dir, 'ts.key'), '{"keytype":"ed25519","keyval":{"public":"AAAA","private":"c2VjcmV0LXNlY3JldA=="}}');
    const r = await rehearse({ timestampKey: join(dir, 'ts.key'), out: join(dir, 'out') });
    expect(r.status).toBe(1);
    expect(r.err[0]).toMatch(/^error\[KEY_FILE_PRIVATE\]: .*exposed/);
    expect(r.err.join('\n')).not.toContain('c2VjcmV0');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('is registered on the program: a missing --out is a usage error', async () => {
    const err: string[] = [];
    expect(await runCli(['rehearse', '--profile', 'tuf'], { out: () => undefined, err: (s) => void err.push(s) })).toBe(2);
    expect(err[0]).toMatch(/^error\[USAGE\]: .*--out/);
  });
});
