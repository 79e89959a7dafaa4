/**
 * src/bundle/export.ts: a metadata directory becomes a trust bundle only when it verifies; an existing
 * bundle is checked for its kind; writing is atomic, never overwrites, and proves the copy by reading it
 * back (with a file system that lies, the write is refused); QR frame windows are slices of one endless
 * stream and their packed module matrices are the codes' own.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkBundleForExport,
  freshName,
  packModules,
  repositoryFileNames,
  qrFrameWindow,
  suggestedBundleName,
  trustBundleFromRepository,
  writeBundleVerified,
  type BundleFs,
} from '../../../src/bundle/export.js';
import { decodeBundle, encodeBundle } from '../../../src/bundle/format.js';
import { runCli } from '../../../src/cli/program.js';
import { CeremonyError } from '../../../src/errors.js';
import { nodeBundleFs } from '../../../src/io/bundle-file.js';
import { qrModules } from '../../../src/io/qr-images.js';
import { buildRotationPayload, buildSigningRequest, serializeSigningRequest, signRequest, wrapSignatureResponse, wrapSigningRequest } from '../../../src/rotation/index.js';
import { encodeQrFrames, QrAssembler } from '../../../src/transport/qr/index.js';
import { classifyRepositoryFiles } from '../../../src/tuf/repository-files.js';
import type { RepositoryFiles } from '../../../src/tuf/repository.js';
import { refusal } from '../../support/refusal.js';
import { buildRepo, GUN, type BuiltRepo } from '../../support/repo.js';
import { EXPIRES_V2, makeCustodian, rootFixture } from '../rotation/support.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const NOW = new Date();

function repoFiles(r: BuiltRepo, over: Record<string, Uint8Array> = {}): RepositoryFiles {
  const named: Record<string, Uint8Array> = {
    'root.json': r.roots[r.roots.length - 1]!,
    'targets.json': r.targets,
    'snapshot.json': r.snapshot,
    'timestamp.json': r.timestamp,
    [`${r.delegationName}.json`]: r.delegated,
    ...over,
  };
  if (r.roots.length > 1) r.roots.forEach((b, i) => (named[`${i + 1}.root.json`] = b));
  return classifyRepositoryFiles(Object.entries(named).map(([name, bytes]) => ({ name, bytes })));
}

function tamperExpires(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('utf8');
  const changed = text.replace(/("expires"\s*:\s*"\d{3})(\d)/, (_m, head: string, d: string) => head + String((Number(d) + 1) % 10));
  expect(changed).not.toBe(text);
  return new Uint8Array(Buffer.from(changed, 'utf8'));
}

let tuf: BuiltRepo;
let notary: BuiltRepo;
beforeAll(async () => {
  tuf = await buildRepo('tuf', { rootVersions: 2 });
  notary = await buildRepo('notary');
});

describe('trustBundleFromRepository', () => {
  it('verifies from the oldest root, then makes a canonical trust bundle of exactly the files', () => {
    const p = trustBundleFromRepository(repoFiles(tuf), { now: NOW, name: 'example-repo' });
    expect(p.verified?.trustedRoot.signed.version).toBe(1);
    expect(p.verified?.root.signed.version).toBe(2);
    const back = decodeBundle(p.bytes);
    expect(back.kind).toBe('trust-bundle');
    expect(back.profile).toBe('tuf');
    expect(back.repository).toBe('example-repo');
    expect(back.files.map((f) => f.name)).toEqual(['1.root.json', '2.root.json', `${tuf.delegationName}.json`, 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json'].sort());
    expect(p.bundle.hash.sha256).toBe(back.hash.sha256);
  });

  it('Notary: the repository is the GUN the root certificates name', () => {
    const p = trustBundleFromRepository(repoFiles(notary), { now: NOW });
    expect(p.bundle.repository).toBe(GUN);
    expect(p.bundle.profile).toBe('notary');
  });

  it.each([
    ['targets changed after signing', (r: BuiltRepo) => ({ 'targets.json': tamperExpires(r.targets) }), ['THRESHOLD_NOT_MET', 'HASH_MISMATCH', 'LENGTH_MISMATCH']],
    ['timestamp changed after signing', (r: BuiltRepo) => ({ 'timestamp.json': tamperExpires(r.timestamp) }), ['THRESHOLD_NOT_MET']],
    // The timestamp's record of snapshot.json refuses other bytes before they are parsed (TUF 5.5.2).
    ['snapshot of other bytes', (r: BuiltRepo) => ({ 'snapshot.json': r.targets }), ['LENGTH_MISMATCH']],
  ])('refuses %s with the verifier’s code', (_what, over, codes) => {
    const err = refusal(() => trustBundleFromRepository(repoFiles(tuf, over(tuf)), { now: NOW, name: 'x' }));
    expect(codes).toContain(err.code);
  });

  it('refuses an expired repository (EXPIRED) and one without a root (META_MISSING)', () => {
    const later = new Date(NOW.getTime() + 50 * 365 * 24 * 3600 * 1000);
    expect(refusal(() => trustBundleFromRepository(repoFiles(tuf), { now: later, name: 'x' })).code).toBe('EXPIRED');
    const noRoot: RepositoryFiles = { versionedRoots: new Map(), delegated: new Map(), targets: tuf.targets };
    expect(refusal(() => trustBundleFromRepository(noRoot, { now: NOW, name: 'x' })).code).toBe('META_MISSING');
  });
});

describe('checkBundleForExport', () => {
  it('accepts a valid trust bundle (verified) and refuses one whose repository does not verify', () => {
    const good = trustBundleFromRepository(repoFiles(tuf), { now: NOW, name: 'r' }).bytes;
    expect(checkBundleForExport(good, { now: NOW }).verified?.root.signed.version).toBe(2);
    const bad = encodeBundle({
      kind: 'trust-bundle',
      profile: 'tuf',
      repository: 'r',
      created: '2026-11-25T10:00:00Z',
      files: [
        { name: 'root.json', bytes: tuf.roots[1]! },
        { name: 'targets.json', bytes: tamperExpires(tuf.targets) },
      ],
    });
    expect(refusal(() => checkBundleForExport(bad, { now: NOW })).code).toBe('THRESHOLD_NOT_MET');
  });

  it('refuses a manifest that lies, and share cards (secret: never exported)', () => {
    const good = trustBundleFromRepository(repoFiles(tuf), { now: NOW, name: 'r' }).bytes;
    const lied = good.slice();
    lied[lied.length - 5] = lied[lied.length - 5]! ^ 0x01;
    expect(refusal(() => checkBundleForExport(lied, { now: NOW })).code).toBe('BUNDLE_MANIFEST_MISMATCH');
    const card = encodeBundle({ kind: 'share-card', profile: 'tuf', repository: 'r', created: '2026-11-25T10:00:00Z', files: [{ name: 'card.json', bytes: new Uint8Array([123, 125]) }] });
    expect(refusal(() => checkBundleForExport(card, { now: NOW })).code).toBe('BUNDLE_KIND_UNEXPECTED');
    expect(refusal(() => checkBundleForExport(new TextEncoder().encode('hello'), { now: NOW })).code).toBe('BUNDLE_NOT_A_BUNDLE');
  });

  it('signing requests and responses: checked as such; a plain request document is wrapped into its bundle', async () => {
    const fx = await rootFixture('notary');
    const dave = await makeCustodian('notary', 'Dave');
    const carol = fx.custodians[2]!;
    const request = buildSigningRequest(
      buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: carol.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names: fx.names }),
      { repository: GUN },
    );
    const wrapped = wrapSigningRequest(request, NOW);
    expect(checkBundleForExport(wrapped, { now: NOW }).bundle.kind).toBe('signing-request');
    const fromPlain = checkBundleForExport(serializeSigningRequest(request), { now: NOW, source: 'request.json' });
    expect(fromPlain.bundle.kind).toBe('signing-request');
    expect(fromPlain.bundle.repository).toBe(GUN);
    const response = wrapSignatureResponse(await signRequest(request, fx.custodians[0]!.key), request, NOW);
    expect(checkBundleForExport(response, { now: NOW }).bundle.kind).toBe('signature-response');
    // A signing-request bundle that holds something else.
    const fake = encodeBundle({ kind: 'signing-request', profile: 'notary', repository: GUN, created: '2026-11-25T10:00:00Z', files: [{ name: 'request.json', bytes: new TextEncoder().encode('{}') }] });
    expect(['SCHEMA_INVALID', 'BUNDLE_CONTENT_INVALID']).toContain(refusal(() => checkBundleForExport(fake, { now: NOW })).code);
  });
});

describe('writeBundleVerified', () => {
  let bytes: Uint8Array;
  beforeAll(() => {
    bytes = trustBundleFromRepository(repoFiles(tuf), { now: NOW, name: 'r' }).bytes;
  });

  it('writes, never overwrites, and returns the hash of the copy read back', async () => {
    const dir = tmp('tufc-export-');
    const path = join(dir, 'a.tufbundle');
    const w = await writeBundleVerified(path, bytes, nodeBundleFs);
    expect(w.hash.sha256).toBe(decodeBundle(bytes).hash.sha256);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(bytes))).toBe(true);
    writeFileSync(join(dir, 'b.tufbundle'), 'mine');
    await expect(writeBundleVerified(join(dir, 'b.tufbundle'), bytes, nodeBundleFs)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readFileSync(join(dir, 'b.tufbundle'), 'utf8')).toBe('mine');
    // No temporary files left behind.
    expect(readdirSync(dir).sort()).toEqual(['a.tufbundle', 'b.tufbundle']);
  });

  it('a medium that returns other bytes, fewer bytes or nothing: BUNDLE_WRITE_VERIFY_FAILED', async () => {
    const store = new Map<string, Uint8Array>();
    const lying = (mangle: (b: Uint8Array) => Uint8Array): BundleFs => ({
      writeFileAtomic: async (p, b) => void store.set(p, mangle(b.slice())),
      readFileCapped: async (p) => {
        const b = store.get(p);
        if (!b) throw new CeremonyError('FILE_NOT_FOUND', 'gone');
        return b;
      },
    });
    const flip = (b: Uint8Array) => ((b[b.length - 1] = b[b.length - 1]! ^ 0xff), b);
    for (const [what, fs] of [
      ['a flipped byte', lying(flip)],
      ['a truncated copy', lying((b) => b.subarray(0, b.length - 10))],
      ['nothing to read', { writeFileAtomic: async () => undefined, readFileCapped: lying((b) => b).readFileCapped }],
    ] as const) {
      await expect(writeBundleVerified(`/x/${what}`, bytes, fs), what).rejects.toMatchObject({ code: 'BUNDLE_WRITE_VERIFY_FAILED' });
    }
  });

  it('refuses to write what is not a valid bundle (nothing written)', async () => {
    let writes = 0;
    const fs: BundleFs = { writeFileAtomic: async () => void writes++, readFileCapped: async () => new Uint8Array() };
    await expect(writeBundleVerified('/x/y', new TextEncoder().encode('not a bundle'), fs)).rejects.toMatchObject({ code: 'BUNDLE_NOT_A_BUNDLE' });
    expect(writes).toBe(0);
  });
});

describe('names', () => {
  it('suggests <repository>-<kind>-<hash>.tufbundle and numbers it when taken', async () => {
    const b = decodeBundle(trustBundleFromRepository(repoFiles(notary), { now: NOW }).bytes);
    const name = suggestedBundleName(b);
    expect(name).toBe(`registry.example.com-org-app-trust-bundle-${b.hash.hex.slice(0, 8)}.tufbundle`);
    const taken = new Set([name, name.replace('.tufbundle', '-2.tufbundle')]);
    expect(await freshName(name, async (n) => taken.has(n))).toBe(name.replace('.tufbundle', '-3.tufbundle'));
    expect(await freshName('free.tufbundle', async () => false)).toBe('free.tufbundle');
    expect(suggestedBundleName({ repository: '../../etc', kind: 'trust-bundle', hash: b.hash })).toMatch(/^etc-trust-bundle-[0-9a-f]{8}\.tufbundle$/);
    // Never a Windows device name (the export channel would refuse its own suggestion).
    expect(suggestedBundleName({ repository: 'con.example.com/app', kind: 'trust-bundle', hash: b.hash })).toMatch(/^repository-con\.example\.com-app-trust-bundle-[0-9a-f]{8}\.tufbundle$/);
  });
});

describe('qrFrameWindow', () => {
  let bytes: Uint8Array;
  beforeAll(() => {
    bytes = trustBundleFromRepository(repoFiles(tuf), { now: NOW, name: 'r' }).bytes;
  });

  it('windows are slices of one endless stream (the frames qr encode writes), and they reassemble the bundle', () => {
    const long = encodeQrFrames(bytes, { count: 60 });
    const a = qrFrameWindow(bytes, 0, 30, qrModules);
    const b = qrFrameWindow(bytes, 30, 30, qrModules);
    expect([...a.frames, ...b.frames].map((f) => f.text)).toEqual(long.parts);
    expect(b.frames.map((f) => f.index)).toEqual(Array.from({ length: 30 }, (_, i) => 30 + i));
    expect(a.seqLen).toBe(long.seqLen);
    // A receiver joining late still completes from later windows alone.
    const late = qrFrameWindow(bytes, 5000, 120, qrModules);
    const asm = new QrAssembler();
    for (const f of late.frames) {
      if (asm.complete) break;
      asm.receive(f.text);
    }
    expect(Buffer.from(asm.result()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('packs exactly the QR code’s modules (row-major, MSB first)', () => {
    const w = qrFrameWindow(bytes, 0, 1, qrModules);
    const frame = w.frames[0]!;
    const qr = QRCode.create([{ data: frame.text, mode: 'alphanumeric' }], { errorCorrectionLevel: 'L' });
    expect(frame.size).toBe(qr.modules.size);
    const bits = Buffer.from(frame.modules, 'base64');
    expect(bits.length).toBe(Math.ceil((frame.size * frame.size) / 8));
    for (let y = 0; y < frame.size; y++) {
      for (let x = 0; x < frame.size; x++) {
        const i = y * frame.size + x;
        expect(((bits[i >> 3]! >> (7 - (i & 7))) & 1) === 1, `module ${x},${y}`).toBe(Boolean(qr.modules.get(y, x)));
      }
    }
    expect(packModules(3, (x, y) => x === y)).toBe(Buffer.from([0b10001000, 0b10000000]).toString('base64'));
  });

  it('refuses windows outside 1..120 frames', () => {
    expect(refusal(() => qrFrameWindow(bytes, 0, 0, qrModules)).code).toBe('USAGE');
    expect(refusal(() => qrFrameWindow(bytes, 0, 121, qrModules)).code).toBe('USAGE');
  });
});

describe('tuf-ceremony bundle create (the same code path)', () => {
  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
  }

  function writeDir(dir: string, files: RepositoryFiles): void {
    for (const { name, bytes } of repositoryFileNames(files)) writeFileSync(join(dir, name), bytes);
  }

  it('verifies the directory first: a tampered one is refused with the verifier’s code (exit 1) and nothing is written', async () => {
    const dir = tmp('tufc-create-');
    const src = join(dir, 'repo');
    mkdirSync(src);
    writeDir(src, repoFiles(tuf, { 'timestamp.json': tamperExpires(tuf.timestamp) }));
    const out = join(dir, 'out.tufbundle');
    const io = capture();
    expect(await runCli(['bundle', 'create', src, '--kind', 'trust-bundle', '--out', out], io.io)).toBe(1);
    expect(io.err[0]).toMatch(/^error\[THRESHOLD_NOT_MET\]/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual(['repo']);
  });

  it('a valid directory: the same bytes the Export screen would make for it', async () => {
    const dir = tmp('tufc-create-');
    const src = join(dir, 'metadata');
    mkdirSync(src);
    writeDir(src, repoFiles(tuf));
    const out = join(dir, 'out.tufbundle');
    const io = capture();
    expect(await runCli(['bundle', 'create', src, '--kind', 'trust-bundle', '--out', out, '--json'], io.io)).toBe(0);
    const made = decodeBundle(new Uint8Array(readFileSync(out)));
    const same = trustBundleFromRepository(repoFiles(tuf), { now: new Date(`${made.created.slice(0, -1)}.000Z`), name: 'metadata' });
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(same.bytes))).toBe(true);
    expect(JSON.parse(io.out.join(''))).toMatchObject({ ok: true, repository: 'metadata', sha256: made.hash.sha256 });
  });
});
