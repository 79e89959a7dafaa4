/**
 * The rehearsal's air-gapped site (PRODUCT.md §2.6; issue #6). The site pinned root v1 when the
 * repository was set up (`site/pinned-root.json`); it now receives the exported bundle, which carries root
 * v2 by rotation:
 *
 * 1. by QR: the PNG frames are read back with the `qr decode` core (zxing-wasm from its bundled binary,
 *    src/io/qr-images.ts; the elimination receiver, src/transport/qr/assembler.ts), with 30 % of them
 *    dropped deterministically — frame n (1-based) is dropped when 3·(n−1) mod 10 < 3, i.e. frames 1, 5, 8,
 *    11, 15, 18, … — to show that a receiver that misses frames needs no second cycle; the reassembled
 *    bytes must be exactly the USB bundle's (REHEARSAL_TRANSPORT_MISMATCH otherwise);
 * 2. the bundle received is imported into `site/trust-dir` with the core `tuf-ceremony import` uses
 *    (src/trust-store/install.ts): verified completely against the pinned v1 — the chain v1 → v2, then
 *    timestamp, snapshot, targets, expiry — before anything is written, then installed atomically in the
 *    layout its client reads (Notary: `tuf/<GUN>/metadata/`; TUF: the client metadata folder);
 * 3. a refusal: a copy whose targets.json was altered and whose manifest was rebuilt to match (so the
 *    bundle itself is well-formed: only the metadata checks can catch it) is imported into the SAME
 *    `site/trust-dir` that now holds the installed store — what a site operator would do — so the stage
 *    shows that an installed store survives a refused import: it reports the refusal's code and checks
 *    that the folder's tree digest (every file, imports.log included) is the same before and after.
 *
 * Both imports leave the session transcript a real `tuf-ceremony import` leaves (src/io/import-session-file.ts:
 * the same writer, into the site's sessions folder, marked as a rehearsal): the install's, and the refusal's
 * with its code. The Notary layout keeps that folder inside the trust directory, so the refused import's
 * "unchanged" digest leaves the sessions folder out (it gains the refusal's record, as at a real site).
 */
import { join, relative, sep } from 'node:path';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { bytesEqual } from '../crypto/digest.js';
import { encodeBundle, type DecodedBundle } from '../bundle/format.js';
import { readBundleFile, writeBundle } from '../io/bundle-file.js';
import { readFileCapped, writeFileAtomic } from '../io/files.js';
import { makeFolder, treeDigest } from '../io/folders.js';
import { readQrImageFile } from '../io/qr-images.js';
import { QrAssembler } from '../transport/qr/index.js';
import { bundleImportSource } from '../trust-store/bundle-source.js';
import { importRepository, type ImportResult } from '../trust-store/install.js';
import { SESSIONS_FOLDER_NAME, type ImportSessionStart } from '../trust-store/import-session.js';
import { recordImportSession } from '../io/import-session-file.js';
import { sha256Hex } from '../crypto/digest.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';

export const SITE_DIR = 'site';
export const SITE_FILES = {
  pinnedRoot: `${SITE_DIR}/pinned-root.json`,
  received: `${SITE_DIR}/received-by-qr.bundle`,
  trustDir: `${SITE_DIR}/trust-dir`,
  tampered: `${SITE_DIR}/tampered.bundle`,
} as const;

/** The deterministic 30 % loss: frame index i (0-based) is dropped when 3·i mod 10 < 3. */
export function droppedFrame(i: number): boolean {
  return (3 * i) % 10 < 3;
}

export interface SiteImportInput {
  out: string;
  /** The PNG frames, relative to `out`, in display order. */
  frames: readonly string[];
  /** The USB bundle, relative to `out`. */
  usbBundle: string;
  /** Root v1 as the ceremony wrote it: what the site pinned. */
  pinnedRoot: Uint8Array;
  now: Date;
  say: (line: string) => void;
}

export interface SiteImportResult {
  qr: { shown: number; dropped: number; read: number; parts: number; fragments: number; equalsUsb: true };
  received: string;
  pinnedRoot: string;
  trustDir: string;
  /** The folder the layout installed into, relative to `out`. */
  installedFolder: string;
  installed: ImportResult;
  /** The install's session transcript, relative to `out` (as `import` writes it); null when it could not be written. */
  transcript: string | null;
  /**
   * The tampered copy, refused by the installed store in `trustDir`; `treeSha256` = its tree digest before and
   * after, the sessions folder left out (siteTreeDigest); `transcript`: the refusal's session transcript.
   */
  refusal: { bundle: string; trustDir: string; code: string; message: string; unchanged: true; treeSha256: string; transcript: string | null };
}

/** The site's trust directory's tree digest without its sessions folder (Notary keeps it inside: see the file comment). */
export function siteTreeDigest(trustDir: string): Promise<string> {
  return treeDigest(trustDir, { exclude: (name) => name.startsWith(`${SESSIONS_FOLDER_NAME}/`) });
}

/** The transcript's path relative to `out`; null, with the warning said, when it could not be written (as `import` does). */
export function recorded(out: string, record: { path: string } | { warning: string }, say: (line: string) => void): string | null {
  if (!('path' in record)) {
    say(`  warning: ${record.warning}`);
    return null;
  }
  return relative(out, record.path).split(sep).join('/');
}

/** The received bundle with targets.json altered (one target added) and its manifest rebuilt to match. */
function tamperedCopy(bundle: DecodedBundle): Uint8Array {
  const files = bundle.files.map((f) => {
    if (f.name !== 'targets.json') return f;
    const text = new TextDecoder().decode(f.bytes);
    const evil = '"evil.tar.gz":{"hashes":{"sha256":"' + 'e'.repeat(64) + '"},"length":666}';
    // Empty targets (the ceremony's v1), or listing files already (the sigstore rehearsal's trusted_root.json).
    const altered = text.includes('"targets":{}') ? text.replace('"targets":{}', `"targets":{${evil}}`) : text.replace('"targets":{', `"targets":{${evil},`);
    if (altered === text) throw new CeremonyError('INTERNAL', 'the rehearsal repository has no targets object to alter');
    return { name: f.name, bytes: new TextEncoder().encode(altered) };
  });
  return encodeBundle({ kind: bundle.kind, profile: bundle.profile, repository: bundle.repository, created: bundle.created, files });
}

export async function runSiteImportStage(input: SiteImportInput): Promise<SiteImportResult> {
  const { out, say } = input;
  await writeFileAtomic(join(out, SITE_FILES.pinnedRoot), input.pinnedRoot);

  // 1. QR frames, 30 % of them never seen.
  const assembler = new QrAssembler();
  let read = 0;
  let dropped = 0;
  for (let i = 0; i < input.frames.length && !assembler.complete; i++) {
    if (droppedFrame(i)) {
      dropped++;
      continue;
    }
    read++;
    for (const text of await readQrImageFile(join(out, input.frames[i]!))) {
      try {
        assembler.receive(text);
      } catch (err) {
        if (isCeremonyError(err)) throw new CeremonyError(err.code, `${input.frames[i]}: ${err.message}`, { path: input.frames[i]!, cause: err });
        throw err;
      }
    }
  }
  const progress = assembler.progress;
  const bytes = assembler.result(); // QR_INCOMPLETE if the frames were not enough
  const usb = await readBundleFile(join(out, input.usbBundle));
  if (!bytesEqual(bytes, usb)) {
    throw new CeremonyError('REHEARSAL_TRANSPORT_MISMATCH', `the bundle reassembled from the QR frames (${bytes.length} bytes) is not the USB bundle (${usb.length} bytes)`, { path: SITE_FILES.received });
  }
  await writeBundle(join(out, SITE_FILES.received), bytes);
  say(
    `SITE (simulated, air-gapped): read ${read} QR images of the ${input.frames.length} shown, ${dropped} dropped on purpose before completion (30 %); ${progress.received} parts gave the ${progress.needed} fragments; ` +
      `the reassembled bytes equal the USB bundle: ${join(out, SITE_FILES.received)}`,
  );

  // 2. Import, pinned to root v1.
  // The `import` core: the same decoder (bundleImportSource), then the same verification and install.
  const received = bundleImportSource(await readBundleFile(join(out, SITE_FILES.received)), SITE_FILES.received);
  const pinned = await readFileCapped(join(out, SITE_FILES.pinnedRoot), DEFAULT_CAPS.root);
  const trustDir = join(out, SITE_FILES.trustDir);
  await makeFolder(trustDir);
  // The session a real `import` records (src/cli/import.ts): the bundle by its SHA-256, the pin by name and SHA-256.
  const session = (name: string, bundle: DecodedBundle): ImportSessionStart => ({
    profile: bundle.profile,
    repository: bundle.repository,
    source: { name, sha256: bundle.hash.sha256, form: 'bundle' },
    pin: { name: 'pinned-root.json', sha256: sha256Hex(pinned) },
    trustDir,
    witnesses: [],
    rehearsal: true,
    now: () => input.now,
  });
  const installed = await importRepository(received, { trustDir, trustedRoot: pinned, now: input.now });
  const transcript = recorded(out, await recordImportSession(session('received-by-qr.bundle', received.bundleFile), installed.layout, { single: installed }), say);
  const v = installed.versions;
  const chain = installed.verified.rootChain.map((c) => `v${c.version - 1} → v${c.version} (${c.byPrevious.signed.length} of ${c.byPrevious.threshold} old keys, ${c.bySelf.signed.length} of ${c.bySelf.threshold} new keys)`);
  say(`  imported into ${installed.folder}, pinned to root v${installed.verified.trustedRoot.signed.version} (${join(out, SITE_FILES.pinnedRoot)}): root chain ${chain.join(', ')}`);
  say(`  installed: ${installed.files.join(', ')} — root v${v.root}, targets v${v.targets}, snapshot v${v.snapshot}, timestamp v${v.timestamp}; recorded in imports.log${transcript ? `; session transcript ${join(out, transcript)}` : ''}`);

  // 3. A tampered copy, into the installed store itself: refused, and the store is byte for byte unchanged.
  const tampered = tamperedCopy(received.bundleFile);
  await writeBundle(join(out, SITE_FILES.tampered), tampered);
  const before = await siteTreeDigest(trustDir);
  let refusal: CeremonyError | undefined;
  const source = bundleImportSource(await readBundleFile(join(out, SITE_FILES.tampered)), SITE_FILES.tampered);
  try {
    await importRepository(source, { trustDir, trustedRoot: pinned, now: input.now });
  } catch (err) {
    if (!isCeremonyError(err)) throw err;
    refusal = err;
  }
  const after = await siteTreeDigest(trustDir);
  if (!refusal) throw new CeremonyError('REHEARSAL_REFUSAL_MISSED', `${SITE_FILES.tampered} (targets.json altered) was accepted into the installed store`, { path: SITE_FILES.tampered });
  if (before !== after) throw new CeremonyError('REHEARSAL_REFUSAL_MISSED', `the refused import changed the installed store in ${SITE_FILES.trustDir}`, { path: SITE_FILES.trustDir });
  const refusalTranscript = recorded(out, await recordImportSession(session('tampered.bundle', source.bundleFile), installed.layout, { refused: refusal }), say);
  say(`  tampered copy ${join(out, SITE_FILES.tampered)} (targets.json altered, manifest rebuilt to match), imported over the installed store: refused with error[${refusal.code}]: ${refusal.message} — nothing changed in ${trustDir} (tree SHA-256 ${before.slice(0, 16)}… before and after)${refusalTranscript ? `; the refusal recorded in ${join(out, refusalTranscript)}` : ''}`);

  // Relative to the trust directory the import resolved, then under its name in `out`: `out` itself may be
  // reached through a link (macOS /tmp), which the resolved folder no longer goes through (review-12b M1).
  const folder = join(SITE_FILES.trustDir, relative(installed.trustDir, installed.folder)).split(sep).join('/');
  return {
    qr: { shown: input.frames.length, dropped, read, parts: progress.received, fragments: progress.needed, equalsUsb: true },
    received: SITE_FILES.received,
    pinnedRoot: SITE_FILES.pinnedRoot,
    trustDir: SITE_FILES.trustDir,
    installedFolder: folder,
    installed,
    transcript,
    refusal: { bundle: SITE_FILES.tampered, trustDir: SITE_FILES.trustDir, code: refusal.code, message: refusal.message, unchanged: true, treeSha256: before, transcript: refusalTranscript },
  };
}
