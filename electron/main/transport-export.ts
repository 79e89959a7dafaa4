/**
 * The Export screen's work (PRODUCT.md §2.5, issue #6): prepare a bundle — from a metadata folder the
 * person picked (verified first, src/bundle/export.ts) or from an existing bundle file (decoded and
 * checked for its kind) — then write it to USB or play it as animated QR frames.
 *
 * Where it is written is main's decision, never the renderer's: `destination({ choose: true })` asks for a
 * folder (the folder dialog in the app, a temporary folder in the e2e bridge) and proposes a free name;
 * `write({ fileName })` takes a base name only, writes atomically without ever overwriting
 * (OUTPUT_EXISTS), reads the file back and decodes it again (writeBundleVerified). QR frames are a window
 * of the endless fountain stream of the prepared bytes, with their module matrices for the player.
 *
 * One prepared bundle at a time; a refused preparation forgets the previous one, so nothing stale can be
 * exported after a refusal. No Electron here: the dialog is injected (main.ts), as in ceremony.ts.
 */
import { metadataOfListing } from '../../src/ceremony/layout.js';
import { join } from 'node:path';
import { groupHex, type ShortDigest } from '../../src/crypto/digest-words.js';
import { CeremonyError } from '../../src/errors.js';
import {
  checkBundleForExport,
  freshName,
  qrFrameWindow,
  suggestedBundleName,
  summarizeBundle,
  trustBundleFromRepository,
  writeBundleVerified,
  type BundleFs,
  type PreparedExport,
  type QrModulesOf,
} from '../../src/bundle/export.js';
import { nodeBundleFs, pathExists } from '../../src/io/bundle-file.js';
import { qrModules } from '../../src/io/qr-images.js';
import { encodeQrFrames, smallBundleNote } from '../../src/transport/qr/index.js';
import { classifyRepositoryFiles } from '../../src/tuf/repository-files.js';
import type {
  BundleHashView,
  ExportDestinationView,
  ExportFullScreenView,
  ExportPreparedView,
  ExportQrFramesView,
  ExportWrittenView,
  NamedFile,
} from '../shared/api-types.js';

export interface ExportDeps {
  /** Where bundles go: the folder dialog in the app; a temporary folder in tests. Undefined: cancelled. */
  chooseExportDir(): Promise<string | undefined>;
  fs: BundleFs;
  /** Does `path` exist (any kind of entry, links not followed)? */
  exists(path: string): Promise<boolean>;
  /** QR module matrices (src/io/qr-images.ts qrModules). */
  qrModules: QrModulesOf;
  now(): Date;
  /**
   * Put the app's window in or out of full screen for the QR player (main: BrowserWindow.setFullScreen;
   * the renderer's own Fullscreen API stays denied by the permission table). Returns whether it now is.
   */
  setFullScreen(on: boolean): Promise<boolean>;
}

interface Prepared extends PreparedExport {
  view: ExportPreparedView;
}

function hashView(h: ShortDigest): BundleHashView {
  return { sha256: h.sha256, short: groupHex(h.hex), words: h.words };
}

export class ExportSession {
  private prepared: Prepared | undefined;
  private folder: string | undefined;

  constructor(private readonly deps: ExportDeps) {}

  /**
   * A metadata folder's files (relative names, as the Inspect screen sends them) → a verified trust bundle.
   * `repository`: main's own name for the folder (a multi-repository ceremony's repository, from the plan),
   * recorded as it is.
   */
  prepareFolder(req: { files: NamedFile[]; source?: string; repository?: string }): ExportPreparedView {
    this.prepared = undefined;
    const given = req.files.map((f) => ({ name: f.name, bytes: f.bytes }));
    // A ceremony output folder is exported as its metadata/ folder (src/ceremony/layout.ts, issue #16).
    const metadata = metadataOfListing(given);
    const opened = req.source ?? (metadata ? 'ceremony output folder' : 'metadata folder');
    const files = classifyRepositoryFiles(metadata ?? given);
    // TUF metadata names no repository: the folder's name is recorded, as `bundle create` does. That command
    // decodes a folder's percent-encoded name only inside a ceremony output's metadata/ beside its state/
    // (src/io/ceremony-output.ts multiRepositoryNameOf); a folder the renderer read comes with its name
    // alone, no such evidence, so its name is kept as it is. A ceremony's repository folder comes from main
    // with its plan's repository name, never decoded again (review A3: `org%2Fapp` is not `org/app`).
    return this.keep(trustBundleFromRepository(files, { now: this.deps.now(), name: req.repository ?? opened }), 'folder', opened);
  }

  /**
   * Forget the prepared bundle: a preparation from elsewhere (a finished ceremony's folder, which main reads
   * first) is starting, and if that read is refused nothing stale must stay exportable.
   */
  forget(): void {
    this.prepared = undefined;
  }

  /** An existing bundle file (trust bundle, signing request, signature response) → decoded and checked. */
  prepareBundle(req: { file: NamedFile }): ExportPreparedView {
    this.prepared = undefined;
    return this.keep(checkBundleForExport(req.file.bytes, { now: this.deps.now(), source: req.file.name }), 'bundle', req.file.name);
  }

  private keep(p: PreparedExport, from: 'folder' | 'bundle', opened: string): ExportPreparedView {
    const summary = summarizeBundle(p.bundle, p.bytes.length);
    let qr: ExportPreparedView['qr'];
    try {
      const enc = encodeQrFrames(p.bytes, { count: 1 });
      const note = smallBundleNote(enc.seqLen);
      qr = { available: true, seqLen: enc.seqLen, fragmentLength: enc.fragmentLength, ...(note ? { note } : {}) };
    } catch (err) {
      if (!(err instanceof CeremonyError)) throw err;
      qr = { available: false, reason: `${err.code}: ${err.message}` };
    }
    const v = p.verified;
    const view: ExportPreparedView = {
      from,
      opened,
      kind: summary.kind,
      profile: summary.profile,
      repository: summary.repository,
      created: summary.created,
      bytes: summary.bytes,
      files: summary.files,
      hash: hashView(summary.hash),
      suggestedName: suggestedBundleName(p.bundle),
      qr,
      ...(v
        ? {
            verification: {
              trustedRootVersion: v.trustedRoot.signed.version,
              rootVersion: v.root.signed.version,
              roles: [
                { name: 'root', version: v.root.signed.version, signed: v.rootResult.signed.length, threshold: v.rootResult.threshold },
                ...(['timestamp', 'snapshot', 'targets'] as const).flatMap((name) => {
                  const r = v[name];
                  return r ? [{ name, version: r.md.signed.version, signed: r.result.signed.length, threshold: r.result.threshold }] : [];
                }),
                ...[...v.delegated].map(([name, r]) => ({ name, version: r.md.signed.version, signed: r.result.signed.length, threshold: r.result.threshold })),
              ],
              targets: v.targets ? v.targets.md.signed.targets.size : 0,
              absent: v.absent,
            },
          }
        : {}),
    };
    this.prepared = { ...p, view };
    return view;
  }

  private need(): Prepared {
    if (!this.prepared) throw new CeremonyError('USAGE', 'nothing is prepared for export: open a metadata folder or a bundle first');
    return this.prepared;
  }

  /**
   * `choose`: ask for a folder (a new choice replaces the last one); otherwise recompute the proposal for
   * the folder already chosen (after a refusal). The proposed name is the suggested one, or the first free
   * numbered variant of it.
   */
  async destination(req: { choose: boolean }): Promise<ExportDestinationView> {
    const p = this.need();
    if (req.choose) {
      const chosen = await this.deps.chooseExportDir();
      if (!chosen) throw new CeremonyError('USAGE', 'no folder was chosen; nothing was written');
      this.folder = chosen;
    }
    const folder = this.folder;
    if (!folder) throw new CeremonyError('USAGE', 'choose a folder first');
    const suggested = p.view.suggestedName;
    const exists = (name: string) => this.deps.exists(join(folder, name));
    const proposed = await freshName(suggested, exists);
    return { folder, suggestedName: suggested, proposedName: proposed, suggestedTaken: proposed !== suggested };
  }

  /** Write the prepared bundle as `fileName` into the chosen folder; never over an existing file. */
  async write(req: { fileName: string }): Promise<ExportWrittenView> {
    const p = this.need();
    if (!this.folder) throw new CeremonyError('USAGE', 'choose a folder first');
    const path = join(this.folder, req.fileName);
    const written = await writeBundleVerified(path, p.bytes, this.deps.fs);
    return {
      path,
      folder: this.folder,
      fileName: req.fileName,
      bytes: written.bytes,
      hash: hashView(written.hash),
      kind: written.bundle.kind,
      repository: written.bundle.repository,
    };
  }

  /** Full screen for the QR player: only while a bundle is prepared; leaving full screen is always allowed. */
  async fullScreen(req: { on: boolean }): Promise<ExportFullScreenView> {
    if (req.on) this.need();
    return { fullScreen: await this.deps.setFullScreen(req.on) };
  }

  /** Frames `first` … `first + count - 1` of the prepared bundle's animated QR stream. */
  qrFrames(req: { first: number; count: number }): ExportQrFramesView {
    const p = this.need();
    const w = qrFrameWindow(p.bytes, req.first, req.count, this.deps.qrModules);
    return { seqLen: w.seqLen, fragmentLength: w.fragmentLength, first: w.first, hash: p.view.hash.sha256, frames: w.frames };
  }
}

/**
 * Without a folder chooser nothing can be written (as if the dialog were cancelled); main passes its
 * folder dialog, the e2e bridge a temporary folder.
 */
export function defaultExportDeps(over: Partial<ExportDeps> = {}): ExportDeps {
  return {
    chooseExportDir: async () => undefined,
    fs: nodeBundleFs,
    exists: pathExists,
    qrModules,
    now: () => new Date(),
    setFullScreen: async () => false,
    ...over,
  };
}
