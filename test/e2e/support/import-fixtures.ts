/**
 * --- import (#6): what the Import screen's end-to-end tests share: a real signed Notary repository made
 * into a trust bundle with our encoder, the pinned root, the hash of a whole trust tree, and the checks
 * after an install (our verifier through the CLI, and the real `notary` client offline).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { encodeBundle } from '../../../src/bundle/format.js';
import { runCli } from '../../../src/cli/program.js';
import { qrPng } from '../../../src/io/qr-images.js';
import { seededRandom } from '../../../src/transport/qr/simulate.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { freePort, notaryClient } from '../../support/notary.js';
import { parseNotaryList } from '../../support/notary-publish.js';
import { buildRepo, GUN, type BuiltRepo } from '../../support/repo.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';

export { bundleContent, GUN, treeHash };

export interface BundleFixture {
  repo: BuiltRepo;
  bytes: Uint8Array;
  /** The bundle file and the pinned root file, written under the work folder. */
  bundlePath: string;
  pinPath: string;
}

/** A signed repository (Notary: GUN; TUF: `example-repo`) as a trust bundle, with its v1 root as the pin. */
export async function makeBundle(work: string, name: string, profile: ProfileName = 'notary'): Promise<BundleFixture> {
  const repo = await buildRepo(profile);
  const bytes = encodeBundle(bundleContent(repo, profile === 'notary' ? GUN : 'example-repo'));
  const bundlePath = join(work, `${name}.tufbundle`);
  writeFileSync(bundlePath, bytes);
  const pinPath = join(work, `${name}-pinned-root.json`);
  writeFileSync(pinPath, repo.roots[0]!);
  return { repo, bytes, bundlePath, pinPath };
}

export function notaryMetadataDir(trustDir: string): string {
  return join(trustDir, 'tuf', ...GUN.split('/'), 'metadata');
}

/**
 * After an install into a Notary trust directory: the installed files are the bundle's, one import is
 * recorded, our verifier (`tuf-ceremony verify DIR --root PIN`) accepts the folder, and the real notary
 * client lists the targets with no server reachable.
 */
export async function expectInstalled(trustDir: string, fx: BundleFixture, imports = 1): Promise<void> {
  const dir = notaryMetadataDir(trustDir);
  expect(readFileSync(join(dir, 'root.json'))).toEqual(Buffer.from(fx.repo.roots[fx.repo.roots.length - 1]!));
  expect(readFileSync(join(dir, 'targets.json'))).toEqual(Buffer.from(fx.repo.targets));
  expect(readFileSync(join(dir, 'timestamp.json'))).toEqual(Buffer.from(fx.repo.timestamp));
  expect(readFileSync(join(dir, `${fx.repo.delegationName}.json`))).toEqual(Buffer.from(fx.repo.delegated));
  const log = readFileSync(join(dir, 'imports.log'), 'utf8').trim().split('\n');
  expect(log).toHaveLength(imports);
  const record = JSON.parse(log[log.length - 1]!) as { bundleSha256: string; pinnedBy: string };
  expect(record.bundleSha256).toBe(createHash('sha256').update(fx.bytes).digest('hex'));

  // Our verifier over the installed metadata (a copy without imports.log: `verify` takes metadata
  // directories, and refuses any other file with UNEXPECTED_FILE).
  const copy = mkdtempSync(join(tmpdir(), 'tufc-e2e-installed-'));
  cpSync(dir, copy, { recursive: true });
  rmSync(join(copy, 'imports.log'));
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(['verify', copy, '--root', fx.pinPath], { out: (s) => void out.push(s), err: (s) => void err.push(s) });
  rmSync(copy, { recursive: true, force: true });
  expect(status, err.join('\n')).toBe(0);

  // The real client, offline: -s points at a closed loopback port.
  const offline = notaryClient({ serverUrl: `http://127.0.0.1:${await freePort()}`, trustDir });
  const listed = await offline.ok(['list', GUN]);
  const names = parseNotaryList(listed.stdout).map((t) => t.name);
  expect(names).toEqual(expect.arrayContaining(['app.tar.gz', 'docs/readme.txt']));
}

/**
 * QR frame texts → an MJPEG file chromium's fake camera plays (`--use-file-for-fake-video-capture`): each
 * frame drawn as `tuf-ceremony qr encode` draws it (src/io/qr-images.ts qrPng), centred on a white
 * 1280×720 picture (nearest-neighbour scaling keeps the modules sharp), shown for 1/8 s. Chromium plays
 * an MJPEG file at 30 frames per second and loops it, so ffmpeg repeats each picture to keep 8 codes per
 * second (the Export screen's default rate).
 */
export async function qrVideo(dir: string, texts: readonly string[]): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < texts.length; i++) writeFileSync(join(dir, `frame-${String(i + 1).padStart(4, '0')}.png`), await qrPng(texts[i]!));
  const out = join(dir, 'camera.mjpeg');
  execFileSync(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-framerate', '8', '-i', join(dir, 'frame-%04d.png'),
      '-vf', 'scale=1280:720:force_original_aspect_ratio=decrease:flags=neighbor,pad=1280:720:(ow-iw)/2:(oh-ih)/2:white,format=yuvj420p',
      '-r', '30', '-q:v', '2', '-f', 'mjpeg', out,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return out;
}

/**
 * Drop exactly round(share × n) of the frames, chosen by the seeded PRNG (mulberry32: the same "lost"
 * frames on every run); the rest keep their order.
 */
export function dropFrames<T>(frames: readonly T[], share: number, seed: number): T[] {
  const rnd = seededRandom(seed);
  const order = frames.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const dropped = new Set(order.slice(0, Math.round(share * frames.length)));
  return frames.filter((_, i) => !dropped.has(i));
}
