/**
 * Electron main process: lifecycle, the one window, and IPC registration. Thin on purpose: every
 * decision is a plain function in security-policy.ts / ipc-handlers.ts / ipc-register.ts, wired by
 * harden.ts, and unit-tested there (the Electron binary is not available on CI machines).
 */
import { app, BrowserWindow, dialog, ipcMain, session, type OpenDialogOptions } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CameraGate } from './camera-gate.js';
import { hardenSession, hardenWebContents, type AppLocation } from './harden.js';
import { CeremonySession, defaultCeremonyDeps } from './ceremony.js';
import { createIpcHandlers } from './ipc-handlers.js';
import { registerIpcHandlers } from './ipc-register.js';
import { printHtmlToPdf, saveDialogOptions } from './print.js';
import { releaseOnQuit } from './quit.js';
import { mainWindowOptions } from './security-policy.js';
import { defaultTokenDeps, TokenModules } from './tokens.js';
import { ModuleChoices } from './module-choices.js';
import { isPresetPath } from '../../src/signers/pkcs11/presets.js';
import { defaultImportDeps, ImportSession } from './transport-import.js';
import { defaultExportDeps, ExportSession } from './transport-export.js';

// Compiled layout: dist/electron/main/main.js, dist/electron/preload/preload.cjs, dist/renderer/.
const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', '..', 'renderer');
const indexHtml = join(rendererDir, 'index.html');
const preloadPath = join(here, '..', 'preload', 'preload.cjs');
const location: AppLocation = { appRendererUrl: pathToFileURL(indexHtml).href, rendererDir };
// PKCS#11 modules: loaded in this (main) process only, once per path, C_Finalize'd on quit (FIELD-NOTES).
const tokenModules = new TokenModules();

/** Ask, in a dialog over the app window, for one path; undefined when the person cancels. */
async function askForPath(options: OpenDialogOptions): Promise<string | undefined> {
  const owner = BrowserWindow.getAllWindows()[0];
  const r = owner ? await dialog.showOpenDialog(owner, options) : await dialog.showOpenDialog(options);
  return r.canceled ? undefined : r.filePaths[0];
}

/** Ask for a folder with this title (by default one the person may create there and then). */
function askForFolder(title: string, defaultPath?: string, properties: OpenDialogOptions['properties'] = ['openDirectory', 'createDirectory', 'promptToCreate']): Promise<string | undefined> {
  return askForPath({ title, ...(defaultPath !== undefined ? { defaultPath } : {}), properties });
}

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

  // The camera is granted only while main knows the QR scanner is open (camera-gate.ts), never by URL.
  const cameraGate = new CameraGate();

  // #13, #14, #12 for every WebContents, before it can load anything; the camera gate closes on navigation.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, location, cameraGate));

  app.on('window-all-closed', () => app.quit());

  // Before the process ends, once: the ceremony session's rehearsal tokens and staged inputs released (their
  // temporary folders deleted), then the PKCS#11 modules finalised (sessions closed, tokens logged out).
  let ceremony: CeremonySession | undefined;
  let finalized = false;
  app.on('will-quit', (event) => {
    if (finalized) return;
    event.preventDefault();
    finalized = true;
    void releaseOnQuit({ ceremony, modules: tokenModules }, (what, err) => console.error(`${what} failed:`, err instanceof Error ? err.name : 'error')).finally(() => app.quit());
  });

  app
    .whenReady()
    .then(() => {
      hardenSession(session.defaultSession, location, cameraGate);
      // A PKCS#11 library other than the presets is the file the person picks HERE; the renderer only gets a handle.
      const moduleChoices = new ModuleChoices({
        chooseModuleFile: () =>
          askForPath({
            title: 'PKCS#11 library of the token (its .so, .dylib or .dll: the app will load and run it)',
            properties: ['openFile', 'dontAddToRecent'],
            filters: [{ name: 'PKCS#11 library', extensions: ['so', 'dylib', 'dll', '*'] }],
          }),
      });
      ceremony = new CeremonySession(
        defaultCeremonyDeps({
          modules: tokenModules,
          // A library the site bindings name by path: a preset's own, or one chosen in the dialog above.
          moduleConfirmed: (path) => isPresetPath(path, process.platform) || moduleChoices.isChosenPath(path),
          // Outputs go where the administrator says, never where the renderer says.
          chooseOutputDir: (suggested) => askForFolder('Folder for the ceremony outputs (a new, empty folder; the same folder resumes a stopped ceremony)', join(app.getPath('documents'), suggested)),
          printHtml: (html, doc) =>
            printHtmlToPdf(html, doc, {
              createWindow: (options) => new BrowserWindow(options),
              chooseSavePath: async (d) => {
                const owner = BrowserWindow.getAllWindows()[0];
                // Share cards are secret (review 15b M2: opens in the run's secret/ folder); the transcript (issue #16) holds none.
                const options = saveDialogOptions(d, app.getPath('documents'));
                const r = owner ? await dialog.showSaveDialog(owner, options) : await dialog.showSaveDialog(options);
                return r.canceled ? undefined : r.filePath;
              },
            }),
        }),
      );
      registerIpcHandlers(
        ipcMain,
        createIpcHandlers({
          appInfo: () => ({ name: app.getName(), version: app.getVersion() }),
          tokens: defaultTokenDeps(tokenModules),
          moduleChoices,
          ceremony,
          cameraGate,
          // --- transcripts (#16): the folder whose transcripts are listed is the one the person picks here.
          chooseTranscriptFolder: () => askForFolder('Folder to list transcripts from (a ceremony output folder, or where requests and responses were written)', app.getPath('documents'), ['openDirectory']),
          // --- rotation (#5): requests, responses and new roots go where the person says, never where the renderer says.
          rotation: {
            chooseOutputDir: (suggested) => askForFolder('Folder to write the signing request, signature response or new root into (files are never overwritten)', join(app.getPath('documents'), suggested)),
            now: () => new Date(),
          },
          // --- import (#6): the trust directory is the one the operator picks here, never a path from the renderer.
          importSession: new ImportSession(
            defaultImportDeps({
              chooseTrustDir: (layout) =>
                layout === 'notary'
                  ? askForFolder('Docker / Notary trust directory (e.g. ~/.docker/trust)', join(app.getPath('home'), '.docker', 'trust'))
                  : askForFolder('TUF client metadata folder (it may not exist yet: choose or create it)', app.getPath('home')),
              // The key inventory installs are recorded in (issue #17): an existing one, or a new file's name.
              chooseInventory: async () => {
                const owner = BrowserWindow.getAllWindows()[0];
                const options = { title: 'Key inventory to record installed repositories in (key-inventory.json; a new name creates it)', defaultPath: join(app.getPath('documents'), 'key-inventory.json'), filters: [{ name: 'Key inventory', extensions: ['json'] }] };
                const r = owner ? await dialog.showSaveDialog(owner, options) : await dialog.showSaveDialog(options);
                return r.canceled ? undefined : r.filePath;
              },
            }),
          ),
          // --- export (#6): bundles go to the folder (USB stick) the person picks here, never a path from the renderer.
          exportSession: new ExportSession(
            defaultExportDeps({
              chooseExportDir: () => askForFolder('Folder to write the bundle into (e.g. the USB stick; files are never overwritten)', undefined, ['openDirectory', 'createDirectory']),
              // The QR player fills the monitor: the window goes full screen, not the page (its Fullscreen API stays denied).
              setFullScreen: async (on) => {
                const win = BrowserWindow.getAllWindows()[0];
                if (!win) return false;
                win.setFullScreen(on);
                return on;
              },
            }),
          ),
        }),
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
