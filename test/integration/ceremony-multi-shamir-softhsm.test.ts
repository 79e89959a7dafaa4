/**
 * Issue #17: a multi-repository plan with a Shamir-split software root key, on three SoftHSM2 tokens
 * (initialised by this test under a temp dir, as test/integration/ceremony-multi-softhsm.test.ts does),
 * through the CLI `run`:
 *
 * - 2 Notary repositories (each naming the timestamp key a real notary-server on loopback made for that
 *   GUN) and 2 TUF repositories share the custodians' root keys and ONE split software root key;
 * - the run is interrupted after the first repository: resuming without cards is refused
 *   (CEREMONY_CANNOT_RESUME, exit 1, no PIN asked), resuming with two of the three card files
 *   (`--share-card`) finishes it;
 * - every repository verifies (our verifier; Notary certificate rules per GUN); the real `notary` client
 *   lists each Notary repository published, trusting on first use and pinned to its root certificate IDs;
 *   tuf-js follows each TUF repository;
 * - the share cards rebuild a key whose public key is in every root and signed every root.json;
 * - no PIN and no private key of the split key (nor a share) in any file but the cards.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/output.js';
import { runCommand, type RunDeps } from '../../src/cli/run.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { parseShareCard, withReconstructedKey } from '../../src/shamir/index.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { checkNotaryRootCertificates } from '../../src/tuf/notary-root.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { serveFiles } from '../support/file-server.js';
import { startNotaryServer, type NotaryServer } from '../support/notary.js';
import { clientInMode, parseNotaryList, publishOk } from '../support/notary-publish.js';
import { scanForSecrets } from '../support/secret-scan.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const LABELS = ['alice', 'bob', 'carol'] as const;
const NAMES = ['Alice', 'Bob', 'Carol'] as const;
const PINS: Record<string, string> = { Alice: 'alice-split-1521', Bob: 'bob-split-2632', Carol: 'carol-split-3743' };
const GUNS = ['registry.example.com/split/app-0', 'registry.example.com/split/app-1'];
const TUF_NAMES = ['example.com/split/tuf-0', 'example.com/split/tuf-1'];
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;
const readBytes = (d: string, n: string): Uint8Array => new Uint8Array(readFileSync(join(d, n)));
const filesUnder = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)]));

let dir: string;
let server: NotaryServer;
const serials: Record<string, string> = {};
const prompts: string[] = [];

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2`);
  dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-multi-shamir-'));
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  LABELS.forEach((label, i) => execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', PINS[NAMES[i]!]!, '--so-pin', '12345678'], { env: process.env }));
  const mod = await TokenModule.load(SOFTHSM);
  for (const t of await mod.listTokens()) if (t.initialized) serials[t.label] = t.serial;
  await mod.finalize();
  server = await startNotaryServer();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runDeps(fault?: (p: string) => void): RunDeps {
  return {
    load: (path, opts) => TokenModule.load(path, opts),
    exists: existsSync,
    platform: process.platform,
    env: {},
    interactive: true,
    promptPin: (question) => {
      const who = NAMES.find((n) => question.includes(n))!;
      prompts.push(who);
      return Promise.resolve(new Uint8Array(Buffer.from(PINS[who]!, 'utf8')));
    },
    now: () => new Date(),
    ...(fault ? { fault } : {}),
  };
}

async function cli(fn: (io: { out(s: string): void; err(s: string): void }) => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
  let status: number;
  try {
    status = await fn(io);
  } catch (e) {
    status = reportError(io, e, false);
  }
  return { status, out, err };
}

interface MultiJson {
  repositories: { name: string; profile: 'notary' | 'tuf'; dir: string; rootKeyIds: string[] }[];
  sealKeyId: string;
  resumed: boolean;
  repositoriesDoneBefore: number;
  shareCards: string[];
}

describe.skipIf(!existsSync(SOFTHSM))('a split software root key shared by many repositories, on three SoftHSM2 tokens', () => {
  it('run, interrupted; resume refused without cards, finished with two cards; notary and tuf-js accept every repository', async () => {
    const d = join(dir, 'split');
    mkdirSync(d, { recursive: true });
    const notaryEntries = [];
    for (const [i, gun] of GUNS.entries()) {
      const bytes = await server.tufFile(gun, 'timestamp.key');
      writeFileSync(join(d, `timestamp-${i}.key`), bytes);
      notaryEntries.push({ name: gun, timestamp: { keyFile: `timestamp-${i}.key`, sha256: sha256(bytes) } });
    }
    const plan = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'notary',
      repositories: [...notaryEntries, ...TUF_NAMES.map((name) => ({ name, profile: 'tuf' }))],
      custodians: LABELS.map((l, i) => ({ name: NAMES[i]!, token: { serial: serials[l]!, label: l }, keyAlgorithm: 'ecdsa-p256', keyLabel: `s-root-${l}` })),
      root: { threshold: 2, expires: year(10) },
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 's-targets' }, expires: year(3) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 's-snapshot' }, expires: year(3) },
      timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 's-timestamp' }, expires: year(1) },
      shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' },
    };
    const planBytes = Buffer.from(JSON.stringify(plan, null, 2));
    const planPath = join(d, 'plan.json');
    writeFileSync(planPath, planBytes);
    const bindingsPath = join(d, 'bindings.json');
    writeFileSync(bindingsPath, JSON.stringify({ format: 'tuf-ceremony-site-bindings', version: 1, planSha256: sha256(planBytes), module: { preset: 'softhsm2' }, custodians: Object.fromEntries(NAMES.map((n) => [n, { pin: 'prompt' }])) }));
    const out = join(d, 'out');

    // Interrupted once the first repository is recorded: the split key is wiped with the process.
    const first = await cli((io) =>
      runCommand(planPath, { bindings: bindingsPath, out }, io, runDeps((p) => {
        if (p === `recorded:${GUNS[0]}`) throw new Error('power cut');
      })),
    );
    expect(first.status).not.toBe(0);
    const cardFiles = readdirSync(join(out, 'secret')).filter((n) => n.endsWith('.txt')).sort().map((n) => join(out, 'secret', n));
    expect(cardFiles).toHaveLength(3);

    // Resumed without cards: refused before any PIN, nothing written.
    prompts.length = 0;
    const refused = await cli((io) => runCommand(planPath, { bindings: bindingsPath, out }, io, runDeps()));
    expect(refused.status).toBe(1);
    expect(refused.err[0]).toMatch(/^error\[CEREMONY_CANNOT_RESUME\]: the software root key split .* 3 repositories still need their root signed by it: resume with 2 of its 3 share cards/);
    expect(prompts).toEqual([]);

    // Resumed with two of the three cards.
    const r = await cli((io) => runCommand(planPath, { bindings: bindingsPath, out, json: true, shareCard: [cardFiles[2]!, cardFiles[0]!] }, io, runDeps()));
    expect(r.status, r.err.join('\n')).toBe(0);
    const summary = JSON.parse(r.out.join('')) as MultiJson;
    expect(summary.resumed).toBe(true);
    expect(summary.repositoriesDoneBefore).toBe(1);
    expect(summary.shareCards).toHaveLength(4);
    const t = verifyTranscript(readBytes(out, 'state/transcript.jsonl'), { expectedSealKeyId: summary.sealKeyId });
    expect(t.entries.filter((e) => e.step === 'shamir.split')).toHaveLength(1);
    expect(t.entries.filter((e) => e.step === 'shamir.rebuild')).toHaveLength(1);
    expect(t.entries.filter((e) => e.step === 'repository.write')).toHaveLength(4);

    // The cards rebuild the key in (and signing) every root.
    const cards = cardFiles.map((f) => parseShareCard(new Uint8Array(readFileSync(f))));
    const split = await withReconstructedKey(cards.slice(0, 2), (k) => ({ fingerprint: k.fingerprint, secret: Uint8Array.from(k.secret) }));
    const now = new Date();
    for (const repo of summary.repositories) {
      const folder = join(out, repo.dir);
      const root = readBytes(folder, 'root.json');
      const v =
        repo.profile === 'notary'
          ? verifyRepository({ versionedRoots: new Map([[1, root]]), root, targets: readBytes(folder, 'targets.json'), snapshot: readBytes(folder, 'snapshot.json'), delegated: new Map() }, { trustedRoot: root, now, gun: repo.name })
          : verifyRepository(
              { versionedRoots: new Map([[1, root]]), root, targets: readBytes(folder, 'targets.json'), snapshot: readBytes(folder, 'snapshot.json'), timestamp: readBytes(folder, 'timestamp.json'), delegated: new Map() },
              { trustedRoot: root, now, requireComplete: true },
            );
      if (repo.profile === 'notary') checkNotaryRootCertificates(v.root, now, repo.name);
      const ids = v.root.signed.roles.get('root')!.keyids;
      expect(ids).toHaveLength(4);
      const splitId = ids.find((id) => v.root.signed.keys.get(id)!.key.fingerprint === split.fingerprint);
      expect(splitId, repo.name).toBeDefined();
      expect(repo.rootKeyIds[3]).toBe(splitId);
      expect(v.root.signatures.some((s) => s.keyid === splitId), repo.name).toBe(true);
    }

    // The real notary client, trusting on first use and pinned to the root certificate IDs (the split key's among them).
    for (const repo of summary.repositories.filter((x) => x.profile === 'notary')) {
      const folder = join(out, repo.dir);
      const files = new Map(['root', 'targets', 'snapshot'].map((role) => [role, readBytes(folder, `${role}.json`)] as const));
      await publishOk(server.url, repo.name, files);
      for (const mode of ['tofu', 'pinned'] as const) {
        const client = clientInMode(mode, { serverUrl: server.url, gun: repo.name, dir: mkdtempSync(join(dir, `notary-${mode}-`)), rootCertKeyIds: repo.rootKeyIds });
        const list = await client.ok(['list', repo.name]);
        expect(parseNotaryList(list.stdout), `${mode} ${repo.name}`).toEqual([]);
        expect(readBytes(client.metadataDir(repo.name), 'root.json')).toEqual(files.get('root'));
      }
    }

    // tuf-js follows each TUF repository from its root.json.
    for (const repo of summary.repositories.filter((x) => x.profile === 'tuf')) {
      const folder = join(out, repo.dir);
      const served = await serveFiles(new Map(readdirSync(folder).map((n) => [`/metadata/${n}`, readBytes(folder, n)] as const)));
      const metadataDir = mkdtempSync(join(dir, 'tufjs-md-'));
      writeFileSync(join(metadataDir, 'root.json'), readBytes(folder, 'root.json'));
      try {
        const updater = new Updater({ metadataDir, targetDir: mkdtempSync(join(dir, 'tufjs-tg-')), metadataBaseUrl: `${served.base}/metadata`, targetBaseUrl: `${served.base}/targets`, config: { fetchRetries: 0 } });
        await updater.refresh();
        for (const role of ['timestamp', 'snapshot', 'targets']) expect(readBytes(metadataDir, `${role}.json`)).toEqual(readBytes(folder, `${role}.json`));
      } finally {
        await served.close();
      }
    }

    // No PIN, no split key, no share in any file but the cards (a positive control first).
    const secrets = [...Object.values(PINS).map((p) => new Uint8Array(Buffer.from(p))), split.secret, ...cards.map((c) => Uint8Array.from(c.share))];
    expect(scanForSecrets(new TextEncoder().encode(`x${Buffer.from(split.secret).toString('hex')}x`), secrets)).toHaveLength(1);
    const checked = filesUnder(out).filter((f) => !f.startsWith(join(out, 'secret')));
    expect(checked.length).toBeGreaterThan(12);
    for (const f of checked) expect(scanForSecrets(new Uint8Array(readFileSync(f)), secrets), f).toEqual([]);
  }, 600_000);
});
