/**
 * Electron main process: lifecycle, the one window, and IPC registration. Thin on purpose: every
 * decision is a plain function in security-policy.ts / ipc-handlers.ts / ipc-register.ts, wired by
 * harden.ts, and unit-tested there (the Electron binary is not available on CI machines).
 */
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hardenSession, hardenWebContents, type AppLocation } from './harden.js';
import { createIpcHandlers } from './ipc-handlers.js';
import { registerIpcHandlers } from './ipc-register.js';
import { mainWindowOptions } from './security-policy.js';
import { defaultTokenDeps, TokenModules } from './tokens.js';

// Compiled layout: dist/electron/main/main.js, dist/electron/preload/preload.cjs, dist/renderer/.
const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', '..', 'renderer');
const indexHtml = join(rendererDir, 'index.html');
const preloadPath = join(here, '..', 'preload', 'preload.cjs');
const location: AppLocation = { appRendererUrl: pathToFileURL(indexHtml).href, rendererDir };
// PKCS#11 modules: loaded in this (main) process only, once per path, C_Finalize'd on quit (FIELD-NOTES).
const tokenModules = new TokenModules();

// #4: sandbox every renderer, including any created later; must run before 'ready'.
app.enableSandbox();

// One ceremony at a time: a second launch focuses the running window instead of racing it for tokens.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  // #13, #14, #12 for every WebContents, before it can load anything.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, location));

  app.on('window-all-closed', () => app.quit());

  // Finalise the PKCS#11 modules before the process ends (sessions closed, tokens logged out), once.
  let finalized = false;
  app.on('will-quit', (event) => {
    if (finalized) return;
    event.preventDefault();
    finalized = true;
    tokenModules
      .finalizeAll()
      .catch((err: unknown) => console.error('finalising PKCS#11 modules failed:', err instanceof Error ? err.name : 'error'))
      .finally(() => app.quit());
  });

  app
    .whenReady()
    .then(() => {
      hardenSession(session.defaultSession, location);
      registerIpcHandlers(
        ipcMain,
        createIpcHandlers({ appInfo: () => ({ name: app.getName(), version: app.getVersion() }), tokens: defaultTokenDeps(tokenModules) }),
        location.appRendererUrl,
      );
      createWindow();
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) createWindow();
      });
    })
    .catch((err: unknown) => {
      console.error('tuf-ceremony failed to start:', err);
      app.exit(1);
    });
}

function createWindow(): void {
  const win = new BrowserWindow(mainWindowOptions({ preloadPath, devTools: !app.isPackaged }));
  win.once('ready-to-show', () => win.show());
  win.webContents.on('render-process-gone', (_event, details) => {
    console.error(`renderer process gone: ${details.reason} (exit code ${details.exitCode})`);
  });
  win.loadFile(indexHtml).catch((err: unknown) => {
    console.error(`cannot load ${indexHtml}:`, err);
  });
}
