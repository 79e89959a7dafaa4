/**
 * The desktop shell's security policy as plain functions, so unit tests check exactly what users get.
 * Deny by default (Signal-Desktop's habit, STYLE.md); numbers refer to Electron's security checklist
 * (https://www.electronjs.org/docs/latest/tutorial/security).
 *
 * The renderer is loaded from file:// (`dist/renderer/index.html`). "The app's own URL" below is that
 * file's URL; every check compares parsed URLs, never string prefixes.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserWindowConstructorOptions, HandlerDetails, Session, WebPreferences } from 'electron';

// --- window ------------------------------------------------------------------------------------------

export interface WindowPolicyOptions {
  /** Absolute path of the bundled preload (dist/electron/preload/preload.cjs). */
  preloadPath: string;
  /** DevTools only in unpackaged (development) runs. */
  devTools: boolean;
}

export function windowWebPreferences(opts: WindowPolicyOptions): WebPreferences {
  return {
    preload: opts.preloadPath,
    contextIsolation: true, // #3: the page cannot reach the preload's world
    sandbox: true, // #4: renderer runs with Chromium's OS sandbox, preload without Node
    nodeIntegration: false, // #2
    nodeIntegrationInWorker: false, // #2: QR decoding workers get no Node either
    nodeIntegrationInSubFrames: false, // #2
    webSecurity: true, // #6: same-origin policy stays on
    allowRunningInsecureContent: false, // #8
    experimentalFeatures: false, // #9
    // #10: enableBlinkFeatures deliberately absent.
    webviewTag: false, // #11/#12: no <webview>
    navigateOnDragDrop: false, // a file dropped on the window must not replace the app (#13)
    spellcheck: false, // the spellchecker downloads dictionaries from a Google CDN
    enableWebSQL: false,
    plugins: false,
    safeDialogs: true,
    devTools: opts.devTools,
  };
}

export function mainWindowOptions(opts: WindowPolicyOptions): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'tuf-ceremony',
    show: false, // shown on ready-to-show: no white flash, no half-drawn ceremony screen
    autoHideMenuBar: true,
    webPreferences: windowWebPreferences(opts),
  };
}

// --- content security policy (#7) -------------------------------------------------------------------

/**
 * Directives in the order they are written. Meta-tag safe (no frame-ancestors / report-uri / sandbox,
 * which a <meta> CSP ignores), so the renderer's index.html can carry the very same string.
 */
export const CSP_DIRECTIVES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['default-src', ["'none'"]],
  // 'wasm-unsafe-eval' allows compiling WebAssembly only (the QR decoder, zxing-wasm), not JS eval
  // (CSP Level 3); 'unsafe-eval' and 'unsafe-inline' stay out.
  ['script-src', ["'self'", "'wasm-unsafe-eval'"]],
  ['style-src', ["'self'"]],
  ['img-src', ["'self'", 'data:', 'blob:']],
  ['font-src', ["'self'"]],
  // Camera frames arrive as a MediaStream (srcObject), which media-src does not govern.
  ['media-src', ["'self'", 'blob:']],
  // The only worker is the webcam QR decoder, started from a blob: URL (vite `?worker&inline`,
  // renderer/src/import/CameraScanner.tsx): no worker script is loaded from the app's files, so 'self' is not granted.
  ['worker-src', ['blob:']],
  ['connect-src', ["'none'"]],
  ['object-src', ["'none'"]],
  ['frame-src', ["'none'"]],
  ['child-src', ["'none'"]],
  ['manifest-src', ["'none'"]],
  ['base-uri', ["'none'"]],
  ['form-action', ["'none'"]],
];

export const CONTENT_SECURITY_POLICY = CSP_DIRECTIVES.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');

/** As an HTTP header it may also forbid framing, which a meta tag cannot. */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

// --- URLs of the app itself -------------------------------------------------------------------------

function parse(url: string | undefined): URL | undefined {
  if (!url) return undefined;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * True when `url` is the app's own page: file: scheme, no host, exactly the same path, no query. The
 * fragment is ignored (it carries the screen route).
 */
export function isAppPageUrl(url: string | undefined, appRendererUrl: string): boolean {
  const u = parse(url);
  const app = parse(appRendererUrl);
  if (!u || !app || app.protocol !== 'file:') return false;
  return u.protocol === 'file:' && u.host === '' && u.pathname === app.pathname && u.search === '';
}

/** #17: only the app's own page may call IPC (not another file, not a remote page, not devtools). */
export function isAllowedSender(frameUrl: string | undefined, appRendererUrl: string): boolean {
  return isAppPageUrl(frameUrl, appRendererUrl);
}

// --- navigation and new windows (#13, #14) ----------------------------------------------------------

/**
 * #13: a navigation may only reload the app's own page; anything else (remote pages, other files, a
 * dropped file) is refused. In-page route changes (fragment) never reach will-navigate.
 */
export function isNavigationAllowed(targetUrl: string, appRendererUrl: string): boolean {
  return isAppPageUrl(targetUrl, appRendererUrl);
}

/** #14 and #15: no new windows, and no hand-off to the OS browser (shell.openExternal is never called). */
export function windowOpenDecision(_details?: Partial<HandlerDetails>): { action: 'deny' } {
  return { action: 'deny' };
}

// --- screens ----------------------------------------------------------------------------------------

/**
 * The QR import scanner's route, `index.html#/import-qr`. The camera permission does not key on it (the page
 * sets its own fragment): it follows main's CameraGate (camera-gate.ts), opened through a validated IPC.
 */
export const QR_IMPORT_SCREEN = 'import-qr';

/** The screen named by the app page's fragment route (`#/import-qr/…` → `import-qr`); undefined elsewhere. */
export function screenFromUrl(url: string | undefined, appRendererUrl: string): string | undefined {
  if (!isAppPageUrl(url, appRendererUrl)) return undefined;
  const hash = parse(url)!.hash;
  const m = /^#\/([a-z0-9-]+)(?:[/?]|$)/.exec(hash);
  return m ? m[1] : undefined;
}

// --- permissions (#5) -------------------------------------------------------------------------------

/** What a permission request or check tells us, normalised across Electron's two handlers. */
export interface PermissionQuery {
  permission: string;
  /** URL of the requesting frame (details.requestingUrl; the bare origin when that is all there is). */
  origin: string | undefined;
  details: {
    /** Request handler: the media types asked for. */
    mediaTypes?: readonly string[];
    /** Check handler: the one media type checked ('video' | 'audio' | 'unknown'). */
    mediaType?: string;
    isMainFrame?: boolean;
  };
  /**
   * Main's own state: the QR import scanner is open (camera-gate.ts), set through a validated IPC and
   * cleared by main on navigation — never read from the page's URL fragment, which the renderer controls.
   */
  qrScannerOpen: boolean;
}

type PermissionRule = 'deny' | 'camera-on-qr-screen';

/**
 * Every permission Electron can ask about, with its rule. `satisfies` makes a newly added Electron
 * permission a type error here, so it gets decided on purpose; unknown names are denied anyway.
 */
export const PERMISSION_TABLE = {
  media: 'camera-on-qr-screen', // webcam QR import (PRODUCT.md §2.5); never the microphone
  'clipboard-read': 'deny',
  'clipboard-sanitized-write': 'deny',
  'deprecated-sync-clipboard-read': 'deny',
  'display-capture': 'deny',
  fileSystem: 'deny', // files come in through <input type=file> and go out through the core
  fullscreen: 'deny',
  geolocation: 'deny',
  hid: 'deny',
  'idle-detection': 'deny',
  keyboardLock: 'deny',
  mediaKeySystem: 'deny',
  midi: 'deny',
  midiSysex: 'deny',
  notifications: 'deny',
  openExternal: 'deny', // #15
  pointerLock: 'deny',
  serial: 'deny',
  'speaker-selection': 'deny',
  'storage-access': 'deny',
  'top-level-storage-access': 'deny',
  unknown: 'deny',
  usb: 'deny',
  'window-management': 'deny',
} as const satisfies Record<ElectronPermission, PermissionRule>;

type ElectronPermission =
  | Parameters<NonNullable<Parameters<Session['setPermissionRequestHandler']>[0]>>[1]
  | Parameters<NonNullable<Parameters<Session['setPermissionCheckHandler']>[0]>>[1];

function ruleFor(permission: string): PermissionRule {
  return Object.hasOwn(PERMISSION_TABLE, permission) ? PERMISSION_TABLE[permission as ElectronPermission] : 'deny';
}

/** One decision for both Electron's permission request handler and its check handler. */
export function isPermissionAllowed(q: PermissionQuery, appRendererUrl: string): boolean {
  switch (ruleFor(q.permission)) {
    case 'camera-on-qr-screen': {
      const types = q.details.mediaTypes ?? (q.details.mediaType !== undefined ? [q.details.mediaType] : []);
      return (
        types.length > 0 &&
        types.every((t) => t === 'video') &&
        q.details.isMainFrame === true &&
        isAppPageUrl(q.origin, appRendererUrl) &&
        q.qrScannerOpen
      );
    }
    default:
      return false;
  }
}

// --- network (the app is offline: every request outside the bundle is cancelled) ---------------------

/** Schemes that never leave the process: in-memory images/blobs and the DevTools front-end. */
const IN_MEMORY_SCHEMES = new Set(['data:', 'blob:', 'devtools:']);

/**
 * session.webRequest.onBeforeRequest: allow only the renderer bundle's own files (file:// under
 * `rendererDir`) and in-memory URLs; cancel http(s), ws(s), ftp, file:// elsewhere, and anything else.
 */
export function isRequestAllowed(url: string, rendererDir: string): boolean {
  const u = parse(url);
  if (!u) return false;
  if (IN_MEMORY_SCHEMES.has(u.protocol)) return true;
  if (u.protocol !== 'file:' || u.host !== '') return false;
  let path: string;
  try {
    path = fileURLToPath(u); // refuses encoded "/" and, on Windows, UNC hosts
  } catch {
    return false;
  }
  const rel = relative(resolve(rendererDir), resolve(path));
  return rel !== '' && rel.split(sep)[0] !== '..' && !isAbsolute(rel);
}

/**
 * #7 as a response header too (where Chromium reports headers for the request): our CSP replaces any
 * the response carried, whatever its spelling.
 */
export function withCspHeader(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY_HEADER];
  return out;
}
