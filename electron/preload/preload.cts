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
import type { InspectRequest, TokensCheckRequest, TokensGenerateKeyRequest, TokensListRequest, TufCeremonyApi } from '../shared/api-types.js';
import type { CHANNELS } from '../shared/channels.js';

const CH: typeof CHANNELS = {
  appInfo: 'tufc:app-info',
  inspectFiles: 'tufc:inspect-files',
  tokensList: 'tufc:tokens-list',
  tokensCheck: 'tufc:tokens-check',
  tokensGenerateKey: 'tufc:tokens-generate-key',
};

// Each function forwards exactly one argument (or none): extra arguments from the page are dropped.
const api: TufCeremonyApi = {
  appInfo: () => ipcRenderer.invoke(CH.appInfo),
  inspectFiles: (request: InspectRequest) => ipcRenderer.invoke(CH.inspectFiles, request),
  tokensList: (request: TokensListRequest) => ipcRenderer.invoke(CH.tokensList, request),
  tokensCheck: (request: TokensCheckRequest) => ipcRenderer.invoke(CH.tokensCheck, request),
  // The request carries the PIN: passed through as it is, never kept, logged or copied here.
  tokensGenerateKey: (request: TokensGenerateKeyRequest) => ipcRenderer.invoke(CH.tokensGenerateKey, request),
};

contextBridge.exposeInMainWorld('tufCeremony', Object.freeze(api));
