/**
 * IPC channel names: one per preload function (electron/shared/api-types.ts `TufCeremonyApi`).
 * Main registers exactly these with ipcMain.handle; the preload invokes exactly these.
 */
export const CHANNELS = {
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
  // --- import (#6)
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
} as const;

export type ChannelKey = keyof typeof CHANNELS;
export type ChannelName = (typeof CHANNELS)[ChannelKey];
