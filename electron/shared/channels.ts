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
} as const;

export type ChannelKey = keyof typeof CHANNELS;
export type ChannelName = (typeof CHANNELS)[ChannelKey];
