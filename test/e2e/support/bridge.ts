/**
 * The test-only stand-in for the preload: gives the page a `window.tufCeremony` with the same functions
 * as electron/preload, each sending its payload to the loopback server (server.ts), which runs the
 * real IPC handlers.
 *
 * Why the page does not fetch() the server itself: the renderer's CSP is `default-src 'none'`, so
 * connect-src is 'none' and the page can reach no URL at all — the same policy users get, and the tests
 * must not weaken it. So the page hands the encoded request to a Playwright binding (outside the page,
 * as the preload is outside the renderer's world), and the binding POSTs it to the server. Bytes cross
 * as tagged base64 JSON (codec.ts) in both directions, so nothing but data crosses, as with real IPC.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { CHANNELS, type ChannelKey } from '../../../electron/shared/channels.js';
import { BRIDGE_PREFIX, type BridgeServer } from './server.js';

const BINDING = '__tufcTestBridge';

/**
 * How many arguments each preload function forwards (electron/preload/preload.cts): exactly one or none,
 * extra arguments from the page dropped. Typed by channel key, so a new channel must be added here.
 */
const ARITY: Record<ChannelKey, 0 | 1> = {
  appInfo: 0,
  inspectFiles: 1,
  tokensList: 1,
  tokensCheck: 1,
  tokensGenerateKey: 1,
  tokensChooseModule: 0,
  ceremonyLoad: 1,
  ceremonyRehearse: 1,
  ceremonyStart: 1,
  ceremonyResume: 1,
  ceremonyStatus: 0,
  ceremonyProvidePin: 1,
  ceremonyCancelPin: 1,
  ceremonyConfirmSlot: 1,
  ceremonyProvideManagementKey: 1,
  ceremonyCancelManagementKey: 1,
  ceremonyPrintShareCards: 0,
  transcriptVerify: 1,
  ceremonyExportMetadata: 0,
  ceremonyExportRepository: 1,
  ceremonyPlanRows: 0,
  ceremonyPrintTranscript: 0,
  transcriptList: 1,
  transcriptOpenListed: 1,
  // --- export (#6)
  exportPrepareFolder: 1,
  exportPrepareBundle: 1,
  exportDestination: 1,
  exportWrite: 1,
  exportQrFrames: 1,
  exportFullScreen: 1,
  // --- import (#6)
  importStatus: 0,
  importChooseTrustDir: 1,
  importChooseInventory: 1,
  importSetPin: 1,
  importPreview: 1,
  importInstall: 1,
  importQrReset: 0,
  importQrFrame: 1,
  importQrDecoder: 0,
  importQrCamera: 1,
  importRemoveStaleLock: 0,
  // --- rotation (#5)
  rotationOpenRoot: 1,
  rotationKeyFromToken: 1,
  rotationKeyFromFile: 1,
  rotationBuildRequest: 1,
  rotationMerge: 1,
  rotationWriteRoot: 1,
  rotationReview: 1,
  rotationCheckSigner: 1,
  rotationSign: 1,
  // --- certificate co-sign (#14)
  certificateReview: 1,
  certificateCheckSigner: 1,
  certificateSign: 1,
  // --- shamir
  shamirRollCall: 1,
  shamirAddCard: 1,
  shamirVerify: 1,
  shamirCosign: 1,
  shamirClearSet: 1,
};

/**
 * Runs in the page before any of its scripts. Plain JavaScript in a string: an init script cannot
 * import, and a string is immune to how the test runner transforms functions.
 */
function initScript(): string {
  const functions = (Object.keys(CHANNELS) as ChannelKey[]).map((key) => ({ name: key, channel: CHANNELS[key], arity: ARITY[key] }));
  return `(() => {
  const FUNCTIONS = ${JSON.stringify(functions)};
  const TAG = '$bytes';
  const toBase64 = (u8) => {
    let s = '';
    for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const fromBase64 = (b64) => {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  };
  const encode = (value) => JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? { [TAG]: toBase64(v) } : v));
  const decode = (text) =>
    JSON.parse(text, (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v[TAG] === 'string' ? fromBase64(v[TAG]) : v,
    );
  const binding = window[${JSON.stringify(BINDING)}];
  // ipcRenderer.invoke(channel) with no argument sends undefined: the envelope then has no payload.
  const call = async (channel, envelope) => decode(await binding(channel, encode(envelope)));
  const api = {};
  for (const { name, channel, arity } of FUNCTIONS) {
    api[name] = arity === 0 ? () => call(channel, {}) : (arg) => call(channel, { payload: arg });
  }
  Object.defineProperty(window, 'tufCeremony', { value: Object.freeze(api), enumerable: true, configurable: false, writable: false });
})();`;
}

/** Give every page of `target` the bridge API. Call before `page.goto`. */
export async function installBridge(target: Page | BrowserContext, server: BridgeServer): Promise<void> {
  await target.exposeBinding(BINDING, async (_source, channel: unknown, body: unknown) => {
    if (typeof channel !== 'string' || typeof body !== 'string') throw new Error('bridge: bad call');
    const res = await fetch(`${server.origin}${BRIDGE_PREFIX}${encodeURIComponent(channel)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    if (!res.ok) throw new Error(`bridge: HTTP ${res.status}`);
    return await res.text();
  });
  await target.addInitScript({ content: initScript() });
}
