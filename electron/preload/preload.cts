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
  CeremonyLoadRequest,
  CeremonyPinRequest,
  CeremonyRehearseRequest,
  InspectRequest,
  TokensCheckRequest,
  TokensGenerateKeyRequest,
  TokensListRequest,
  TranscriptVerifyRequest,
  TufCeremonyApi,
} from '../shared/api-types.js';
import type { CHANNELS } from '../shared/channels.js';

const CH: typeof CHANNELS = {
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
};

// Each function forwards exactly one argument (or none): extra arguments from the page are dropped.
const api: TufCeremonyApi = {
  appInfo: () => ipcRenderer.invoke(CH.appInfo),
  inspectFiles: (request: InspectRequest) => ipcRenderer.invoke(CH.inspectFiles, request),
  tokensList: (request: TokensListRequest) => ipcRenderer.invoke(CH.tokensList, request),
  tokensCheck: (request: TokensCheckRequest) => ipcRenderer.invoke(CH.tokensCheck, request),
  // The request carries the PIN: passed through as it is, never kept, logged or copied here.
  tokensGenerateKey: (request: TokensGenerateKeyRequest) => ipcRenderer.invoke(CH.tokensGenerateKey, request),
  ceremonyLoad: (request: CeremonyLoadRequest) => ipcRenderer.invoke(CH.ceremonyLoad, request),
  ceremonyRehearse: (request: CeremonyRehearseRequest) => ipcRenderer.invoke(CH.ceremonyRehearse, request),
  ceremonyStart: () => ipcRenderer.invoke(CH.ceremonyStart),
  ceremonyResume: () => ipcRenderer.invoke(CH.ceremonyResume),
  ceremonyStatus: () => ipcRenderer.invoke(CH.ceremonyStatus),
  // One PIN for one login: passed through as it is, never kept, logged or copied here.
  ceremonyProvidePin: (request: CeremonyPinRequest) => ipcRenderer.invoke(CH.ceremonyProvidePin, request),
  ceremonyCancelPin: (request: CeremonyCancelPinRequest) => ipcRenderer.invoke(CH.ceremonyCancelPin, request),
  ceremonyPrintShareCards: () => ipcRenderer.invoke(CH.ceremonyPrintShareCards),
  transcriptVerify: (request: TranscriptVerifyRequest) => ipcRenderer.invoke(CH.transcriptVerify, request),
};

contextBridge.exposeInMainWorld('tufCeremony', Object.freeze(api));
