/**
 * The wiring of the policy into Electron objects, driven through recording fakes: each handler harden.ts
 * installs must give the policy's answer, the right way round.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Session, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { CameraGate } from '../../../electron/main/camera-gate.js';
import { hardenSession, hardenWebContents, type AppLocation } from '../../../electron/main/harden.js';
import { CONTENT_SECURITY_POLICY_HEADER, QR_IMPORT_SCREEN } from '../../../electron/main/security-policy.js';

const RENDERER_DIR = '/opt/app/dist/renderer';
const LOC: AppLocation = { rendererDir: RENDERER_DIR, appRendererUrl: pathToFileURL(join(RENDERER_DIR, 'index.html')).href };
const QR_URL = `${LOC.appRendererUrl}#/${QR_IMPORT_SCREEN}`;

type Fn = (...args: never[]) => unknown;

class FakeEmitter {
  listeners = new Map<string, Fn[]>();
  on(event: string, fn: Fn) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
    return this;
  }
  /** Emit an event object; returns whether some listener called preventDefault. */
  emitPreventable(event: string, fields: object = {}, ...rest: unknown[]): boolean {
    let prevented = false;
    const ev = { ...fields, preventDefault: () => (prevented = true) };
    const fns = this.listeners.get(event) ?? [];
    expect(fns.length, `a listener for ${event}`).toBeGreaterThan(0);
    for (const fn of fns) (fn as (...a: unknown[]) => unknown)(ev, ...rest);
    return prevented;
  }
}

function fakeSession() {
  const s = new FakeEmitter() as FakeEmitter & Record<string, unknown>;
  const calls: Record<string, unknown> = {};
  for (const name of ['setPermissionRequestHandler', 'setPermissionCheckHandler', 'setDevicePermissionHandler', 'setSpellCheckerEnabled']) {
    s[name] = (arg: unknown) => (calls[name] = arg);
  }
  s.webRequest = {
    onBeforeRequest: (fn: unknown) => (calls.onBeforeRequest = fn),
    onHeadersReceived: (fn: unknown) => (calls.onHeadersReceived = fn),
  };
  const gate = new CameraGate();
  hardenSession(s as unknown as Session, LOC, gate);
  return { s, calls, gate };
}

const contentsAt = (url: string) => ({ getURL: () => url }) as unknown as WebContents;

describe('hardenSession', () => {
  const { s, calls, gate } = fakeSession();
  type RequestHandler = (wc: WebContents, permission: string, cb: (granted: boolean) => void, details: object) => void;
  type CheckHandler = (wc: WebContents | null, permission: string, origin: string, details: object) => boolean;

  const request = (wc: WebContents, permission: string, details: object) => {
    let granted: boolean | undefined;
    (calls.setPermissionRequestHandler as RequestHandler)(wc, permission, (g) => (granted = g), details);
    return granted;
  };
  const check = (wc: WebContents | null, permission: string, origin: string, details: object) => (calls.setPermissionCheckHandler as CheckHandler)(wc, permission, origin, details);

  it('grants a camera request only from the app page while main has recorded the QR scanner open (never by the URL fragment)', () => {
    const video = { requestingUrl: QR_URL, isMainFrame: true, mediaTypes: ['video'] };
    // The page set its own fragment to the scanner's route: not enough.
    gate.reset();
    expect(request(contentsAt(QR_URL), 'media', video)).toBe(false);
    // Main recorded the scanner open (the importQrCamera IPC): granted, on the app page only.
    gate.set(true);
    expect(request(contentsAt(QR_URL), 'media', video)).toBe(true);
    expect(request(contentsAt(`${LOC.appRendererUrl}#/inspect`), 'media', { ...video, requestingUrl: `${LOC.appRendererUrl}#/inspect` })).toBe(true);
    expect(request(contentsAt('https://evil.example/'), 'media', video)).toBe(false);
    expect(request(contentsAt(QR_URL), 'media', { ...video, requestingUrl: 'https://evil.example/' })).toBe(false);
    expect(request(contentsAt(QR_URL), 'media', { ...video, isMainFrame: false })).toBe(false);
    expect(request(contentsAt(QR_URL), 'media', { ...video, mediaTypes: ['video', 'audio'] })).toBe(false);
    expect(request(contentsAt(QR_URL), 'media', { requestingUrl: QR_URL, isMainFrame: true })).toBe(false);
    expect(request(contentsAt(QR_URL), 'notifications', { requestingUrl: QR_URL, isMainFrame: true })).toBe(false);
    expect(request(contentsAt(QR_URL), 'geolocation', { requestingUrl: QR_URL, isMainFrame: true })).toBe(false);
    // Closed again: refused.
    gate.set(false);
    expect(request(contentsAt(QR_URL), 'media', video)).toBe(false);
  });

  it('answers permission checks the same way', () => {
    gate.set(true);
    expect(check(contentsAt(QR_URL), 'media', 'file:///', { requestingUrl: QR_URL, isMainFrame: true, mediaType: 'video' })).toBe(true);
    expect(check(contentsAt(QR_URL), 'media', 'file:///', { requestingUrl: QR_URL, isMainFrame: true, mediaType: 'audio' })).toBe(false);
    expect(check(contentsAt(QR_URL), 'media', 'file:///', { isMainFrame: true, mediaType: 'video' })).toBe(false); // bare origin only
    expect(check(null, 'media', 'file:///', { requestingUrl: QR_URL, isMainFrame: true, mediaType: 'video' })).toBe(false);
    expect(check(contentsAt(QR_URL), 'midi', 'file:///', { requestingUrl: QR_URL, isMainFrame: true })).toBe(false);
    gate.reset();
    expect(check(contentsAt(QR_URL), 'media', 'file:///', { requestingUrl: QR_URL, isMainFrame: true, mediaType: 'video' })).toBe(false);
  });

  it('grants no device, disables the spellchecker and cancels downloads', () => {
    expect((calls.setDevicePermissionHandler as () => boolean)()).toBe(false);
    expect(calls.setSpellCheckerEnabled).toBe(false);
    expect(s.emitPreventable('will-download')).toBe(true);
  });

  it('cancels network requests and lets the bundle load', () => {
    const before = calls.onBeforeRequest as (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void;
    const cancel = (url: string) => {
      let r: { cancel: boolean } | undefined;
      before({ url }, (x) => (r = x));
      return r?.cancel;
    };
    expect(cancel('https://example.com/')).toBe(true);
    expect(cancel('ws://127.0.0.1:1/')).toBe(true);
    expect(cancel('file:///etc/passwd')).toBe(true);
    expect(cancel(pathToFileURL(join(RENDERER_DIR, 'assets', 'index.js')).href)).toBe(false);
    expect(cancel(LOC.appRendererUrl)).toBe(false);
  });

  it('sets the CSP header on responses', () => {
    const headers = calls.onHeadersReceived as (d: object, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void;
    let out: Record<string, string[]> | undefined;
    headers({ responseHeaders: { 'Content-Security-Policy': ['default-src *'] } }, (r) => (out = r.responseHeaders));
    expect(out).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY_HEADER] });
  });
});

describe('hardenWebContents', () => {
  const c = new FakeEmitter() as FakeEmitter & { setWindowOpenHandler?: (fn: () => unknown) => void; openHandler?: (d: object) => unknown };
  c.setWindowOpenHandler = (fn) => (c.openHandler = fn);
  const gate = new CameraGate();
  hardenWebContents(c as unknown as WebContents, LOC, gate);

  it('closes the camera gate when the page navigates or reloads, or its renderer goes away (not on in-page route changes)', () => {
    const fire = (event: string, fields: object = {}) => {
      for (const fn of c.listeners.get(event) ?? []) (fn as (e: object) => void)(fields);
    };
    gate.set(true);
    fire('did-start-navigation', { isMainFrame: true, isSameDocument: true, url: QR_URL });
    expect(gate.isOpen()).toBe(true);
    fire('did-start-navigation', { isMainFrame: false, isSameDocument: false, url: 'about:blank' });
    expect(gate.isOpen()).toBe(true);
    fire('did-start-navigation', { isMainFrame: true, isSameDocument: false, url: LOC.appRendererUrl });
    expect(gate.isOpen()).toBe(false);
    gate.set(true);
    fire('render-process-gone', {});
    expect(gate.isOpen()).toBe(false);
    gate.set(true);
    fire('destroyed', {});
    expect(gate.isOpen()).toBe(false);
  });

  it.each(['will-navigate', 'will-frame-navigate', 'will-redirect'])('%s: blocks leaving the app page, allows reloading it', (event) => {
    expect(c.emitPreventable(event, { url: 'https://evil.example/' })).toBe(true);
    expect(c.emitPreventable(event, { url: 'file:///etc/passwd' })).toBe(true);
    expect(c.emitPreventable(event, { url: LOC.appRendererUrl })).toBe(false);
  });

  it('denies window.open', () => {
    expect(c.openHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('refuses to attach any <webview>', () => {
    expect(c.emitPreventable('will-attach-webview', {}, {}, {})).toBe(true);
  });
});
