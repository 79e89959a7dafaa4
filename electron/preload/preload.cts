/**
 * The preload: exposes `window.tufCeremony`, narrow typed functions, each one ipcRenderer.invoke on its
 * channel (Electron security checklist #20: never ipcRenderer itself, never a generic "invoke any
 * channel" function).
 *
 * A sandboxed preload may `require` only a few built-in modules (`electron` among them), not relative
 * files. So this is a CommonJS file (.cts → dist/electron/preload/preload.cjs) whose only runtime import
 * is `electron`: the channel names are written here, and the type checker (`typeof CHANNELS` below) and
 * test/unit/electron/preload.test.ts both hold them equal to electron/shared/channels.ts.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type {
  CeremonyCancelPinRequest,
  CertificateCheckSignerRequest,
  CertificateReviewRequest,
  CertificateSignRequest,
  CeremonyLoadRequest,
  CeremonyManagementKeyRequest,
  CeremonyPinRequest,
  CeremonyRehearseRequest,
  CeremonySlotAnswer,
  CeremonyStartRequest,
  CeremonyResumeRequest,
  CeremonyExportRepositoryRequest,
  ExportBundleRequest,
  ExportDestinationRequest,
  ExportFolderRequest,
  ExportFullScreenRequest,
  ExportQrFramesRequest,
  ExportWriteRequest,
  InspectRequest,
  TokensCheckRequest,
  TokensGenerateKeyRequest,
  TokensListRequest,
  TranscriptListRequest,
  TranscriptOpenListedRequest,
  TranscriptVerifyRequest,
  TufCeremonyApi,
  // --- rotation (#5)
  RotationBuildRequest,
  RotationCheckSignerRequest,
  RotationKeyFromFileRequest,
  RotationKeyFromTokenRequest,
  RotationMergeRequest,
  RotationOpenRootRequest,
  RotationReviewRequest,
  RotationSignRequest,
} from '../shared/api-types.js';
import type { ImportBundleRequest, ImportInventoryRequest, ImportPinRequest, ImportQrCameraRequest, ImportQrFrameRequest, ImportTrustDirRequest } from '../shared/api-types.js';
// --- shamir
import type { ShamirAddCardRequest, ShamirClearSetRequest, ShamirCosignRequest, ShamirRollCallRequest, ShamirVerifyRequest } from '../shared/api-types.js';
import type { CHANNELS } from '../shared/channels.js';

const CH: typeof CHANNELS = {
  appInfo: 'tufc:app-info',
  inspectFiles: 'tufc:inspect-files',
  tokensList: 'tufc:tokens-list',
  tokensCheck: 'tufc:tokens-check',
  tokensGenerateKey: 'tufc:tokens-generate-key',
  tokensChooseModule: 'tufc:tokens-choose-module',
  ceremonyLoad: 'tufc:ceremony-load',
  ceremonyRehearse: 'tufc:ceremony-rehearse',
  ceremonyStart: 'tufc:ceremony-start',
  ceremonyResume: 'tufc:ceremony-resume',
  ceremonyStatus: 'tufc:ceremony-status',
  ceremonyProvidePin: 'tufc:ceremony-provide-pin',
  ceremonyCancelPin: 'tufc:ceremony-cancel-pin',
  ceremonyConfirmSlot: 'tufc:ceremony-confirm-slot',
  ceremonyProvideManagementKey: 'tufc:ceremony-provide-management-key',
  ceremonyCancelManagementKey: 'tufc:ceremony-cancel-management-key',
  ceremonyPrintShareCards: 'tufc:ceremony-print-share-cards',
  transcriptVerify: 'tufc:transcript-verify',
  ceremonyExportMetadata: 'tufc:ceremony-export-metadata',
  ceremonyExportRepository: 'tufc:ceremony-export-repository',
  ceremonyPlanRows: 'tufc:ceremony-plan-rows',
  ceremonyPrintTranscript: 'tufc:ceremony-print-transcript',
  transcriptList: 'tufc:transcript-list',
  transcriptOpenListed: 'tufc:transcript-open-listed',
  // --- export (#6)
  exportPrepareFolder: 'tufc:export-prepare-folder',
  exportPrepareBundle: 'tufc:export-prepare-bundle',
  exportDestination: 'tufc:export-destination',
  exportWrite: 'tufc:export-write',
  exportQrFrames: 'tufc:export-qr-frames',
  exportFullScreen: 'tufc:export-full-screen',
  // --- import, issue #6
  importStatus: 'tufc:import-status',
  importChooseTrustDir: 'tufc:import-choose-trust-dir',
  importChooseInventory: 'tufc:import-choose-inventory',
  importSetPin: 'tufc:import-set-pin',
  importPreview: 'tufc:import-preview',
  importInstall: 'tufc:import-install',
  importQrReset: 'tufc:import-qr-reset',
  importQrFrame: 'tufc:import-qr-frame',
  importQrDecoder: 'tufc:import-qr-decoder',
  importQrCamera: 'tufc:import-qr-camera',
  importRemoveStaleLock: 'tufc:import-remove-stale-lock',
  // --- rotation (#5)
  rotationOpenRoot: 'tufc:rotation-open-root',
  rotationKeyFromToken: 'tufc:rotation-key-from-token',
  rotationKeyFromFile: 'tufc:rotation-key-from-file',
  rotationBuildRequest: 'tufc:rotation-build-request',
  rotationMerge: 'tufc:rotation-merge',
  rotationWriteRoot: 'tufc:rotation-write-root',
  rotationReview: 'tufc:rotation-review',
  rotationCheckSigner: 'tufc:rotation-check-signer',
  rotationSign: 'tufc:rotation-sign',
  // --- certificate co-sign (#14)
  certificateReview: 'tufc:certificate-review',
  certificateCheckSigner: 'tufc:certificate-check-signer',
  certificateSign: 'tufc:certificate-sign',
  // --- shamir
  shamirRollCall: 'tufc:shamir-roll-call',
  shamirAddCard: 'tufc:shamir-add-card',
  shamirVerify: 'tufc:shamir-verify',
  shamirCosign: 'tufc:shamir-cosign',
  shamirClearSet: 'tufc:shamir-clear-set',
};

// Each function forwards exactly one argument (or none): extra arguments from the page are dropped.
const api: TufCeremonyApi = {
  appInfo: () => ipcRenderer.invoke(CH.appInfo),
  inspectFiles: (request: InspectRequest) => ipcRenderer.invoke(CH.inspectFiles, request),
  tokensList: (request: TokensListRequest) => ipcRenderer.invoke(CH.tokensList, request),
  tokensCheck: (request: TokensCheckRequest) => ipcRenderer.invoke(CH.tokensCheck, request),
  // The request carries the PIN: passed through as it is, never kept, logged or copied here.
  tokensGenerateKey: (request: TokensGenerateKeyRequest) => ipcRenderer.invoke(CH.tokensGenerateKey, request),
  tokensChooseModule: () => ipcRenderer.invoke(CH.tokensChooseModule),
  ceremonyLoad: (request: CeremonyLoadRequest) => ipcRenderer.invoke(CH.ceremonyLoad, request),
  ceremonyRehearse: (request: CeremonyRehearseRequest) => ipcRenderer.invoke(CH.ceremonyRehearse, request),
  ceremonyStart: (request?: CeremonyStartRequest) => ipcRenderer.invoke(CH.ceremonyStart, request),
  ceremonyResume: (request?: CeremonyResumeRequest) => ipcRenderer.invoke(CH.ceremonyResume, request),
  ceremonyStatus: () => ipcRenderer.invoke(CH.ceremonyStatus),
  // One PIN for one login: passed through as it is, never kept, logged or copied here.
  ceremonyProvidePin: (request: CeremonyPinRequest) => ipcRenderer.invoke(CH.ceremonyProvidePin, request),
  ceremonyCancelPin: (request: CeremonyCancelPinRequest) => ipcRenderer.invoke(CH.ceremonyCancelPin, request),
  ceremonyConfirmSlot: (request: CeremonySlotAnswer) => ipcRenderer.invoke(CH.ceremonyConfirmSlot, request),
  ceremonyProvideManagementKey: (request: CeremonyManagementKeyRequest) => ipcRenderer.invoke(CH.ceremonyProvideManagementKey, request),
  ceremonyCancelManagementKey: (request: CeremonyCancelPinRequest) => ipcRenderer.invoke(CH.ceremonyCancelManagementKey, request),
  ceremonyPrintShareCards: () => ipcRenderer.invoke(CH.ceremonyPrintShareCards),
  transcriptVerify: (request: TranscriptVerifyRequest) => ipcRenderer.invoke(CH.transcriptVerify, request),
  ceremonyExportMetadata: () => ipcRenderer.invoke(CH.ceremonyExportMetadata),
  ceremonyExportRepository: (request: CeremonyExportRepositoryRequest) => ipcRenderer.invoke(CH.ceremonyExportRepository, request),
  ceremonyPlanRows: () => ipcRenderer.invoke(CH.ceremonyPlanRows),
  ceremonyPrintTranscript: () => ipcRenderer.invoke(CH.ceremonyPrintTranscript),
  transcriptList: (request: TranscriptListRequest) => ipcRenderer.invoke(CH.transcriptList, request),
  transcriptOpenListed: (request: TranscriptOpenListedRequest) => ipcRenderer.invoke(CH.transcriptOpenListed, request),
  // --- export (#6)
  exportPrepareFolder: (request: ExportFolderRequest) => ipcRenderer.invoke(CH.exportPrepareFolder, request),
  exportPrepareBundle: (request: ExportBundleRequest) => ipcRenderer.invoke(CH.exportPrepareBundle, request),
  exportDestination: (request: ExportDestinationRequest) => ipcRenderer.invoke(CH.exportDestination, request),
  exportWrite: (request: ExportWriteRequest) => ipcRenderer.invoke(CH.exportWrite, request),
  exportQrFrames: (request: ExportQrFramesRequest) => ipcRenderer.invoke(CH.exportQrFrames, request),
  exportFullScreen: (request: ExportFullScreenRequest) => ipcRenderer.invoke(CH.exportFullScreen, request),
  // --- import, issue #6
  importStatus: () => ipcRenderer.invoke(CH.importStatus),
  importChooseTrustDir: (request: ImportTrustDirRequest) => ipcRenderer.invoke(CH.importChooseTrustDir, request),
  importChooseInventory: (request: ImportInventoryRequest) => ipcRenderer.invoke(CH.importChooseInventory, request),
  importSetPin: (request: ImportPinRequest) => ipcRenderer.invoke(CH.importSetPin, request),
  importPreview: (request: ImportBundleRequest) => ipcRenderer.invoke(CH.importPreview, request),
  importInstall: (request: ImportBundleRequest) => ipcRenderer.invoke(CH.importInstall, request),
  importQrReset: () => ipcRenderer.invoke(CH.importQrReset),
  importQrFrame: (request: ImportQrFrameRequest) => ipcRenderer.invoke(CH.importQrFrame, request),
  importQrDecoder: () => ipcRenderer.invoke(CH.importQrDecoder),
  importQrCamera: (request: ImportQrCameraRequest) => ipcRenderer.invoke(CH.importQrCamera, request),
  importRemoveStaleLock: () => ipcRenderer.invoke(CH.importRemoveStaleLock),
  // --- rotation (#5)
  rotationOpenRoot: (request: RotationOpenRootRequest) => ipcRenderer.invoke(CH.rotationOpenRoot, request),
  // Notary keys carry the PIN (the certificate is signed on the token): passed through, never kept, logged or copied here.
  rotationKeyFromToken: (request: RotationKeyFromTokenRequest) => ipcRenderer.invoke(CH.rotationKeyFromToken, request),
  rotationKeyFromFile: (request: RotationKeyFromFileRequest) => ipcRenderer.invoke(CH.rotationKeyFromFile, request),
  rotationBuildRequest: (request: RotationBuildRequest) => ipcRenderer.invoke(CH.rotationBuildRequest, request),
  rotationMerge: (request: RotationMergeRequest) => ipcRenderer.invoke(CH.rotationMerge, request),
  rotationWriteRoot: (request: RotationMergeRequest) => ipcRenderer.invoke(CH.rotationWriteRoot, request),
  rotationReview: (request: RotationReviewRequest) => ipcRenderer.invoke(CH.rotationReview, request),
  rotationCheckSigner: (request: RotationCheckSignerRequest) => ipcRenderer.invoke(CH.rotationCheckSigner, request),
  // One PIN for one signing: passed through as it is, never kept, logged or copied here.
  rotationSign: (request: RotationSignRequest) => ipcRenderer.invoke(CH.rotationSign, request),
  // --- certificate co-sign (#14): one PIN for one certificate, passed through as it is, never kept, logged or copied here.
  certificateReview: (request: CertificateReviewRequest) => ipcRenderer.invoke(CH.certificateReview, request),
  certificateCheckSigner: (request: CertificateCheckSignerRequest) => ipcRenderer.invoke(CH.certificateCheckSigner, request),
  certificateSign: (request: CertificateSignRequest) => ipcRenderer.invoke(CH.certificateSign, request),
  // --- shamir: share card text passed through as it is, never kept, logged or copied here; main holds the cards.
  shamirRollCall: (request: ShamirRollCallRequest) => ipcRenderer.invoke(CH.shamirRollCall, request),
  shamirAddCard: (request: ShamirAddCardRequest) => ipcRenderer.invoke(CH.shamirAddCard, request),
  shamirVerify: (request: ShamirVerifyRequest) => ipcRenderer.invoke(CH.shamirVerify, request),
  shamirCosign: (request: ShamirCosignRequest) => ipcRenderer.invoke(CH.shamirCosign, request),
  shamirClearSet: (request: ShamirClearSetRequest) => ipcRenderer.invoke(CH.shamirClearSet, request),
};

contextBridge.exposeInMainWorld('tufCeremony', Object.freeze(api));
