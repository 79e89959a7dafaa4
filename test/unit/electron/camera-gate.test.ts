/**
 * The camera permission is bound to state main controls (issue #12 point 14): the `importQrCamera`
 * channel, behind the sender guard and a strict schema, opens and closes main's CameraGate; the
 * permission handlers (harden.test.ts) consult the gate, not the page's URL fragment. Here: the channel
 * end to end through createIpcHandlers and guardHandler, and the gate with the real policy function.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CameraGate } from '../../../electron/main/camera-gate.js';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { guardHandler } from '../../../electron/main/ipc-register.js';
import { isPermissionAllowed, QR_IMPORT_SCREEN } from '../../../electron/main/security-policy.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { call } from '../../support/ipc.js';

const APP_URL = pathToFileURL(join('/opt/app/dist/renderer', 'index.html')).href;

describe('importQrCamera: main records whether the QR scanner is open', () => {
  it('opens and closes the gate; the camera follows the gate, not the URL', async () => {
    const gate = new CameraGate();
    const h = createIpcHandlers({ cameraGate: gate });
    const camera = (origin: string) => isPermissionAllowed({ permission: 'media', origin, details: { mediaTypes: ['video'], isMainFrame: true }, qrScannerOpen: gate.isOpen() }, APP_URL);
    const qrUrl = `${APP_URL}#/${QR_IMPORT_SCREEN}`;
    expect(camera(qrUrl)).toBe(false);
    expect(await call(h, CHANNELS.importQrCamera, { open: true })).toEqual({ ok: true, value: { open: true } });
    expect(gate.isOpen()).toBe(true);
    expect(camera(qrUrl)).toBe(true);
    expect(camera('https://evil.example/')).toBe(false);
    expect(await call(h, CHANNELS.importQrCamera, { open: false })).toEqual({ ok: true, value: { open: false } });
    expect(camera(qrUrl)).toBe(false);
  });

  it('validates the payload (one boolean, nothing else) and leaves the gate as it was', async () => {
    const gate = new CameraGate();
    const h = createIpcHandlers({ cameraGate: gate });
    for (const payload of [undefined, {}, { open: 'true' }, { open: 1 }, { open: true, screen: 'import-qr' }, [true]]) {
      const r = await call(h, CHANNELS.importQrCamera, payload);
      expect(r.ok, JSON.stringify(payload)).toBe(false);
      if (!r.ok) expect(r.code).toBe('IPC_INVALID');
    }
    expect(gate.isOpen()).toBe(false);
  });

  it('only the app page’s top-level frame can open it (sender guard)', async () => {
    const gate = new CameraGate();
    const h = createIpcHandlers({ cameraGate: gate });
    const guarded = guardHandler(CHANNELS.importQrCamera, h[CHANNELS.importQrCamera], APP_URL);
    const sub = await guarded({ senderFrame: { url: APP_URL, parent: {} } }, { open: true });
    const remote = await guarded({ senderFrame: { url: 'https://evil.example/', parent: null } }, { open: true });
    expect([sub.ok, remote.ok]).toEqual([false, false]);
    expect(gate.isOpen()).toBe(false);
    expect(await guarded({ senderFrame: { url: `${APP_URL}#/import`, parent: null } }, { open: true })).toEqual({ ok: true, value: { open: true } });
    expect(gate.isOpen()).toBe(true);
  });
});
