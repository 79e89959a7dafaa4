/**
 * The Import screen's work (PRODUCT.md §2.5, §2.6; issue #6): one import session in this process.
 *
 *  - Where: the trust directory is chosen by main (`deps.chooseTrustDir`: a folder dialog in the app, a
 *    temporary folder in the end-to-end tests), never named by the renderer; the layout the operator says
 *    its client reads: `notary` (Docker / Notary: `<dir>/tuf/<GUN>/metadata/`) or `tuf` (a TUF client
 *    metadata folder), as `tuf-ceremony import --layout`.
 *  - The pin: a root.json the operator picks (`--root`), or the SHA-256 of one (`--root-fingerprint`), or
 *    none — then the root already installed is the pin (src/trust-store/install.ts).
 *  - A bundle's bytes (a file from USB, or reassembled from QR frames) are decoded by the bundle decoder
 *    and verified by the SAME core as `tuf-ceremony import`: `preview` runs importRepository as a dry run
 *    (complete verification against the pin and what is installed, nothing written), `install` runs it
 *    for real: verification again, under the trust directory's import lock (src/trust-store/lock.ts),
 *    then the atomic swap and the import record (imports.log).
 *  - Camera: the renderer decodes QR codes off its main thread and sends each new frame's TEXT here, where
 *    the CLI's receiver (src/transport/qr QrAssembler: GF(2) elimination, per-frame CRC, foreign frames
 *    refused) assembles it — in a worker thread (qr-assembly.ts), never on main's own thread, so a hostile
 *    stream of frames cannot freeze the windows or the PIN dialog (issue #12). Not in the renderer:
 *    @ngraveio/bc-ur needs Node's Buffer.
 *    When complete the bundle bytes go back to the renderer, which sends them through `preview` and
 *    `install` exactly like a file's.
 *
 * Plain functions over narrow dependencies (no Electron): unit-tested and driven by the e2e bridge.
 */
import { groupHex } from '../../src/crypto/digest-words.js';
import { sha256Hex } from '../../src/crypto/digest.js';
import { CeremonyError, toErrorShape } from '../../src/errors.js';
import { decodeBundle } from '../../src/bundle/format.js';
import { readQrReaderWasm } from '../../src/io/qr-images.js';
import { bundleImportSource } from '../../src/trust-store/bundle-source.js';
import { decodeRepositorySet, type DecodedRepositorySet } from '../../src/bundle/set.js';
import { importRepositorySet, previewRepositorySet, type SetImportEntry, type SetImportOptions, type SetImportResult } from '../../src/trust-store/install-set.js';
import { parsePins } from '../../src/trust-store/pins-file.js';
import { shownOrQuoted } from '../../src/json/fields.js';
import { importRepository, type ImportOptions, type ImportResult, type TrustLayout } from '../../src/trust-store/install.js';
import { recordImportSession } from '../../src/io/import-session-file.js';
import { InstalledCleanupFailed } from '../../src/trust-store/installed-cleanup.js';
import type { ImportSessionStart } from '../../src/trust-store/import-session.js';
import { describeRemovedLock, removeStaleImportLock, type RemovedImportLock } from '../../src/trust-store/lock.js';
import { nodeLockFs } from '../../src/io/lock-file.js';
import type { TrustedVersions, VerifiedRepository } from '../../src/tuf/repository.js';
import type {
  ImportBundleView,
  ImportCleanupFailedView,
  ImportInstalledView,
  ImportInventoryRequest,
  ImportPinRequest,
  ImportPreviewView,
  ImportQrDecoderView,
  ImportQrFrameView,
  ImportQrProgressView,
  ImportRoleView,
  ImportSessionView,
  ImportSetInstalledView,
  ImportSetRowView,
  ImportStaleLockView,
  ImportTrustDirRequest,
  InventoryErrorView,
  NamedFile,
} from '../shared/api-types.js';
import { startQrAssembly, type QrAssembly } from './qr-assembly.js';
import { checkInventoryUpdate, inventoryFullAdvice, readInventoryForUpdate, writeInventoryUpdate, type CheckedInventoryUpdate, type InventoryForUpdate, type InventoryWritten } from '../../src/io/inventory-file.js';
import { recordInstalledRepository, recordInstalledSet } from '../../src/trust-store/install-inventory.js';

export interface ImportDeps {
  /** Where to install: the app asks with a folder dialog; tests answer a temporary folder. Undefined: cancelled. */
  chooseTrustDir(layout: TrustLayout): Promise<string | undefined>;
  /** The local clock expiry is judged by (never the renderer's). */
  now(): Date;
  /** zxing-wasm's reader binary as the package ships it (the file the CLI's `qr decode` loads). */
  readQrDecoderWasm(): Promise<Uint8Array>;
  /** src/trust-store/install.ts (the CLI's core); injectable for tests. */
  importRepository(input: Parameters<typeof importRepository>[0], opts: ImportOptions): Promise<ImportResult>;
  /** src/trust-store/install-set.ts, a trust-bundle-set's install; injectable for tests (a fault in its swap). */
  importRepositorySet: typeof importRepositorySet;
  /** src/trust-store/lock.ts removeStaleImportLock on the node file system; injectable for tests. */
  removeStaleImportLock(path: string): Promise<RemovedImportLock | undefined>;
  /** The webcam frames' assembler: a worker thread in the app (qr-assembly.ts startQrAssembly). */
  startQrAssembly(): QrAssembly;
  /** src/io/import-session-file.ts: the install's session transcript, as the CLI's import writes it. */
  recordImportSession: typeof recordImportSession;
  /** The key inventory to record installs in (a file dialog in the app; a new name creates it). Undefined: cancelled. */
  chooseInventory(): Promise<string | undefined>;
}

export function defaultImportDeps(over: Partial<ImportDeps> = {}): ImportDeps {
  return { chooseTrustDir: async () => undefined, chooseInventory: async () => undefined, now: () => new Date(), readQrDecoderWasm: readQrReaderWasm, importRepository, importRepositorySet, removeStaleImportLock: (path) => removeStaleImportLock(path, nodeLockFs()), startQrAssembly: () => startQrAssembly(), recordImportSession, ...over };
}

type Pin = { kind: 'file'; name: string; bytes: Uint8Array } | { kind: 'fingerprint'; sha256: string } | { kind: 'pins'; name: string; sha256: string; pins: Map<string, string> };

function bundleView(bytes: Uint8Array, source: string): ImportBundleView {
  // Decoded without the kind check first, so a signing request given here is named for what it is; the
  // kind is then refused by bundleImportSource (BUNDLE_KIND_UNEXPECTED).
  const b = decodeBundle(bytes, { source });
  return {
    source,
    kind: b.kind,
    profile: b.profile,
    repository: b.repository,
    created: b.created,
    bytes: bytes.length,
    files: b.files.map((f) => ({ name: f.name, length: f.bytes.length })),
    hash: { sha256: b.hash.sha256, short: groupHex(b.hash.hex), words: [...b.hash.words] },
  };
}

function rolesOf(v: VerifiedRepository): ImportRoleView[] {
  const out: ImportRoleView[] = [];
  const policy = (name: 'root' | 'targets' | 'snapshot' | 'timestamp') => v.root.signed.roles.get(name);
  const top = [
    ['root', v.root],
    ['targets', v.targets?.md],
    ['snapshot', v.snapshot?.md],
    ['timestamp', v.timestamp?.md],
  ] as const;
  for (const [name, md] of top) {
    if (!md) continue;
    const p = policy(name);
    out.push({ name, version: md.signed.version, expires: md.signed.expiresText, ...(p ? { threshold: p.threshold, keys: p.keyids.length } : {}) });
  }
  for (const [name, role] of [...v.delegated].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push({ name, version: role.md.signed.version, expires: role.md.signed.expiresText });
  }
  return out;
}

function versionsText(v: TrustedVersions | undefined): ImportInstalledView['previous'] {
  if (!v) return undefined;
  return { root: v.root, ...(v.targets !== undefined ? { targets: v.targets } : {}), ...(v.snapshot !== undefined ? { snapshot: v.snapshot } : {}), ...(v.timestamp !== undefined ? { timestamp: v.timestamp } : {}) };
}

function installedView(r: ImportResult): ImportInstalledView {
  const previous = versionsText(r.previous);
  return {
    profile: r.profile,
    layout: r.layout,
    ...(r.gun ? { repository: r.gun } : {}),
    folder: r.folder,
    pinnedBy: r.pinnedBy,
    ...(previous ? { previous } : {}),
    roles: rolesOf(r.verified),
    files: [...r.files],
    targets: r.verified.targets ? r.verified.targets.md.signed.targets.size : 0,
    ...(r.lockNotReleased ? { lockNotReleased: r.lockNotReleased } : {}),
    ...(r.attestations ? { attestations: r.attestations.map((a) => ({ keyId: a.keyId, status: a.status, sentence: a.sentence })) } : {}),
    ...(r.notWritten?.length ? { notWritten: r.notWritten.map((u) => ({ role: u.role, file: u.file, why: u.why })) } : {}),
  };
}

function pinView(pin: Pin): NonNullable<ImportSessionView['pin']> {
  if (pin.kind === 'file') return { kind: 'file', name: pin.name, sha256: sha256Hex(pin.bytes) };
  if (pin.kind === 'pins') return { kind: 'pins', name: pin.name, sha256: pin.sha256, repositories: pin.pins.size };
  return { kind: 'fingerprint', sha256: pin.sha256 };
}

/** One row of a set's table: the verified root's facts and the verdict (no verdict yet: not verified). */
function setRow(profile: TrustLayout, repository: string, verdict?: { ok: true; entry: SetImportEntry } | { ok: false; error: CeremonyError }): ImportSetRowView {
  if (!verdict) return { repository, profile, verdict: { ok: false, code: 'NOT_VERIFIED', message: 'not verified: the set as a whole was refused first' } };
  if (!verdict.ok) {
    const shape = toErrorShape(verdict.error);
    return { repository, profile, verdict: { ok: false, code: shape.code, message: shape.message, ...(shape.path ? { path: shape.path } : {}) } };
  }
  const e = verdict.entry;
  return { repository, profile, root: { version: e.versions.root, expires: e.root.expires, threshold: e.root.threshold, keys: e.root.keys, previous: e.previousRoot }, pinnedBy: e.pinnedBy, verdict: { ok: true }, ...(e.notWritten?.length ? { notWritten: e.notWritten.map((u) => ({ role: u.role, file: u.file, why: u.why })) } : {}) };
}

export class ImportSession {
  private trustDir: string | undefined;
  /** The key inventory installs are recorded in (issue #17 point 5), as `import --inventory` records them. */
  private inventoryPath: string | undefined;
  private layout: TrustLayout = 'notary';
  private pin: Pin | undefined;
  /** Started on the first QR request (a session that never scans starts no worker); dropped when the scanner closes. */
  private qrAssembly: QrAssembly | undefined;
  /** Whether main records the QR scanner open (camera-gate.ts, told through qrScanner): frames are taken only then. */
  private qrScannerOpen = false;
  private wasm: Promise<Uint8Array> | undefined;
  /** The lock file the last install was refused by (IMPORT_LOCK_STALE names it): the only one removeStaleLock may touch. */
  private staleLock: string | undefined;

  constructor(private readonly deps: ImportDeps) {}

  status(): ImportSessionView {
    const pin = this.pin;
    return {
      layout: this.layout,
      ...(this.trustDir ? { trustDir: this.trustDir } : {}),
      ...(this.inventoryPath ? { inventory: this.inventoryPath } : {}),
      ...(pin ? { pin: pinView(pin) } : {}),
      qr: this.qrProgress(),
    };
  }

  /** Ask main where the trust directory is (a dialog); cancelling keeps the previous choice. */
  async chooseTrustDir(req: ImportTrustDirRequest): Promise<ImportSessionView> {
    this.layout = req.layout;
    this.staleLock = undefined;
    const dir = await this.deps.chooseTrustDir(req.layout);
    if (dir) this.trustDir = dir;
    return this.status();
  }

  /** Ask main for the key inventory (a file dialog), or stop recording in one; cancelling keeps the choice. */
  async chooseInventory(req: ImportInventoryRequest): Promise<ImportSessionView> {
    if (req.clear) this.inventoryPath = undefined;
    else {
      const path = await this.deps.chooseInventory();
      if (path) this.inventoryPath = path;
    }
    return this.status();
  }

  /** The chosen inventory, read and checked before anything is installed (a refused one refuses the install). */
  private async readInventory(): Promise<InventoryForUpdate | undefined> {
    return this.inventoryPath ? readInventoryForUpdate(this.inventoryPath, { create: true, now: this.deps.now() }) : undefined;
  }

  setPin(req: ImportPinRequest): ImportSessionView {
    // A pins file is read whole now (a malformed one is refused here, with its JSON path, and the pin kept).
    if (req.pinsFile) this.pin = { kind: 'pins', name: req.pinsFile.name, sha256: sha256Hex(req.pinsFile.bytes), pins: parsePins(req.pinsFile.bytes) };
    else if (req.rootFile) this.pin = { kind: 'file', name: req.rootFile.name, bytes: req.rootFile.bytes };
    else if (req.fingerprint) this.pin = { kind: 'fingerprint', sha256: req.fingerprint.replace(/[\s:]/g, '').toLowerCase() };
    else this.pin = undefined;
    return this.status();
  }

  private options(dryRun: boolean, repository: string): ImportOptions {
    if (!this.trustDir) throw new CeremonyError('USAGE', 'choose the trust directory to install into first');
    const pin = this.pin;
    // A pins file pins the bundle's repository by its root's SHA-256; a repository it does not name is
    // pinned by its installed root, as in a set.
    const pinned = pin?.kind === 'pins' ? pin.pins.get(repository) : undefined;
    return {
      ...(pinned ? { rootFingerprint: pinned } : {}),
      trustDir: this.trustDir,
      layout: this.layout,
      now: this.deps.now(),
      ...(pin?.kind === 'file' ? { trustedRoot: pin.bytes } : {}),
      ...(pin?.kind === 'fingerprint' ? { rootFingerprint: pin.sha256 } : {}),
      ...(dryRun ? { dryRun: true } : {}),
    };
  }

  /**
   * What the bundle is, then the complete verification against the pin and what is installed (the
   * core's dry run: nothing is written). A bundle that cannot be decoded is a refusal (IpcFailure).
   */
  async preview(bundle: NamedFile): Promise<ImportPreviewView> {
    const view = bundleView(bundle.bytes, bundle.name);
    if (view.kind === 'trust-bundle-set') return this.previewSet(bundle, view);
    try {
      const result = await this.deps.importRepository(bundleImportSource(bundle.bytes, bundle.name), this.options(true, view.repository));
      return { bundle: view, verification: { ok: true, result: installedView(result) } };
    } catch (err) {
      const shape = toErrorShape(err);
      return { bundle: view, verification: { ok: false, code: shape.code, message: shape.message, ...(shape.path ? { path: shape.path } : {}) } };
    }
  }

  /** Verify again (the trust directory may have changed since the preview) and install atomically; refusals throw. */
  async install(bundle: NamedFile, witnesses: readonly string[] = []): Promise<ImportInstalledView | ImportSetInstalledView> {
    this.staleLock = undefined;
    const view = bundleView(bundle.bytes, bundle.name);
    if (view.kind === 'trust-bundle-set') return this.installSet(bundle, witnesses);
    // Leftovers of killed commands the install's lock sweep removes (and the inventory's, below): said,
    // never silent, as the CLI's `note:` lines (src/cli/lock-notes.ts). Only an install takes a lock: the
    // preview is the core's dry run, which takes none, so it removes nothing and has nothing to say.
    const removed: string[] = [];
    const options: ImportOptions = { ...this.options(false, view.repository), onRemovedLockLeftover: (line) => void removed.push(line) };
    const source = bundleImportSource(bundle.bytes, bundle.name);
    // The session transcript (src/trust-store/import-session.ts), the same as `tuf-ceremony import` writes:
    // the bundle, the pin, what was installed or the refusal, and the witness line's names.
    const session: ImportSessionStart | undefined = source.bundle && {
      profile: source.bundle.profile,
      repository: source.bundle.repository,
      source: { name: source.source, sha256: source.bundle.hash.sha256, form: 'bundle' },
      ...(this.pin?.kind === 'file' ? { pin: { name: this.pin.name, sha256: sha256Hex(this.pin.bytes) } } : {}),
      trustDir: options.trustDir,
      witnesses: [...witnesses],
      now: () => this.deps.now(),
    };
    const layout = options.layout ?? source.bundle?.profile;
    const inventory = await this.readInventory();
    // As `import --inventory` (src/cli/import.ts): the repository recorded and the inventory checked against
    // the limits it is read with once verified, before anything is installed (the core's beforeInstall):
    // an update that could not be written refuses the install, nothing installed (review 13a M1). Those
    // bytes are written after the install, only if the file is unchanged since read.
    let checkedInventory: CheckedInventoryUpdate | undefined;
    const recordIn = (inv: InventoryForUpdate, installed: ImportResult, after: string, advice?: string): CheckedInventoryUpdate => {
      const repository = installed.gun ?? source.bundle?.repository ?? source.source;
      recordInstalledRepository(inv.inventory, { repository, profile: installed.profile, files: source.files, rootSha256: installed.fileHashes['root.json'], now: options.now });
      return checkInventoryUpdate(inv, inv.inventory, after, advice);
    };
    let result: Awaited<ReturnType<ImportDeps['importRepository']>>;
    // Installed, then a step after the swap's rename failed: the install it is, as the CLI reports it
    // (src/cli/import.ts) — transcript, inventory and summary as after a clean install, plus a warning.
    let cleanupFailed: InstalledCleanupFailed | undefined;
    try {
      result = await this.deps.importRepository(source, inventory ? { ...options, beforeInstall: (verified) => void (checkedInventory = recordIn(inventory, verified, '; nothing was installed', inventoryFullAdvice(inventory.path, 'app-install', 'this repository'))) } : options);
    } catch (err) {
      if (err instanceof InstalledCleanupFailed && 'single' in err.installed) {
        result = err.installed.single;
        cleanupFailed = err;
      } else {
        // The core names the lock file it found stale (main's own path, from the trust directory main chose).
        if (err instanceof CeremonyError && err.code === 'IMPORT_LOCK_STALE' && err.path) this.staleLock = err.path;
        // A refusal is recorded too (the audit trail), as the CLI records it; the refusal itself is unchanged.
        if (session && layout && err instanceof CeremonyError && err.code !== 'USAGE') await this.deps.recordImportSession(session, layout, { refused: err });
        throw refusedAfter(err, removed);
      }
    }
    // Installed: the transcript records that first (review B2 M1), whatever happens to the inventory after.
    const record = session ? await this.deps.recordImportSession(session, result.layout, { single: result, ...(cleanupFailed ? { cleanupFailed } : {}) }) : undefined;
    let inventoryError: InventoryErrorView | undefined;
    let brokeStaleLock: string | undefined;
    if (inventory) {
      // After the install, as `import --inventory` (src/cli/import.ts): the record checked before it, written only if unchanged since read.
      const repository = result.gun ?? source.bundle?.repository ?? source.source;
      ({ inventoryError, brokeStaleLock } = await inventoryUpdateError(Promise.resolve().then(() => writeInventoryUpdate(inventory, checkedInventory ?? recordIn(inventory, result, ''), ` (${repository} was installed; the inventory is stale for it until updated: install it again)`, { onRemovedLeftover: (line) => void removed.push(line) }))));
    }
    return {
      ...installedView(result),
      witnesses: [...witnesses],
      ...(record && 'path' in record ? { transcript: record.path } : {}),
      ...(inventory && !inventoryError ? { inventory: inventory.path } : {}),
      ...(inventoryError ? { inventoryError } : {}),
      ...(brokeStaleLock ? { inventoryBrokeStaleLock: brokeStaleLock } : {}),
      ...(cleanupFailed ? { cleanupFailed: cleanupFailedView(cleanupFailed) } : {}),
      ...(removed.length ? { removedLockLeftovers: removed } : {}),
    };
  }

  /** A trust-bundle-set, all or none (install-set.ts), with the same session transcript as `import --pins`. */
  private async installSet(bundle: NamedFile, witnesses: readonly string[]): Promise<ImportSetInstalledView> {
    const set = decodeRepositorySet(bundle.bytes, bundle.name);
    // As install: what the lock sweeps remove is said, with the install or with its refusal.
    const removed: string[] = [];
    const options: SetImportOptions = { ...this.setOptions(set), onRemovedLockLeftover: (line) => void removed.push(line) };
    const pin = this.pin?.kind === 'pins' ? this.pin : undefined;
    const session: ImportSessionStart = {
      profile: set.profile,
      repository: set.name,
      source: { name: bundle.name, sha256: set.outer.hash.sha256, form: 'set' },
      ...(pin ? { pin: { name: pin.name, sha256: pin.sha256 } } : {}),
      trustDir: options.trustDir,
      witnesses: [...witnesses],
      now: () => this.deps.now(),
    };
    const inventory = await this.readInventory();
    // As install (above): recorded and checked once the whole set is verified, before it is installed.
    let checkedInventory: CheckedInventoryUpdate | undefined;
    const recordIn = (inv: InventoryForUpdate, installed: SetImportResult, after: string, advice?: string): CheckedInventoryUpdate => {
      recordInstalledSet(inv.inventory, set, installed, options.now);
      return checkInventoryUpdate(inv, inv.inventory, after, advice);
    };
    let result: Awaited<ReturnType<typeof importRepositorySet>>;
    // Installed, then a step after the swap's rename failed: the install it is (see install).
    let cleanupFailed: InstalledCleanupFailed | undefined;
    try {
      result = await this.deps.importRepositorySet(set, inventory ? { ...options, beforeInstall: (verified) => void (checkedInventory = recordIn(inventory, verified, '; nothing of the set was installed', inventoryFullAdvice(inventory.path, 'app-install', 'this set'))) } : options);
    } catch (err) {
      if (err instanceof InstalledCleanupFailed && 'set' in err.installed) {
        result = err.installed.set;
        cleanupFailed = err;
      } else {
        if (err instanceof CeremonyError && err.code === 'IMPORT_LOCK_STALE' && err.path) this.staleLock = err.path;
        if (err instanceof CeremonyError && err.code !== 'USAGE') await this.deps.recordImportSession(session, set.profile, { refused: err });
        throw refusedAfter(err, removed);
      }
    }
    // Installed (the whole set): recorded as installed first (review B2 M1), whatever happens to the inventory after.
    const record = await this.deps.recordImportSession(session, result.layout, { set: result, ...(cleanupFailed ? { cleanupFailed } : {}) });
    let inventoryError: InventoryErrorView | undefined;
    let brokeStaleLock: string | undefined;
    if (inventory) {
      // After importRepositorySet returned (the whole set installed): one update, as `import SET --inventory`.
      ({ inventoryError, brokeStaleLock } = await inventoryUpdateError(Promise.resolve().then(() => writeInventoryUpdate(inventory, checkedInventory ?? recordIn(inventory, result, ''), ` (the ${result.entries.length} repositories were installed; the inventory is stale for them until updated: install the set again)`, { onRemovedLeftover: (line) => void removed.push(line) }))));
    }
    const rows = result.entries.map((e) => setRow(set.profile, e.repository, { ok: true, entry: e }));
    return {
      set: { name: set.name, profile: set.profile, folder: result.folder, repositories: rows },
      witnesses: [...witnesses],
      ...('path' in record ? { transcript: record.path } : {}),
      ...(inventory && !inventoryError ? { inventory: inventory.path } : {}),
      ...(inventoryError ? { inventoryError } : {}),
      ...(brokeStaleLock ? { inventoryBrokeStaleLock: brokeStaleLock } : {}),
      ...(cleanupFailed ? { cleanupFailed: cleanupFailedView(cleanupFailed) } : {}),
      ...(removed.length ? { removedLockLeftovers: removed } : {}),
    };
  }

  /** The set's options: its pins are a pins file's, or none (every repository pinned by its installed root). */
  private setOptions(set: DecodedRepositorySet): SetImportOptions {
    if (!this.trustDir) throw new CeremonyError('USAGE', 'choose the trust directory to install into first');
    const pin = this.pin;
    if (pin && pin.kind !== 'pins') {
      throw new CeremonyError('USAGE', `${shownOrQuoted(set.name)} is a set of ${set.repositories.length} repositories: pin them with a pins file (repository → root.json SHA-256), not one root`);
    }
    if (this.layout !== set.profile) {
      throw new CeremonyError('IMPORT_REPOSITORY_MISMATCH', `a set of ${set.profile} repositories cannot be installed in the ${this.layout} layout: its client would not read it`);
    }
    return { trustDir: this.trustDir, now: this.deps.now(), ...(pin ? { pins: pin.pins } : {}) };
  }

  /** Every repository of a set verified as the install would (nothing written), each with its verdict. */
  private async previewSet(bundle: NamedFile, view: ImportBundleView): Promise<ImportPreviewView> {
    const set = decodeRepositorySet(bundle.bytes, bundle.name);
    const base = { name: set.name, profile: set.profile };
    const failed = (err: unknown): { ok: false; code: string; message: string; path?: string } => {
      const shape = toErrorShape(err);
      return { ok: false, code: shape.code, message: shape.message, ...(shape.path ? { path: shape.path } : {}) };
    };
    let opts: SetImportOptions;
    try {
      opts = this.setOptions(set);
    } catch (err) {
      return { bundle: view, set: { ...base, repositories: set.repositories.map((r) => setRow(set.profile, r.repository)) }, verification: failed(err) };
    }
    try {
      const preview = await previewRepositorySet(set, opts);
      const rows = preview.rows.map((r) => setRow(set.profile, r.repository, r.ok ? { ok: true, entry: r.entry } : { ok: false, error: r.error }));
      const refused = preview.rows.find((r) => !r.ok);
      const verification = refused && !refused.ok ? failed(refused.error) : ({ ok: true } as const);
      return { bundle: view, set: { ...base, folder: preview.folder, repositories: rows }, verification };
    } catch (err) {
      return { bundle: view, set: { ...base, repositories: set.repositories.map((r) => setRow(set.profile, r.repository)) }, verification: failed(err) };
    }
  }

  /**
   * The operator's way out of IMPORT_LOCK_STALE: remove the lock the last install was refused by, only if
   * it is still provably stale (src/trust-store/lock.ts; a live owner's lock is never removed:
   * IMPORT_LOCK_NOT_STALE). The renderer names no path: main removes only the file the core reported.
   */
  async removeStaleLock(): Promise<ImportStaleLockView> {
    const path = this.staleLock;
    if (!path) throw new CeremonyError('USAGE', 'no stale import lock was reported: install first, and remove a lock only when the install is refused because of one');
    // Used up before awaiting: a second call arriving meanwhile finds nothing to remove (USAGE) rather
    // than racing this one; a refused removal needs a new report (install again).
    this.staleLock = undefined;
    const removed = await this.deps.removeStaleImportLock(path);
    return removed ? { removed: true, message: describeRemovedLock(removed) } : { removed: false, message: `the import lock ${path} is no longer there: install again` };
  }

  private qrProgress(): ImportQrProgressView {
    return this.qrAssembly?.lastProgress() ?? { received: 0, duplicates: 0, rank: 0, needed: 0, estimatedStillNeeded: 1, complete: false, refused: 0 };
  }

  private get qr(): QrAssembly {
    return (this.qrAssembly ??= this.deps.startQrAssembly());
  }

  /** The camera worker's QR decoder binary (read once, kept). */
  async qrDecoder(): Promise<ImportQrDecoderView> {
    this.wasm ??= this.deps.readQrDecoderWasm();
    const wasm = await this.wasm;
    return { wasm, sha256: sha256Hex(wasm) };
  }

  /** Start reading a new bundle from the camera (frames of the previous one are forgotten). */
  qrReset(): Promise<ImportQrProgressView> {
    return this.qr.reset();
  }

  /**
   * Main's camera gate opened or closed (camera-gate.ts: the scanner's `importQrCamera` call, or main
   * closing it when the page navigates, reloads or goes away). Closing ends the scan (review-15d L6): the
   * assembly and its worker are dropped with all they held — an aborted scan's solver rows (≈ 15 MB at
   * the seqLen cap), a completed bundle's bytes — and the status view shows no scan; the next scan
   * starts a new worker.
   */
  qrScanner(open: boolean): void {
    this.qrScannerOpen = open;
    if (open) return;
    const assembly = this.qrAssembly;
    this.qrAssembly = undefined;
    assembly?.close();
  }

  /**
   * One frame's text, as the renderer's decoder read it, assembled in the worker (qr-assembly.ts
   * QrAssemblySession: a refused frame is reported and the scan goes on; the bundle bytes once complete).
   * Refused (QR_SCANNER_CLOSED) unless the scanner is open: no scan outlives its screen (review-15d L6).
   */
  qrFrame(text: string): Promise<ImportQrFrameView> {
    if (!this.qrScannerOpen) return Promise.reject(new CeremonyError('QR_SCANNER_CLOSED', 'the camera scanner is not open: frames are taken only while the Import screen reads from the webcam'));
    return this.qr.frame(text);
  }
}

/** The warning an install with a failed clean-up carries: the swap's words and the names it left (for the screen to list). */
function cleanupFailedView(err: InstalledCleanupFailed): ImportCleanupFailedView {
  const shape = toErrorShape(err);
  return { code: 'IMPORT_INSTALLED_CLEANUP_FAILED', message: shape.message, ...(shape.path ? { path: shape.path } : {}), leftBeside: [...err.leftBeside] };
}

/**
 * The inventory update after an install that happened: its failure (INVENTORY_CHANGED when another writer
 * touched the file, or a write fault) is the view's warning, never a refusal, since the trust directory
 * already holds the new root and the transcript says so (review B2 M1).
 */
async function inventoryUpdateError(update: Promise<InventoryWritten>): Promise<{ inventoryError?: InventoryErrorView; brokeStaleLock?: string }> {
  try {
    // A stale lock taken over is said, never silent (src/io/inventory-file.ts; the CLI's `note:` line);
    // each leftover of a killed command removed beside the inventory's lock is said by the caller's
    // onRemovedLeftover, with the update's failure too.
    const written = await update;
    return written.brokeStaleLock ? { brokeStaleLock: written.brokeStaleLock } : {};
  } catch (err) {
    const shape = toErrorShape(err);
    return { inventoryError: { code: shape.code, message: shape.message, ...(shape.path ? { path: shape.path } : {}) } };
  }
}

/**
 * An install refused after its lock sweep removed leftovers of killed commands (src/trust-store/lock.ts
 * sweepAsideLeftovers runs when the lock is taken, before verification): the refusal as it was — same code,
 * words and path — carrying the sentences, which ipc-handlers.ts `failure` puts in the IpcFailure's
 * `removedLockLeftovers`. A field on the failure, not only the session transcript: the transcript is
 * the audit trail and records what the CLI's records (the refusal, not its `note:` lines), and nobody reads
 * it on the Import screen; the failure is what the screen shows, and it passes the same IPC gate
 * (ipc-register.ts displaySafeValue) as an install's view. An error that is not a CeremonyError stays
 * the INTERNAL refusal it would have been (toErrorShape), with the sentences.
 */
export class RefusedAfterRemovingLeftovers extends CeremonyError {
  readonly removedLockLeftovers: readonly string[];

  constructor(refusal: unknown, removedLockLeftovers: readonly string[]) {
    const shape = toErrorShape(refusal);
    super(shape.code, shape.message, { cause: refusal, ...(shape.path ? { path: shape.path } : {}) });
    // The refusal's own words (they already end with its path, which the constructor would add again).
    this.message = shape.message;
    this.removedLockLeftovers = [...removedLockLeftovers];
  }
}

/** `err`, or when the lock sweep removed something first, the same refusal carrying the sentences. */
function refusedAfter(err: unknown, removed: readonly string[]): unknown {
  return removed.length ? new RefusedAfterRemovingLeftovers(err, removed) : err;
}
