/**
 * IPC channel names: one per preload function (electron/shared/api-types.ts `TufCeremonyApi`).
 * Main registers exactly these with ipcMain.handle; the preload invokes exactly these.
 */
export const CHANNELS = {
  appInfo: 'tufc:app-info',
  inspectFiles: 'tufc:inspect-files',
} as const;

export type ChannelKey = keyof typeof CHANNELS;
export type ChannelName = (typeof CHANNELS)[ChannelKey];
