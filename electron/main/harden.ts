/**
 * Wires the policy functions of security-policy.ts into a Session and every WebContents. Kept apart
 * from main.ts so unit tests can hand it recording fakes and check the wiring (a `cancel` that is the
 * wrong way round is as bad as a wrong policy).
 */
import type { Session, WebContents } from 'electron';
import type { CameraGate } from './camera-gate.js';
import { isAppPageUrl, isNavigationAllowed, isPermissionAllowed, isRequestAllowed, windowOpenDecision, withCspHeader } from './security-policy.js';

export interface AppLocation {
  /** file:// URL of dist/renderer/index.html. */
  appRendererUrl: string;
  /** Absolute path of dist/renderer: the only files the app may load. */
  rendererDir: string;
}

export function hardenSession(ses: Session, loc: AppLocation, camera: CameraGate): void {
  // The camera: main's own state (camera-gate.ts), for the app's own page only — never the URL fragment.
  const scannerOpen = (wc: WebContents | null) => wc !== null && isAppPageUrl(wc.getURL(), loc.appRendererUrl) && camera.isOpen();

  // #5: an explicit table (PERMISSION_TABLE); request and check handlers give the same answer.
  ses.setPermissionRequestHandler((wc, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? details.mediaTypes : undefined;
    callback(
      isPermissionAllowed(
        { permission, origin: details.requestingUrl, details: { mediaTypes: mediaTypes ?? [], isMainFrame: details.isMainFrame }, qrScannerOpen: scannerOpen(wc) },
        loc.appRendererUrl,
      ),
    );
  });
  ses.setPermissionCheckHandler((wc, permission, requestingOrigin, details) =>
    isPermissionAllowed(
      {
        permission,
        origin: details.requestingUrl ?? requestingOrigin,
        details: details.mediaType !== undefined ? { mediaType: details.mediaType, isMainFrame: details.isMainFrame } : { isMainFrame: details.isMainFrame },
        qrScannerOpen: scannerOpen(wc),
      },
      loc.appRendererUrl,
    ),
  );
  // WebHID / WebUSB / Web Serial: no device is ever granted (tokens are reached through PKCS#11 in main).
  ses.setDevicePermissionHandler(() => false);

  // Offline by construction: only the bundle's own files and in-memory URLs load.
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isRequestAllowed(details.url, loc.rendererDir) }));
  ses.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withCspHeader(details.responseHeaders) }));

  // The spellchecker would fetch dictionaries; downloads would write files the core did not check.
  ses.setSpellCheckerEnabled(false);
  ses.on('will-download', (event) => event.preventDefault());
}

export function hardenWebContents(contents: WebContents, loc: AppLocation, camera?: CameraGate): void {
  // The camera gate closes whenever the page is replaced or reloaded, or its renderer is gone: only the
  // scanner of the page main validated may hold it (camera-gate.ts).
  if (camera) {
    contents.on('did-start-navigation', (event) => {
      if (event.isMainFrame && !event.isSameDocument) camera.reset();
    });
    contents.on('render-process-gone', () => camera.reset());
    contents.on('destroyed', () => camera.reset());
  }
  // #13: main frame and sub-frames alike.
  contents.on('will-navigate', (event) => {
    if (!isNavigationAllowed(event.url, loc.appRendererUrl)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isNavigationAllowed(event.url, loc.appRendererUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isNavigationAllowed(event.url, loc.appRendererUrl)) event.preventDefault();
  });
  // #14: no new windows (and so no shell.openExternal, #15).
  contents.setWindowOpenHandler(windowOpenDecision);
  // #12: no <webview>, whatever options it asks for (webviewTag is off too).
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
