import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  CONTENT_SECURITY_POLICY_HEADER,
  isAllowedSender,
  isAppPageUrl,
  isNavigationAllowed,
  isPermissionAllowed,
  isRequestAllowed,
  mainWindowOptions,
  PERMISSION_TABLE,
  QR_IMPORT_SCREEN,
  screenFromUrl,
  windowOpenDecision,
  windowWebPreferences,
  withCspHeader,
  type PermissionQuery,
} from '../../../electron/main/security-policy.js';

const RENDERER_DIR = '/opt/tuf-ceremony/resources/app.asar/dist/renderer';
const APP_URL = pathToFileURL(join(RENDERER_DIR, 'index.html')).href;
const QR_URL = `${APP_URL}#/${QR_IMPORT_SCREEN}`;

describe('window options', () => {
  const prefs = windowWebPreferences({ preloadPath: '/app/dist/electron/preload/preload.cjs', devTools: false });

  it('sets every security flag explicitly (Electron security checklist)', () => {
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      enableWebSQL: false,
      plugins: false,
      safeDialogs: true,
      devTools: false,
      preload: '/app/dist/electron/preload/preload.cjs',
    });
  });

  it('enables no Blink features, no extra arguments, no other session or partition', () => {
    for (const key of ['enableBlinkFeatures', 'additionalArguments', 'session', 'partition', 'offscreen'] as const) {
      expect(prefs[key], key).toBeUndefined();
    }
  });

  it('DevTools follow the caller (on only for unpackaged runs)', () => {
    expect(windowWebPreferences({ preloadPath: '/p', devTools: true }).devTools).toBe(true);
  });

  it('the main window uses exactly those preferences and starts hidden', () => {
    const opts = mainWindowOptions({ preloadPath: '/p', devTools: false });
    expect(opts.webPreferences).toEqual(windowWebPreferences({ preloadPath: '/p', devTools: false }));
    expect(opts.show).toBe(false);
  });
});

/** Directive name → sources, from a policy string. */
function directives(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name, sources);
  }
  return out;
}

describe('content security policy', () => {
  const d = directives(CONTENT_SECURITY_POLICY);
  const tokens = CONTENT_SECURITY_POLICY.split(/[\s;]+/);

  it("starts from default-src 'none' and refuses every connection", () => {
    expect(CONTENT_SECURITY_POLICY.startsWith("default-src 'none'")).toBe(true);
    expect(d.get('default-src')).toEqual(["'none'"]);
    expect(d.get('connect-src')).toEqual(["'none'"]);
  });

  it("has no 'unsafe-inline', no 'unsafe-eval', no 'unsafe-hashes', no wildcard, no remote scheme", () => {
    for (const bad of ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", '*', 'http:', 'https:', 'ws:', 'wss:', 'file:', 'filesystem:']) {
      expect(tokens, bad).not.toContain(bad);
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:\/\//);
  });

  it("scripts come only from the bundle (WebAssembly compilation allowed for the QR decoder)", () => {
    expect(d.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(d.get('style-src')).toEqual(["'self'"]);
    expect(d.get('img-src')).toEqual(["'self'", 'data:', 'blob:']);
    expect(d.get('worker-src')).toEqual(['blob:']);
  });

  it('closes objects, frames, base and form targets', () => {
    for (const name of ['object-src', 'frame-src', 'child-src', 'base-uri', 'form-action']) expect(d.get(name), name).toEqual(["'none'"]);
  });

  it('is meta-tag safe; the header form adds frame-ancestors', () => {
    for (const name of ['frame-ancestors', 'report-uri', 'sandbox']) expect(d.has(name), name).toBe(false);
    expect(CONTENT_SECURITY_POLICY_HEADER).toBe(`${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`);
  });

  it('replaces any CSP header a response carried, whatever its case', () => {
    const h = withCspHeader({ 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] });
    expect(h).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY_HEADER] });
    expect(withCspHeader(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY_HEADER] });
  });

  it("the renderer's own <meta> policy is exactly this policy (one source: base-uri, form-action and all)", () => {
    // A <meta> CSP that is weaker than main's would be the one in force wherever the header is not (issue #12).
    const html = readFileSync(join(import.meta.dirname, '..', '..', '..', 'renderer', 'index.html'), 'utf8');
    const metas = [...html.matchAll(/http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)];
    expect(metas, 'renderer/index.html carries one CSP meta tag').toHaveLength(1);
    expect(metas[0]![1]).toBe(CONTENT_SECURITY_POLICY);
    const meta = directives(metas[0]![1]!);
    expect(meta.get('base-uri')).toEqual(["'none'"]);
    expect(meta.get('form-action')).toEqual(["'none'"]);
    expect(meta.get('object-src')).toEqual(["'none'"]);
  });

});

describe('app page, sender and navigation', () => {
  it('recognises only the app page itself (fragment routes allowed)', () => {
    expect(isAppPageUrl(APP_URL, APP_URL)).toBe(true);
    expect(isAppPageUrl(`${APP_URL}#/inspect`, APP_URL)).toBe(true);
  });

  const strangers: [string, string | undefined][] = [
    ['no frame URL', undefined],
    ['empty URL', ''],
    ['not a URL', 'index.html'],
    ['remote page', 'https://evil.example/index.html'],
    ['loopback page', 'http://127.0.0.1:8080/index.html'],
    ['another file in the bundle', pathToFileURL(join(RENDERER_DIR, 'other.html')).href],
    ['a file elsewhere', 'file:///tmp/index.html'],
    ['a sibling directory sharing the prefix', pathToFileURL(`${RENDERER_DIR}-evil/index.html`).href],
    ['a query string', `${APP_URL}?x=1`],
    ['a file URL with a host', APP_URL.replace('file://', 'file://evil.example')],
    ['devtools', 'devtools://devtools/bundled/devtools_app.html'],
    ['about:blank', 'about:blank'],
    ['data URL', 'data:text/html,<script>1</script>'],
    ['chrome-extension', 'chrome-extension://abc/index.html'],
  ];

  it.each(strangers)('refuses IPC from %s', (_what, url) => {
    expect(isAllowedSender(url, APP_URL)).toBe(false);
  });

  it('accepts IPC from the app page on any screen', () => {
    expect(isAllowedSender(APP_URL, APP_URL)).toBe(true);
    expect(isAllowedSender(QR_URL, APP_URL)).toBe(true);
  });

  it.each(strangers.filter(([, url]) => url !== undefined) as [string, string][])('refuses navigation to %s', (_what, url) => {
    expect(isNavigationAllowed(url, APP_URL)).toBe(false);
  });

  it('allows only reloading the app page', () => {
    expect(isNavigationAllowed(APP_URL, APP_URL)).toBe(true);
  });

  it('denies every new window, whatever it asks for', () => {
    expect(windowOpenDecision()).toEqual({ action: 'deny' });
    expect(windowOpenDecision({ url: APP_URL, disposition: 'new-window' })).toEqual({ action: 'deny' });
    expect(windowOpenDecision({ url: 'https://example.com', disposition: 'foreground-tab' })).toEqual({ action: 'deny' });
  });
});

describe('screens', () => {
  it('reads the screen from the app page fragment route', () => {
    expect(screenFromUrl(QR_URL, APP_URL)).toBe(QR_IMPORT_SCREEN);
    expect(screenFromUrl(`${QR_URL}/step-2`, APP_URL)).toBe(QR_IMPORT_SCREEN);
    expect(screenFromUrl(`${APP_URL}#/inspect`, APP_URL)).toBe('inspect');
  });

  it('has no screen off the app page or without a route', () => {
    expect(screenFromUrl(APP_URL, APP_URL)).toBeUndefined();
    expect(screenFromUrl(`${APP_URL}#${QR_IMPORT_SCREEN}`, APP_URL)).toBeUndefined();
    expect(screenFromUrl(`${APP_URL}#/${QR_IMPORT_SCREEN}x`, APP_URL)).toBe(`${QR_IMPORT_SCREEN}x`);
    expect(screenFromUrl(`file:///tmp/index.html#/${QR_IMPORT_SCREEN}`, APP_URL)).toBeUndefined();
    expect(screenFromUrl(`https://evil.example/#/${QR_IMPORT_SCREEN}`, APP_URL)).toBeUndefined();
    expect(screenFromUrl(undefined, APP_URL)).toBeUndefined();
  });
});

describe('permissions', () => {
  const camera: PermissionQuery = { permission: 'media', origin: QR_URL, details: { mediaTypes: ['video'], isMainFrame: true }, qrScannerOpen: true };
  const allowed = (q: Partial<PermissionQuery>) => isPermissionAllowed({ ...camera, ...q }, APP_URL);

  it('grants the camera to the app page on the QR import screen', () => {
    expect(allowed({})).toBe(true);
    // The check handler's form: one media type.
    expect(allowed({ details: { mediaType: 'video', isMainFrame: true } })).toBe(true);
  });

  it('refuses the camera while main has not recorded the QR scanner open, whatever the page URL says', () => {
    expect(allowed({ qrScannerOpen: false })).toBe(false);
    // The fragment is the renderer's to set: it grants nothing by itself…
    expect(allowed({ qrScannerOpen: false, origin: QR_URL })).toBe(false);
    // …and does not have to be there once main knows the scanner is open.
    expect(allowed({ qrScannerOpen: true, origin: `${APP_URL}#/inspect` })).toBe(true);
  });

  it('refuses the microphone, and camera + microphone together', () => {
    expect(allowed({ details: { mediaTypes: ['audio'], isMainFrame: true } })).toBe(false);
    expect(allowed({ details: { mediaTypes: ['video', 'audio'], isMainFrame: true } })).toBe(false);
    expect(allowed({ details: { mediaType: 'audio', isMainFrame: true } })).toBe(false);
    expect(allowed({ details: { mediaType: 'unknown', isMainFrame: true } })).toBe(false);
    expect(allowed({ details: { mediaTypes: [], isMainFrame: true } })).toBe(false);
    expect(allowed({ details: { isMainFrame: true } })).toBe(false);
  });

  it('refuses the camera to any other origin or to a sub-frame', () => {
    for (const origin of [undefined, 'file:///', 'https://evil.example/', 'http://127.0.0.1:1234/index.html', 'file:///tmp/index.html']) {
      expect(allowed({ origin }), String(origin)).toBe(false);
    }
    expect(allowed({ details: { mediaTypes: ['video'], isMainFrame: false } })).toBe(false);
    expect(allowed({ details: { mediaTypes: ['video'] } })).toBe(false);
  });

  const everythingElse = Object.keys(PERMISSION_TABLE).filter((p) => p !== 'media');

  it.each(everythingElse)('denies %s, even on the QR screen from the app page', (permission) => {
    expect(allowed({ permission })).toBe(false);
  });

  it.each(['camera', 'microphone', 'bluetooth', 'payment-handler', 'constructor', '__proto__', 'toString', ''])('denies the unknown permission %j', (permission) => {
    expect(allowed({ permission })).toBe(false);
  });

  it('lists notifications, geolocation, midi and the rest as deny in the table', () => {
    for (const p of ['notifications', 'geolocation', 'midi', 'midiSysex', 'openExternal', 'clipboard-read', 'hid', 'serial', 'usb', 'fileSystem']) {
      expect(PERMISSION_TABLE[p as keyof typeof PERMISSION_TABLE], p).toBe('deny');
    }
  });
});

describe('network requests', () => {
  const file = (p: string) => pathToFileURL(join(RENDERER_DIR, p)).href;

  it('allows the renderer bundle and in-memory URLs', () => {
    for (const url of [file('index.html'), file('assets/index-abc.js'), file('assets/deep/zxing.wasm'), 'data:image/png;base64,AAAA', 'blob:file:///1234-5678', 'devtools://devtools/bundled/devtools_app.html']) {
      expect(isRequestAllowed(url, RENDERER_DIR), url).toBe(true);
    }
  });

  const refused = [
    'http://example.com/',
    'https://example.com/x.js',
    'http://127.0.0.1:9999/',
    'ws://127.0.0.1:1/',
    'wss://example.com/',
    'ftp://example.com/f',
    'chrome-extension://abc/x.js',
    'chrome://gpu',
    'about:blank',
    'file:///etc/passwd',
    pathToFileURL(`${RENDERER_DIR}-evil/x.js`).href,
    pathToFileURL(join(RENDERER_DIR, '..', 'src', 'cli', 'main.js')).href,
    `${pathToFileURL(RENDERER_DIR).href}/../../../../etc/passwd`,
    `${pathToFileURL(RENDERER_DIR).href}/%2e%2e/%2e%2e/etc/passwd`,
    `${pathToFileURL(RENDERER_DIR).href}/..%2f..%2fetc%2fpasswd`,
    pathToFileURL(RENDERER_DIR).href, // the directory itself is not a file of the bundle
    APP_URL.replace('file://', 'file://server'),
    'not a url',
    '',
  ];

  it.each(refused)('cancels %j', (url) => {
    expect(isRequestAllowed(url, RENDERER_DIR)).toBe(false);
  });
});
