/**
 * One handler per IPC channel: validate the payload against its schema, call the core, and return the
 * result as data. Errors cross IPC as `{ ok: false, code, message, path }` (STYLE.md "Errors"); only a
 * CeremonyError's message crosses, anything else becomes INTERNAL (src/errors.ts toErrorShape).
 *
 * No Electron here: the sender check and ipcMain registration live in ipc-register.ts.
 */
import { metadataOfListing } from '../../src/ceremony/layout.js';
import type { z } from 'zod';
import { CeremonyError, toErrorShape } from '../../src/errors.js';
import { inspectNamedFiles } from '../../src/inspect/inspect.js';
import { keyHoldersFromTranscript } from '../../src/inspect/key-holders.js';
import { TokenError } from '../../src/signers/pkcs11/errors.js';
import type {
  AppInfo,
  CeremonyPlanRowsView,
  CeremonyStatusView,
  GeneratedKeyView,
  Inspection,
  IpcFailure,
  IpcResult,
  NamedFile,
  PrintResultView,
  TokenModuleView,
  TokensCheckResult,
  TranscriptListView,
  TranscriptView,
  // --- rotation (#5)
  RotationMergeView,
  RotationNewKeyView,
  RotationRequestView,
  RotationReviewView,
  RotationRootView,
  RotationSignedView,
  RotationSignerCheckView,
  RotationWriteRootView,
} from '../shared/api-types.js';
import { CHANNELS, type ChannelName } from '../shared/channels.js';
import { firstProblem, REQUEST_SCHEMAS } from '../shared/schemas.js';
import { CeremonySession, defaultCeremonyDeps } from './ceremony.js';
import { TranscriptFolders, verifyNamedTranscriptFile } from './transcript-folder.js';
import { checkToken, defaultTokenDeps, generateKey, listTokens, pinBytes, type TokenDeps } from './tokens.js';
import { ModuleChoices } from './module-choices.js';
import { isPresetPath } from '../../src/signers/pkcs11/presets.js';
import type { TokenModuleChoiceView } from '../shared/api-types.js';
// --- rotation (#5)
import * as rotation from './rotation.js';
import * as certificates from './cosign-certificate.js';
import type { CertificateReviewView, CertificateSignedView, CertificateSignerCheckView } from '../shared/api-types.js';
// --- import (#6)
import type { ImportInstalledView, ImportPreviewView, ImportQrCameraView, ImportQrDecoderView, ImportQrFrameView, ImportQrProgressView, ImportSessionView, ImportSetInstalledView, ImportStaleLockView } from '../shared/api-types.js';
import { defaultImportDeps, ImportSession, RefusedAfterRemovingLeftovers } from './transport-import.js';
import { CameraGate } from './camera-gate.js';
// --- export (#6)
import type { ExportDestinationView, ExportFullScreenView, ExportPreparedView, ExportQrFramesView, ExportWrittenView } from '../shared/api-types.js';
import { defaultExportDeps, ExportSession } from './transport-export.js';
// --- shamir
import type { ShamirClearView, ShamirCosignView, ShamirRollCallView, ShamirSetView, ShamirVerifyView } from '../shared/api-types.js';
import * as shamir from './shamir.js';

type Input<C extends ChannelName> = z.output<(typeof REQUEST_SCHEMAS)[C]>;

export type Handler = (payload: unknown) => Promise<IpcResult<unknown>>;

export interface HandlerDeps {
  /** Name and version of the running app (main passes app.getName() / app.getVersion()). */
  appInfo: () => { name: string; version: string };
  /** src/inspect/inspect.ts: sync, pure, throws CeremonyError. */
  inspectNamedFiles: (req: { files: NamedFile[]; trustedRoot?: NamedFile; directory?: boolean; source?: string; now?: Date }) => Inspection;
  /**
   * PKCS#11 modules and where presets live (electron/main/tokens.ts). Main passes one `TokenModules` for
   * the process and finalises it on quit; without it, handlers get their own.
   */
  tokens: TokenDeps;
  /**
   * PKCS#11 library files the person picked in main's dialog, by handle (electron/main/module-choices.ts):
   * the renderer names a preset or a handle, never a path. Main passes one with its file dialog; the e2e
   * bridge one answering a configured path; without it, only presets can be used.
   */
  moduleChoices: ModuleChoices;
  /**
   * The one root ceremony of this process (electron/main/ceremony.ts). Main passes one with its output
   * folder dialog and printing; the e2e bridge one with a temporary folder; without it, handlers get one
   * that can prepare and show a plan but has nowhere to write.
   */
  ceremony: CeremonySession;
  /**
   * The folder whose transcripts the Transcript screen lists (electron/main/transcript-folder.ts): main's
   * folder dialog; the e2e bridge a temporary folder; without it, only the completed ceremony's output
   * folder can be listed. Undefined: cancelled.
   */
  chooseTranscriptFolder: () => Promise<string | undefined>;
  // --- rotation (#5)
  /**
   * Rotation and co-signing (electron/main/rotation.ts): where requests, responses and new roots are
   * written (main: a folder dialog; e2e: a temporary folder; without it, nothing can be written) and the
   * clock the default expiry is counted from.
   */
  rotation: Pick<rotation.RotationDeps, 'chooseOutputDir' | 'now'>;
  // --- import (#6)
  /**
   * The Import screen's session (electron/main/transport-import.ts): main passes one whose trust
   * directory comes from a folder dialog; the e2e bridge one with a temporary folder; without it, nothing
   * can be installed (no trust directory can be chosen).
   */
  importSession: ImportSession;
  /** Whether the QR scanner is open, as main records it (camera-gate.ts); main.ts shares it with the permission handlers. */
  cameraGate: CameraGate;
  // --- export (#6)
  /**
   * The Export screen's session (electron/main/transport-export.ts): main passes one whose destination
   * folder comes from a folder dialog; the e2e bridge one with a temporary folder; without it, a bundle
   * can be prepared and played as QR but not written.
   */
  exportSession: ExportSession;
  // --- shamir
  /**
   * The share cards being entered, held here and never in the renderer (electron/main/shamir.ts): one
   * store per set of handlers, so a handle from another session is unknown; tests inject theirs to
   * inspect the wiping.
   */
  shamirSets: shamir.ShareSetStore;
}

function failure(err: unknown): IpcFailure {
  const out: IpcFailure = { ok: false, ...toErrorShape(err) };
  // A token refusal names its token and, after a wrong PIN, the tries the token's flags report.
  if (err instanceof TokenError) {
    if (err.token) out.token = { label: err.token.label, serial: err.token.serial };
    if (err.pinTries) out.pinTries = err.pinTries;
  }
  // An install refused after its lock sweep removed files beside the trust directory says so (transport-import.ts).
  if (err instanceof RefusedAfterRemovingLeftovers) out.removedLockLeftovers = [...err.removedLockLeftovers];
  return out;
}

/** Parse `payload` with the channel's schema, or throw IPC_INVALID naming the first bad field. */
function validate<C extends ChannelName>(channel: C, payload: unknown): Input<C> {
  const schema = REQUEST_SCHEMAS[channel];
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const problem = firstProblem(parsed.error);
    throw new CeremonyError('IPC_INVALID', `${channel}: ${problem.message}`, { path: problem.path });
  }
  return parsed.data as Input<C>;
}

/** Wrap a channel's work so every outcome, thrown or not, is an IpcResult. */
function handler<C extends ChannelName, T>(channel: C, run: (input: Input<C>) => T | Promise<T>): Handler {
  return async (payload) => {
    try {
      const input = validate(channel, payload);
      return { ok: true, value: await run(input) };
    } catch (err) {
      return failure(err);
    }
  };
}

export function createIpcHandlers(deps: Partial<HandlerDeps> = {}): Record<ChannelName, Handler> {
  const moduleChoices = deps.moduleChoices ?? new ModuleChoices({ chooseModuleFile: async () => undefined });
  const d: HandlerDeps = {
    appInfo: deps.appInfo ?? (() => ({ name: 'tuf-ceremony', version: 'development' })),
    inspectNamedFiles: deps.inspectNamedFiles ?? inspectNamedFiles,
    tokens: deps.tokens ?? defaultTokenDeps(),
    moduleChoices,
    ceremony:
      deps.ceremony ??
      new CeremonySession(
        defaultCeremonyDeps({
          modules: (deps.tokens ?? defaultTokenDeps()).modules,
          moduleConfirmed: (path) => isPresetPath(path, process.platform) || moduleChoices.isChosenPath(path),
        }),
      ),
    chooseTranscriptFolder: deps.chooseTranscriptFolder ?? (async () => undefined),
    rotation: deps.rotation ?? { chooseOutputDir: async () => undefined, now: () => new Date() },
    importSession: deps.importSession ?? new ImportSession(defaultImportDeps()),
    cameraGate: deps.cameraGate ?? new CameraGate(),
    exportSession: deps.exportSession ?? new ExportSession(defaultExportDeps()),
    shamirSets: deps.shamirSets ?? new shamir.ShareSetStore(),
  };
  const imp = d.importSession;
  // The scan lives only while the gate is open: closing it (the scanner, or main on navigation) ends it.
  d.cameraGate.onChange((open) => imp.qrScanner(open));
  const exp = d.exportSession;
  /** `h`, forgetting the prepared export bundle before anything else (validation included) runs. */
  const forgettingFirst =
    (h: Handler): Handler =>
    (payload) => {
      exp.forget();
      return h(payload);
    };
  const rot: rotation.RotationDeps = { ...d.rotation, tokens: d.tokens };
  const c = d.ceremony;
  const transcripts = new TranscriptFolders({ chooseFolder: d.chooseTranscriptFolder, ceremonyFolder: () => c.completedFolder(), ceremonySealKey: () => c.completedSealKey() });
  // Every module the renderer names becomes a preset name or the path main holds for its handle, here.
  const mod = (ref: Parameters<ModuleChoices['resolve']>[0]) => d.moduleChoices.resolve(ref);
  return {
    [CHANNELS.appInfo]: handler(CHANNELS.appInfo, (): AppInfo => {
      const { name, version } = d.appInfo();
      // offline: every network request is cancelled (security-policy.ts isRequestAllowed);
      // testBridge: this is the real IPC path, never the end-to-end tests' loopback bridge.
      return { name, version, offline: true, testBridge: false };
    }),
    [CHANNELS.inspectFiles]: handler(CHANNELS.inspectFiles, (req): Inspection => {
      // Built afresh from the parsed data: the core never sees a field the schema did not name, and the
      // renderer cannot choose the clock (`now`) that expiry is judged by.
      const given = req.files.map((f) => ({ name: f.name, bytes: f.bytes }));
      // A ceremony output folder is inspected as its metadata/ folder (src/ceremony/layout.ts, issue #16).
      const metadata = req.directory ? metadataOfListing(given) : undefined;
      const core: Parameters<HandlerDeps['inspectNamedFiles']>[0] = { files: metadata ?? given };
      if (req.trustedRoot) core.trustedRoot = { name: req.trustedRoot.name, bytes: req.trustedRoot.bytes };
      if (req.directory !== undefined) core.directory = req.directory;
      if (req.source !== undefined) core.source = req.source;
      // The transcript first: one that does not verify is refused before anything is shown with it.
      const holders = req.holders ? keyHoldersFromTranscript(req.holders.bytes) : undefined;
      const inspection = d.inspectNamedFiles(core);
      if (holders && req.holders) {
        for (const k of inspection.keys) {
          const h = holders.byFingerprint.get(k.fingerprint);
          if (h) k.holder = { name: h.name, custodian: h.custodian };
        }
        inspection.holdersFrom = req.holders.name.split('/').pop() ?? req.holders.name;
      }
      return inspection;
    }),
    [CHANNELS.tokensList]: handler(CHANNELS.tokensList, (req): Promise<TokenModuleView> => listTokens({ module: mod(req.module), ...(req.inventory ? { inventory: req.inventory } : {}) }, d.tokens)),
    [CHANNELS.tokensCheck]: handler(CHANNELS.tokensCheck, (req): Promise<TokensCheckResult> => checkToken({ module: mod(req.module), token: req.token, expected: req.expected }, d.tokens)),
    [CHANNELS.tokensGenerateKey]: handler(CHANNELS.tokensGenerateKey, (req): Promise<GeneratedKeyView> => {
      // The PIN becomes bytes here and the parsed request lets go of the string (a JS string cannot be
      // wiped); generateKey zeroes the bytes after the login, whatever happens.
      // The module handle is resolved first: an unknown one refuses before any PIN byte exists.
      const module = mod(req.module);
      const pin = pinBytes(req.pin);
      const { token, expected, algorithm, keyLabel, keyId } = req;
      (req as { pin?: string }).pin = undefined;
      return generateKey({ module, token, expected, algorithm, keyLabel, keyId, pin }, d.tokens);
    }),
    [CHANNELS.tokensChooseModule]: handler(CHANNELS.tokensChooseModule, (): Promise<TokenModuleChoiceView> => d.moduleChoices.choose()),
    [CHANNELS.ceremonyLoad]: handler(CHANNELS.ceremonyLoad, (req): Promise<CeremonyStatusView> => {
      const inputs = req.inputs?.map((f) => ({ name: f.name, bytes: f.bytes }));
      return c.load({ plan: { name: req.plan.name, bytes: req.plan.bytes }, bindings: { name: req.bindings.name, bytes: req.bindings.bytes }, ...(inputs ? { inputs } : {}) });
    }),
    [CHANNELS.ceremonyRehearse]: handler(CHANNELS.ceremonyRehearse, (req): Promise<CeremonyStatusView> =>
      c.rehearse({ profile: req.profile, repository: req.repository, ...(req.timestampKey ? { timestampKey: { name: req.timestampKey.name, bytes: req.timestampKey.bytes } } : {}) }),
    ),
    [CHANNELS.ceremonyStart]: handler(CHANNELS.ceremonyStart, (req): Promise<CeremonyStatusView> => c.start(req?.witnesses ?? [])),
    // With a share-card set (a multi-repository plan's split key, wiped when the run stopped): the set's
    // cards leave the store checked as one set with enough cards, for this one resume, which wipes them.
    [CHANNELS.ceremonyResume]: handler(CHANNELS.ceremonyResume, (req): Promise<CeremonyStatusView> => (req?.shareSet ? c.resume({ shareCards: d.shamirSets.claim(req.shareSet) }) : c.resume())),
    [CHANNELS.ceremonyStatus]: handler(CHANNELS.ceremonyStatus, (): CeremonyStatusView => c.status()),
    [CHANNELS.ceremonyProvidePin]: handler(CHANNELS.ceremonyProvidePin, (req): CeremonyStatusView => {
      // As tokensGenerateKey: bytes at once, the string let go; the bytes go to one login, which zeroes them.
      const pin = pinBytes(req.pin);
      (req as { pin?: string }).pin = undefined;
      return c.providePin(req.requestId, pin);
    }),
    [CHANNELS.ceremonyCancelPin]: handler(CHANNELS.ceremonyCancelPin, (req): CeremonyStatusView => c.cancelPin(req.requestId)),
    [CHANNELS.ceremonyConfirmSlot]: handler(CHANNELS.ceremonyConfirmSlot, (req): CeremonyStatusView => c.confirmSlot(req.requestId, req.confirm)),
    [CHANNELS.ceremonyProvideManagementKey]: handler(CHANNELS.ceremonyProvideManagementKey, (req): CeremonyStatusView => {
      // As a PIN: bytes at once (TextEncoder, not Node's Buffer pool), the parsed request lets go of the string.
      const key = pinBytes(req.managementKey);
      (req as { managementKey?: string }).managementKey = undefined;
      return c.provideManagementKey(req.requestId, key);
    }),
    [CHANNELS.ceremonyCancelManagementKey]: handler(CHANNELS.ceremonyCancelManagementKey, (req): CeremonyStatusView => c.cancelManagementKey(req.requestId)),
    [CHANNELS.ceremonyPrintShareCards]: handler(CHANNELS.ceremonyPrintShareCards, (): Promise<PrintResultView> => c.printShareCards()),
    [CHANNELS.transcriptVerify]: handler(CHANNELS.transcriptVerify, (req): TranscriptView => verifyNamedTranscriptFile({ name: req.file.name, bytes: req.file.bytes }, req.expectedSealKey)),
    // --- on completion (issue #16): the metadata/ folder main knows, prepared as the Export screen prepares a folder.
    // The bundle prepared before is forgotten first, before the request is even validated: any refusal — of
    // the request (IPC_INVALID) or of the folder's read — must not leave it exportable.
    [CHANNELS.ceremonyExportMetadata]: forgettingFirst(
      handler(CHANNELS.ceremonyExportMetadata, async (): Promise<ExportPreparedView> => {
        const { files, source } = await c.metadataFiles();
        return exp.prepareFolder({ files, source });
      }),
    ),
    // A multi-repository ceremony's repository folder: main knows its path, so it is named as `bundle create` names it.
    [CHANNELS.ceremonyExportRepository]: forgettingFirst(
      handler(CHANNELS.ceremonyExportRepository, async (req): Promise<ExportPreparedView> => {
        const { files, source, repository } = await c.repositoryFiles(req.repository);
        return exp.prepareFolder({ files, source, repository });
      }),
    ),
    [CHANNELS.ceremonyPlanRows]: handler(CHANNELS.ceremonyPlanRows, (): CeremonyPlanRowsView => c.planRows()),
    [CHANNELS.ceremonyPrintTranscript]: handler(CHANNELS.ceremonyPrintTranscript, (): Promise<PrintResultView> => c.printTranscript()),
    [CHANNELS.transcriptList]: handler(CHANNELS.transcriptList, (req): Promise<TranscriptListView> => transcripts.list({ from: req.from })),
    [CHANNELS.transcriptOpenListed]: handler(CHANNELS.transcriptOpenListed, (req): Promise<TranscriptView> =>
      transcripts.open({ name: req.name, ...(req.expectedSealKey !== undefined ? { expectedSealKey: req.expectedSealKey } : {}) }),
    ),
    // --- export (#6): files rebuilt from the parsed data; the folder is main's choice, the renderer names only a base name.
    [CHANNELS.exportPrepareFolder]: handler(CHANNELS.exportPrepareFolder, (req): ExportPreparedView =>
      exp.prepareFolder({ files: req.files.map((f) => ({ name: f.name, bytes: f.bytes })), ...(req.source !== undefined ? { source: req.source } : {}) }),
    ),
    [CHANNELS.exportPrepareBundle]: handler(CHANNELS.exportPrepareBundle, (req): ExportPreparedView => exp.prepareBundle({ file: { name: req.file.name, bytes: req.file.bytes } })),
    [CHANNELS.exportDestination]: handler(CHANNELS.exportDestination, (req): Promise<ExportDestinationView> => exp.destination({ choose: req.choose })),
    [CHANNELS.exportWrite]: handler(CHANNELS.exportWrite, (req): Promise<ExportWrittenView> => exp.write({ fileName: req.fileName })),
    [CHANNELS.exportQrFrames]: handler(CHANNELS.exportQrFrames, (req): ExportQrFramesView => exp.qrFrames({ first: req.first, count: req.count })),
    [CHANNELS.exportFullScreen]: handler(CHANNELS.exportFullScreen, (req): Promise<ExportFullScreenView> => exp.fullScreen({ on: req.on })),
    // --- import (#6): files rebuilt from the parsed data; paths never come from the renderer.
    [CHANNELS.importStatus]: handler(CHANNELS.importStatus, (): ImportSessionView => imp.status()),
    [CHANNELS.importChooseTrustDir]: handler(CHANNELS.importChooseTrustDir, (req): Promise<ImportSessionView> => imp.chooseTrustDir({ layout: req.layout })),
    [CHANNELS.importChooseInventory]: handler(CHANNELS.importChooseInventory, (req): Promise<ImportSessionView> => imp.chooseInventory({ clear: req.clear })),
    [CHANNELS.importSetPin]: handler(CHANNELS.importSetPin, (req): ImportSessionView =>
      imp.setPin(
        req.pinsFile
          ? { pinsFile: { name: req.pinsFile.name, bytes: req.pinsFile.bytes } }
          : req.rootFile
            ? { rootFile: { name: req.rootFile.name, bytes: req.rootFile.bytes } }
            : req.fingerprint
              ? { fingerprint: req.fingerprint }
              : {},
      ),
    ),
    [CHANNELS.importPreview]: handler(CHANNELS.importPreview, (req): Promise<ImportPreviewView> => imp.preview({ name: req.bundle.name, bytes: req.bundle.bytes })),
    [CHANNELS.importInstall]: handler(CHANNELS.importInstall, (req): Promise<ImportInstalledView | ImportSetInstalledView> => imp.install({ name: req.bundle.name, bytes: req.bundle.bytes }, req.witnesses ?? [])),
    [CHANNELS.importQrReset]: handler(CHANNELS.importQrReset, (): Promise<ImportQrProgressView> => imp.qrReset()),
    [CHANNELS.importQrFrame]: handler(CHANNELS.importQrFrame, (req): Promise<ImportQrFrameView> => imp.qrFrame(req.text)),
    [CHANNELS.importQrDecoder]: handler(CHANNELS.importQrDecoder, (): Promise<ImportQrDecoderView> => imp.qrDecoder()),
    // Main's own record that the QR scanner is open: the camera permission consults it (camera-gate.ts).
    [CHANNELS.importQrCamera]: handler(CHANNELS.importQrCamera, (req): ImportQrCameraView => d.cameraGate.set(req.open)),
    [CHANNELS.importRemoveStaleLock]: handler(CHANNELS.importRemoveStaleLock, (): Promise<ImportStaleLockView> => imp.removeStaleLock()),
    // --- rotation (#5): files rebuilt from the parsed data; PINs as for ceremonyProvidePin (bytes at once, the string let go).
    [CHANNELS.rotationOpenRoot]: handler(CHANNELS.rotationOpenRoot, (req): RotationRootView =>
      rotation.openRoot({ previousRoot: { name: req.previousRoot.name, bytes: req.previousRoot.bytes }, transcript: req.transcript ? { name: req.transcript.name, bytes: req.transcript.bytes } : undefined }, rot),
    ),
    [CHANNELS.rotationKeyFromToken]: handler(CHANNELS.rotationKeyFromToken, (req): Promise<RotationNewKeyView> => {
      const module = mod(req.module);
      const pin = req.pin !== undefined ? pinBytes(req.pin) : undefined;
      const { token, keyLabel, profile, gun } = req;
      (req as { pin?: string }).pin = undefined;
      return rotation.keyFromToken({ module, token, keyLabel, profile, gun, pin }, rot);
    }),
    [CHANNELS.rotationKeyFromFile]: handler(CHANNELS.rotationKeyFromFile, (req): RotationNewKeyView => rotation.keyFromFile({ profile: req.profile, key: { name: req.key.name, bytes: req.key.bytes } })),
    [CHANNELS.rotationBuildRequest]: handler(CHANNELS.rotationBuildRequest, (req): Promise<RotationRequestView> => rotation.buildRequestFile(req, rot)),
    [CHANNELS.rotationMerge]: handler(CHANNELS.rotationMerge, (req): RotationMergeView => rotation.merge({ request: req.request, responses: req.responses })),
    [CHANNELS.rotationWriteRoot]: handler(CHANNELS.rotationWriteRoot, (req): Promise<RotationWriteRootView> => rotation.writeRoot({ request: req.request, responses: req.responses }, rot)),
    [CHANNELS.rotationReview]: handler(CHANNELS.rotationReview, (req): RotationReviewView => rotation.review({ request: req.request })),
    [CHANNELS.rotationCheckSigner]: handler(CHANNELS.rotationCheckSigner, (req): Promise<RotationSignerCheckView> =>
      rotation.checkSigner({ request: req.request, module: mod(req.module), token: req.token, keyLabel: req.keyLabel }, rot),
    ),
    [CHANNELS.rotationSign]: handler(CHANNELS.rotationSign, (req): Promise<RotationSignedView> => {
      const module = mod(req.module);
      const pin = pinBytes(req.pin);
      const { request, token, keyLabel, confirmedSha256 } = req;
      (req as { pin?: string }).pin = undefined;
      return rotation.sign({ request, module, token, keyLabel, confirmedSha256, pin, ...(req.witnesses ? { witnesses: req.witnesses } : {}) }, rot);
    }),
    // --- certificate co-sign (#14): a Notary root certificate request; the PIN as for rotationSign.
    [CHANNELS.certificateReview]: handler(CHANNELS.certificateReview, (req): CertificateReviewView => certificates.review({ request: req.request })),
    [CHANNELS.certificateCheckSigner]: handler(CHANNELS.certificateCheckSigner, (req): Promise<CertificateSignerCheckView> =>
      certificates.checkSigner({ request: req.request, module: mod(req.module), token: req.token, keyLabel: req.keyLabel }, rot),
    ),
    [CHANNELS.certificateSign]: handler(CHANNELS.certificateSign, (req): Promise<CertificateSignedView> => {
      const module = mod(req.module);
      const pin = pinBytes(req.pin);
      const { request, token, keyLabel, confirmedSha256 } = req;
      (req as { pin?: string }).pin = undefined;
      return certificates.sign({ request, module, token, keyLabel, confirmedSha256, pin, ...(req.witnesses ? { witnesses: req.witnesses } : {}) }, rot);
    }),
    // --- shamir: a card becomes bytes at once (shamir.takeCard; a typed string cannot be wiped, only let go
    // of) and goes into the set main holds; the set is used once by verify / cosign and wiped whatever happens.
    [CHANNELS.shamirRollCall]: handler(CHANNELS.shamirRollCall, (req): ShamirRollCallView => shamir.rollCall({ card: shamir.takeCard(req.card), expected: req.expected })),
    [CHANNELS.shamirAddCard]: handler(CHANNELS.shamirAddCard, (req): ShamirSetView =>
      d.shamirSets.add({ set: req.set, card: shamir.takeCard(req.card), request: req.request ? { name: req.request.name, bytes: req.request.bytes } : undefined }),
    ),
    [CHANNELS.shamirVerify]: handler(CHANNELS.shamirVerify, (req): Promise<ShamirVerifyView> => d.shamirSets.verify({ set: req.set, expected: req.expected })),
    [CHANNELS.shamirCosign]: handler(CHANNELS.shamirCosign, (req): Promise<ShamirCosignView> =>
      d.shamirSets.cosign({ set: req.set, request: { name: req.request.name, bytes: req.request.bytes }, confirmedSha256: req.confirmedSha256, ...(req.witnesses ? { witnesses: req.witnesses } : {}) }, rot),
    ),
    [CHANNELS.shamirClearSet]: handler(CHANNELS.shamirClearSet, (req): ShamirClearView => d.shamirSets.clear(req.set)),
  };
}
