/**
 * The rehearsal's export (PRODUCT.md §2.5; issue #6): the final repository — after the rotation: the root
 * chain 1.root.json, 2.root.json, root.json (= v2) and the rest — as one trust bundle
 * (src/bundle/format.ts; made by the `bundle create` core, src/bundle/export.ts, which verifies the
 * repository from its oldest root first), carried two ways:
 *
 * - USB: `export/usb/rehearsal-trust.bundle`, written atomically, never over a file, read back and compared
 *   (src/io/bundle-file.ts writeBundle, as `bundle create` does), then decoded again from the medium as an
 *   importer would, so nothing leaves that import would refuse;
 * - animated QR: the same bytes as fountain-coded UR frames (the `qr encode` core:
 *   src/transport/qr/encoder.ts), enough for a receiver that misses 30 % of them, drawn as PNGs
 *   `export/qr/frame-0001.png` … plus `frames.txt` (the frame texts, one a line).
 *
 * The bundle's short hash, as hex and as words, is what the operator at the site reads back.
 */
import { join } from 'node:path';
import { CeremonyError } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import { groupHex, type ShortDigest, groupWords } from '../crypto/digest-words.js';
import { trustBundleFromRepository } from '../bundle/export.js';
import { bundleRepositoryFiles, decodeBundle } from '../bundle/format.js';
import { readBundleFile, writeBundle } from '../io/bundle-file.js';
import { writeTree } from '../io/repository-tree.js';
import type { NamedBytes } from '../tuf/repository-files.js';
import { qrPng } from '../io/qr-images.js';
import type { ProfileName } from '../profiles/profile.js';
import { encodeQrFrames } from '../transport/qr/index.js';
import type { RepositoryFiles } from '../tuf/repository.js';

export const EXPORT_BUNDLE = 'export/usb/rehearsal-trust.bundle';
export const EXPORT_QR_DIR = 'export/qr';
/** The share of frames a receiver may miss: the rehearsal's site drops this many (site-import-stage.ts). */
export const EXPORT_QR_LOSS = 0.3;
/**
 * Bundle bytes per frame. 400-byte fragments make QR version ~17 at level L, still read from a screen by a
 * 720p webcam (FIELD-NOTES: 200–400 bytes suit a laptop webcam), and keep the rehearsal's frame count,
 * hence its decoding time, low: a ~15 KB Notary bundle is ~40 fragments.
 */
export const EXPORT_QR_FRAGMENT_BYTES = 400;
/**
 * Pixels per QR module in the PNGs. Drawing the PNGs is most of the export's time (measured here: 94
 * frames of a 17 KB bundle, 2.0 s at scale 6 — `qr encode`'s default — 1.0 s at 4), and zxing-wasm reads
 * every frame at 4 (a version-17 code is then 372 px square with its quiet zone); a player scales the
 * frames to the screen anyway.
 */
export const EXPORT_QR_SCALE = 4;

export interface ExportStageInput {
  profile: ProfileName;
  repository: string;
  out: string;
  /** The repository's metadata files (the root chain as `N.root.json`, root.json the newest). */
  files: RepositoryFiles;
  now: Date;
  say: (line: string) => void;
}

export interface ExportStageResult {
  bundle: string;
  bundleBytes: Uint8Array;
  hash: ShortDigest;
  /** Names in the bundle's manifest. */
  contents: string[];
  qr: { dir: string; frames: string[]; text: string; fragments: number; fragmentBytes: number; loss: number };
}

export function frameName(i: number): string {
  return `frame-${String(i + 1).padStart(4, '0')}.png`;
}

export async function runExportStage(input: ExportStageInput): Promise<ExportStageResult> {
  const { out, say } = input;
  // The `bundle create` core: the repository is verified from its own oldest root (v1) before it is
  // encoded, so nothing that does not verify is exported.
  const prepared = trustBundleFromRepository(input.files, { now: input.now, ...(input.profile === 'notary' ? { gun: input.repository } : { name: input.repository }) });
  const bytes = prepared.bytes;

  // USB: atomic, never over a file, read back and compared (writeBundle), then decoded from the medium.
  const hash = await writeBundle(join(out, EXPORT_BUNDLE), bytes);
  const back = await readBundleFile(join(out, EXPORT_BUNDLE));
  const decoded = decodeBundle(back, { expectKind: 'trust-bundle', source: EXPORT_BUNDLE });
  bundleRepositoryFiles(decoded); // the files classify as a repository, as import will classify them
  if (!bytesEqual(back, bytes) || decoded.hash.sha256 !== hash.sha256) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', 'the bundle read back from the medium differs from what was written', { path: EXPORT_BUNDLE });
  }
  const contents = decoded.manifest.files.map((f) => f.name);
  say(`EXPORT: trust bundle ${join(out, EXPORT_BUNDLE)} (${bytes.length} bytes: ${contents.join(', ')}), written atomically, read back and decoded`);

  // Animated QR: the same bytes, enough frames for a receiver that misses 30 % of them.
  const enc = encodeQrFrames(bytes, { fragmentBytes: EXPORT_QR_FRAGMENT_BYTES, loss: EXPORT_QR_LOSS });
  const frames = enc.parts.map((_, i) => frameName(i));
  const dir = join(out, EXPORT_QR_DIR);
  // The frames folder as a whole (src/io/repository-tree.ts writeTree: never over an existing folder, each
  // file created exclusively and fsynced, one rename): it appears complete or not at all, with four file
  // operations per frame instead of a temp file, link and unlink each (issue #18: the export's writes).
  const entries: NamedBytes[] = [];
  for (let i = 0; i < enc.parts.length; i++) entries.push({ name: frames[i]!, bytes: await qrPng(enc.parts[i]!, { scale: EXPORT_QR_SCALE }) });
  entries.push({ name: 'frames.txt', bytes: new TextEncoder().encode(`${enc.parts.join('\n')}\n`) });
  await writeTree(dir, entries);
  say(
    `  QR: ${frames.length} frames in ${dir} (${enc.seqLen} fragments of ${enc.fragmentLength} bytes; enough for a receiver that misses ${Math.round(EXPORT_QR_LOSS * 100)} % of them)`,
  );
  say(`  bundle short hash ${groupHex(hash.hex)} — read aloud: ${groupWords(hash.words)}`);
  return {
    bundle: EXPORT_BUNDLE,
    bundleBytes: bytes,
    hash,
    contents,
    qr: { dir: EXPORT_QR_DIR, frames: frames.map((f) => `${EXPORT_QR_DIR}/${f}`), text: `${EXPORT_QR_DIR}/frames.txt`, fragments: enc.seqLen, fragmentBytes: enc.fragmentLength, loss: EXPORT_QR_LOSS },
  };
}
