/**
 * `tuf-ceremony rehearse` end to end (PRODUCT.md §3; issues #5 and #6: "rehearse now includes a rotation",
 * "rehearse now exports by USB and QR and imports at a simulated site"), in both profiles, on SoftHSM2
 * rehearsal tokens when it is installed and on in-process software tokens:
 *
 * - every file the summary names exists; the rotation's request/responses parse and root v2 is the merge;
 * - the chain v1 → v2 verifies with our verifier, from the pinned v1;
 * - the USB bundle decodes and the QR frames (the PNGs written) reassemble to the same bytes;
 * - the site's trust folder verifies with our verifier, pinned to v1, and the tampered copy left the
 *   second site folder empty;
 * - peers: tuf-js's Updater accepts the site folder as its trusted state and, pinned at v1, follows the
 *   exported repository's chain to v2 (served on 127.0.0.1); the real `notary` client lists the site's
 *   Notary trust directory with no server reachable.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBundle } from '../../src/bundle/format.js';
import { defaultRehearseDeps, rehearseCommand, type RehearseDeps, type RehearseOptions } from '../../src/cli/rehearse.js';
import { groupHex, groupWords, shortDigest } from '../../src/crypto/digest-words.js';
import { readQrCodes } from '../../src/io/qr-images.js';
import { runSiteImportStage, siteTreeDigest } from '../../src/rehearsal/site-import-stage.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { sha256Hex } from '../../src/crypto/digest.js';
import { runCli } from '../../src/cli/program.js';
import { captureIo } from '../support/cli-io.js';
import { parseSignatureResponse, parseSigningRequest } from '../../src/rotation/index.js';
import { QrAssembler } from '../../src/transport/qr/index.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { verifyRepository, type RepositoryFiles } from '../../src/tuf/repository.js';
import { verifyRootUpdate } from '../../src/tuf/root-chain.js';
import { builtCli } from '../support/cli-build.js';
import { serveFiles } from '../support/file-server.js';
import { freePort, notaryClient } from '../support/notary.js';

const SOFTHSM = existsSync('/usr/lib/softhsm/libsofthsm2.so');
const NOTARY = existsSync('/usr/bin/notary');
const GUN = 'registry.example.com/rehearsal/full';
const work = mkdtempSync(join(tmpdir(), 'tufc-rehearse-full-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const software: RehearseDeps = { softhsmPath: () => undefined, now: () => new Date() };
const bytesOf = (dir: string, name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));

interface Summary {
  out: string;
  rehearsal: string;
  rotation: { request: string; review: string; responses: string[]; root: string; snapshot: string | null; version: number; waitingForAfterFirst: { name: string; side: string }[]; status: string; shortHash: string; words: string[] };
  export: { bundle: string; sha256: string; shortHash: string; words: string[]; contents: string[]; qr: { dir: string; frames: number; fragments: number } };
  site: { pinnedRoot: string; received: string; trustDir: string; folder: string; qr: { shown: number; dropped: number; read: number }; installed: { files: string[]; rootChain: number[] }; transcript: string | null; refusal: { trustDir: string; code: string; unchanged: boolean; treeSha256: string; transcript: string | null } } | null;
  durationMs: Record<string, number>;
  notYetRehearsed: string[];
}

async function rehearse(opts: RehearseOptions, deps: RehearseDeps): Promise<{ j: Summary; text: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await rehearseCommand({ ...opts, json: true }, { out: (s) => void out.push(s), err: (s) => void err.push(s) }, deps);
  expect(err, err.join('\n')).toEqual([]);
  expect(status).toBe(0);
  return { j: JSON.parse(out.join('')) as Summary, text: out };
}

/** The site folder's files as a repository (the layout's metadata folder). */
function siteFiles(folder: string): RepositoryFiles {
  const get = (n: string): Uint8Array => bytesOf(folder, n);
  return { versionedRoots: new Map(), root: get('root.json'), timestamp: get('timestamp.json'), snapshot: get('snapshot.json'), targets: get('targets.json'), delegated: new Map() };
}

/** What every profile and token kind must show. */
async function checkCommon(j: Summary, profile: 'notary' | 'tuf'): Promise<void> {
  const out = j.out;
  // Every file the summary names exists.
  for (const f of [j.rotation.request, j.rotation.review, ...j.rotation.responses, j.rotation.root, j.export.bundle, join(j.export.qr.dir, 'frames.txt')]) expect(existsSync(join(out, f)), f).toBe(true);
  if (profile === 'notary') expect(existsSync(join(out, j.rotation.snapshot!))).toBe(true);
  const frames = readdirSync(join(out, j.export.qr.dir)).filter((f) => f.endsWith('.png'));
  expect(frames).toHaveLength(j.export.qr.frames);
  expect(j.notYetRehearsed).toEqual([]);

  // The rotation: Carol's key replaced by Dave's; the review names both and shows the hash words.
  const request = parseSigningRequest(bytesOf(out, j.rotation.request));
  const review = readFileSync(join(out, j.rotation.review), 'utf8');
  // Each key as `key <12 hex>… (fingerprint <first 128 bits in 8 groups of 4>) named "<name>"`.
  const keyText = (name: string): string => {
    const id = request.expectedSigners.find((s) => s.name === name)!.keyid;
    const fp = (request.previous.signed.keys.get(id) ?? request.root.keys.get(id))!.key.fingerprint;
    return `key ${id.slice(0, 12)}… (fingerprint ${groupHex(shortDigest(fp).hex)}) named "${name}"`;
  };
  expect(review).toContain(`root: ${keyText('Carol')} is REPLACED by ${keyText('Dave')} (the old key loses the root role, the new one gains it) — reported LOST (it cannot sign)\n`);
  // The short hash: the first 16 bytes of the SHA-256 of the bytes to sign, 16 words in 4 groups of 4.
  expect(j.rotation.shortHash).toBe(request.payloadSha256.slice(0, 32));
  expect(j.rotation.words).toEqual(shortDigest(request.payloadSha256).words);
  expect(j.rotation.words).toHaveLength(16);
  expect(review).toContain(`short hash ${groupHex(j.rotation.shortHash)} — read aloud: ${groupWords(j.rotation.words)}\n`);
  expect(request.expectedSigners.find((s) => s.name === 'Carol')).toMatchObject({ lost: true });
  expect(j.rotation.responses.map((f) => parseSignatureResponse(bytesOf(out, f)).signer.name)).toEqual(['Alice', 'Bob']);
  // Merged Bob first: then it waited for Alice (or the backup key), never for Carol.
  expect(j.rotation.waitingForAfterFirst.map((w) => w.name)).toContain('Alice');
  expect(j.rotation.waitingForAfterFirst.map((w) => w.name)).not.toContain('Carol');
  expect(j.rotation.status).toMatch(/both thresholds met, root version 2 is complete/);

  // The chain v1 → v2, with our verifier.
  const v1 = bytesOf(join(out, 'metadata'), 'root.json');
  const v2 = bytesOf(out, j.rotation.root);
  const chain = verifyRootUpdate(parseMetadata(v1, 'root', { maxBytes: 1 << 20, source: 'v1' }), parseMetadata(v2, 'root', { maxBytes: 1 << 20, source: 'v2' }));
  expect(chain.version).toBe(2);
  expect(chain.byPrevious.signed).toHaveLength(2);

  // USB bundle, and the PNG frames (all of them, read here independently) reassemble to the same bytes.
  const usb = bytesOf(out, j.export.bundle);
  const bundle = decodeBundle(usb, { expectKind: 'trust-bundle' });
  expect(bundle.hash.sha256).toBe(j.export.sha256);
  expect(bundle.manifest.files.map((f) => f.name)).toEqual(['1.root.json', '2.root.json', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
  const assembler = new QrAssembler();
  for (const f of frames.sort()) {
    if (assembler.complete) break;
    for (const t of await readQrCodes(bytesOf(join(out, j.export.qr.dir), f))) assembler.receive(t);
  }
  expect(Buffer.from(assembler.result()).equals(Buffer.from(usb))).toBe(true);

  // The site: the QR copy equals the USB copy; its trust folder verifies pinned to v1 (the one it pinned).
  expect(bytesOf(out, j.site!.received)).toEqual(usb);
  expect(bytesOf(out, j.site!.pinnedRoot)).toEqual(v1);
  // 30 % of the frames passed before completion were dropped (3 of every 10), and it still completed.
  const passed = j.site!.qr.dropped + j.site!.qr.read;
  expect(j.site!.qr.dropped / passed).toBeGreaterThanOrEqual(0.25);
  expect(j.site!.qr.dropped / passed).toBeLessThanOrEqual(0.35);
  expect(j.site!.installed.rootChain).toEqual([2]);
  const folder = join(out, j.site!.folder);
  const files = siteFiles(folder);
  expect(files.root).toEqual(v2);
  const verified = verifyRepository(files, { trustedRoot: v1, now: new Date(), requireComplete: true, ...(profile === 'notary' ? { gun: GUN } : {}) });
  expect(verified.root.signed.version).toBe(2);
  expect(readFileSync(join(folder, 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(1);
  // The tampered copy, imported over the installed store: refused with its code, the store unchanged —
  // the same tree digest as the stage measured before the refused import, and still one imports.log entry.
  expect(j.site!.refusal.code).toMatch(/^(LENGTH_MISMATCH|HASH_MISMATCH|THRESHOLD_NOT_MET)$/);
  expect(j.site!.refusal.trustDir).toBe(j.site!.trustDir);
  expect(j.site!.refusal.treeSha256).toBe(await siteTreeDigest(join(out, j.site!.trustDir)));
  // Both imports left the session transcript a real `import` leaves, in the site's sessions folder: it
  // verifies (`transcript verify --allow-unsealed`), is marked a rehearsal, and records the outcome.
  const sessions = profile === 'notary' ? `${j.site!.trustDir}/tuf-ceremony-sessions/` : `${j.site!.trustDir}.tuf-ceremony-sessions/`;
  const outcomes: [string | null, RegExp, string][] = [
    [j.site!.transcript, /^installed/, 'received-by-qr.bundle'],
    [j.site!.refusal.transcript, new RegExp(`^refused.*${j.site!.refusal.code}`), 'tampered.bundle'],
  ];
  for (const [rel, outcome, bundle] of outcomes) {
    expect(rel?.startsWith(sessions), String(rel)).toBe(true);
    const path = join(out, rel!);
    const c = captureIo();
    expect(await runCli(['transcript', 'verify', path, '--allow-unsealed'], c.io), c.err.join('\n')).toBe(0);
    const t = verifyTranscript(readFileSync(path), { allowUnsealed: true });
    expect(t.header).toMatchObject({ kind: 'import', rehearsal: true, planHash: sha256Hex(bytesOf(out, `site/${bundle}`)) });
    const end = t.entries.at(-1)!;
    expect(end.step).toBe('session.end');
    expect(end.note).toMatch(outcome);
  }
}

/** Serve `files` (path → bytes) on 127.0.0.1 while `fn` runs. */
async function serving<T>(files: Map<string, Uint8Array>, fn: (base: string) => Promise<T>): Promise<T> {
  const http = await serveFiles(files);
  try {
    return await fn(http.base);
  } finally {
    await http.close();
  }
}

async function checkTufJs(j: Summary): Promise<void> {
  const bundle = decodeBundle(bytesOf(j.out, j.export.bundle));
  const served = new Map(bundle.files.filter((f) => f.name !== 'root.json').map((f) => [`/metadata/${f.name}`, f.bytes]));
  await serving(served, async (base) => {
    // (a) the site folder as tuf-js's trusted state (it trusts v2 already).
    const siteDir = join(work, `tufjs-site-${Date.now()}`);
    mkdirSync(siteDir);
    for (const n of ['root.json', 'timestamp.json', 'snapshot.json', 'targets.json']) writeFileSync(join(siteDir, n), bytesOf(join(j.out, j.site!.folder), n));
    const a = new Updater({ metadataDir: siteDir, targetDir: join(work, 'tg-a'), metadataBaseUrl: `${base}/metadata`, targetBaseUrl: `${base}/targets`, config: { fetchRetries: 0 } });
    await a.refresh();
    expect(await a.getTargetInfo('nothing.txt')).toBeUndefined();
    // (b) pinned at v1 only: tuf-js walks the exported chain to v2 itself.
    const pinned = join(work, `tufjs-v1-${Date.now()}`);
    mkdirSync(pinned);
    writeFileSync(join(pinned, 'root.json'), bytesOf(join(j.out, 'metadata'), 'root.json'));
    const b = new Updater({ metadataDir: pinned, targetDir: join(work, 'tg-b'), metadataBaseUrl: `${base}/metadata`, targetBaseUrl: `${base}/targets`, config: { fetchRetries: 0 } });
    await b.refresh();
    expect(readFileSync(join(pinned, 'root.json'))).toEqual(Buffer.from(bytesOf(j.out, j.rotation.root)));
  });
}

describe.skipIf(!SOFTHSM)('rehearse on SoftHSM2 rehearsal tokens', () => {
  it('--profile notary: rotation on the tokens (Dave a fourth token), USB + QR export, site import, notary lists the site offline', async () => {
    const { j, text } = await rehearse({ profile: 'notary', gun: GUN, out: join(work, 'notary') }, defaultRehearseDeps);
    expect(j.rehearsal).toBe('softhsm2');
    expect(text.join('\n')).not.toMatch(/^error/m);
    await checkCommon(j, 'notary');
    if (NOTARY) {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const list = await notaryClient({ serverUrl: closed, trustDir: join(j.out, j.site!.trustDir) }).ok(['list', GUN]);
      expect(list.stdout).toMatch(/No targets present in this repository/);
    }
    console.log(`rehearse notary (softhsm2) durations ms: ${JSON.stringify(j.durationMs)}`);
  }, 180_000);

  it('--profile tuf: the same; tuf-js accepts the site folder and follows the exported chain from v1', async () => {
    const { j } = await rehearse({ profile: 'tuf', out: join(work, 'tuf') }, defaultRehearseDeps);
    expect(j.rehearsal).toBe('softhsm2');
    await checkCommon(j, 'tuf');
    await checkTufJs(j);
    console.log(`rehearse tuf (softhsm2) durations ms: ${JSON.stringify(j.durationMs)}`);
  }, 180_000);
});

describe('the compiled CLI (what `npx tuf-ceremony rehearse` runs after `npm run build`)', () => {
  it('rehearse --profile tuf --json from compiled JavaScript: every stage runs, the zxing-wasm binary is found beside it', () => {
    const cli = builtCli();
    try {
      const dir = join(work, 'compiled');
      const r = spawnSync(process.execPath, [...cli.args, 'rehearse', '--profile', 'tuf', '--out', dir, '--json'], { cwd: tmpdir(), encoding: 'utf8', timeout: 120_000 });
      expect(r.stderr, `${cli.kind}: ${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout) as Summary;
      expect(j.notYetRehearsed).toEqual([]);
      expect(j.site!.qr.read).toBeGreaterThan(0);
      expect(bytesOf(dir, j.site!.received)).toEqual(bytesOf(dir, j.export.bundle));
    } finally {
      cli.cleanup();
    }
  }, 180_000);
});

describe('rehearse on in-process software tokens (SoftHSM2 not used)', () => {
  it('--profile tuf: the whole rehearsal, tuf-js accepts it', async () => {
    const { j } = await rehearse({ profile: 'tuf', out: join(work, 'tuf-software') }, software);
    expect(j.rehearsal).toBe('software');
    await checkCommon(j, 'tuf');
    await checkTufJs(j);
  }, 180_000);

  it('--profile notary: the whole rehearsal; the human output says what happened at each stage', async () => {
    const out: string[] = [];
    const status = await rehearseCommand({ profile: 'notary', gun: GUN, out: join(work, 'notary-software') }, { out: (s) => void out.push(s), err: (s) => void out.push(`stderr: ${s}`) }, software);
    expect(status).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/ROTATION \(rehearsal\): Carol's token is reported lost/);
    expect(text).toMatch(/merged Bob's response: .*waiting for: .*Alice/);
    expect(text).toMatch(/root v1 → v2 verifies/);
    expect(text).toMatch(/EXPORT: trust bundle .*rehearsal-trust\.bundle/);
    expect(text).toMatch(/bundle short hash (?:[0-9a-f]{4} ){7}[0-9a-f]{4} — read aloud: (?:\S+ ){3}\S+(?: · (?:\S+ ){3}\S+){3}\n/);
    expect(text).toMatch(/SITE \(simulated, air-gapped\): read \d+ QR images of the \d+ shown, \d+ dropped/);
    expect(text).toMatch(/tampered copy .* refused with error\[[A-Z_]+\]: .* nothing changed/);
    expect(text).not.toMatch(/not rehearsed here/);
    expect(text).not.toMatch(/stderr/);
  }, 180_000);

  it('the site refuses QR frames whose bundle is not the USB one: REHEARSAL_TRANSPORT_MISMATCH, nothing installed', async () => {
    const src = join(work, 'tuf-software'); // left by the first test of this block
    const dir = join(work, 'mismatch');
    mkdirSync(join(dir, 'export', 'usb'), { recursive: true });
    cpSync(join(src, 'export', 'qr'), join(dir, 'export', 'qr'), { recursive: true });
    writeFileSync(join(dir, 'export', 'usb', 'other.bundle'), readFileSync(join(src, 'site', 'tampered.bundle')));
    const frames = readdirSync(join(dir, 'export', 'qr'))
      .filter((f) => f.endsWith('.png'))
      .sort()
      .map((f) => `export/qr/${f}`);
    await expect(runSiteImportStage({ out: dir, frames, usbBundle: 'export/usb/other.bundle', pinnedRoot: bytesOf(join(src, 'metadata'), 'root.json'), now: new Date(), say: () => undefined })).rejects.toMatchObject({
      code: 'REHEARSAL_TRANSPORT_MISMATCH',
    });
    expect(existsSync(join(dir, 'site', 'trust-dir'))).toBe(false);
    expect(existsSync(join(dir, 'site', 'received-by-qr.bundle'))).toBe(false);
  }, 60_000);
});
