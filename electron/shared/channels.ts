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
  ceremonyLoad: 'tufc:ceremony-load',
  ceremonyRehearse: 'tufc:ceremony-rehearse',
  ceremonyStart: 'tufc:ceremony-start',
  ceremonyResume: 'tufc:ceremony-resume',
  ceremonyStatus: 'tufc:ceremony-status',
  ceremonyProvidePin: 'tufc:ceremony-provide-pin',
  ceremonyCancelPin: 'tufc:ceremony-cancel-pin',
  ceremonyPrintShareCards: 'tufc:ceremony-print-share-cards',
  transcriptVerify: 'tufc:transcript-verify',
} as const;

export type ChannelKey = keyof typeof CHANNELS;
export type ChannelName = (typeof CHANNELS)[ChannelKey];
