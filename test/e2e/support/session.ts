/**
 * One end-to-end session: the built renderer on a loopback server, the real IPC handlers behind the
 * test bridge, and Debian's chromium. Pages record every console error, page error and CSP report, so a
 * test can assert the screen ran cleanly under the production CSP.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CeremonySession, defaultCeremonyDeps, type CeremonyDeps } from '../../../electron/main/ceremony.js';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { defaultTokenDeps, TokenModules } from '../../../electron/main/tokens.js';
import { ModuleChoices } from '../../../electron/main/module-choices.js';
import { installBridge } from './bridge.js';
import { launchChromium } from './browser.js';
// --- import (#6)
import { defaultImportDeps, ImportSession, type ImportDeps } from '../../../electron/main/transport-import.js';
import { CameraGate } from '../../../electron/main/camera-gate.js';
// --- export (#6)
import { defaultExportDeps, ExportSession, type ExportDeps } from '../../../electron/main/transport-export.js';
import { ensureRendererBuilt, RENDERER_DIST, REPO_ROOT } from './build.js';
import { startBridgeServer, type BridgeServer } from './server.js';

export interface E2eSession {
  server: BridgeServer;
  browser: Browser;
  /** The root ceremony behind the bridge (as main holds one). */
  ceremony: CeremonySession;
  /** The Import session and main's camera gate behind the bridge (what the QR scanner's calls reach). */
  importSession: ImportSession;
  cameraGate: CameraGate;
  /** Documents the Root ceremony screen sent to the printer (the app prints them to PDF; the bridge keeps them here). */
  printed: string[];
  /** A fresh page on the app, bridge installed, at `#/<screen>`. */
  open(screen?: string): Promise<E2ePage>;
  close(): Promise<void>;
}

export interface E2ePage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught page errors and CSP violations seen so far. */
  errors: string[];
  /** Click the visible button that opens a file chooser, and pick `paths` in it (as a person would). */
  choose(button: string, paths: string | string[]): Promise<void>;
}

/**
 * PKCS#11 modules are loaded by the handlers in THIS process (the bridge runs here), as main does in the
 * app: a test that uses SoftHSM2 sets SOFTHSM2_CONF in process.env before the first Tokens call, and the
 * session finalises the modules it loaded when it closes.
 */
export interface SessionOptions {
  /**
   * Where the Root ceremony writes its outputs: what the app's save-directory dialog would answer (a
   * temporary folder the test owns). Without it, a ceremony cannot start (as if the dialog were cancelled).
   */
  chooseOutputDir?: CeremonyDeps['chooseOutputDir'];
  /** Test-only ceremony dependencies, e.g. the emulated YubiKeys' attestation root (`attestationTrust`), or an interruption (`fault`). */
  ceremonyDeps?: Pick<Partial<CeremonyDeps>, 'attestationTrust' | 'fault'>;
  /**
   * What main's PKCS#11 library file dialog answers ("Choose module file…"); read at each click, so a test
   * can change it between choices. Without it, the dialog is cancelled.
   */
  chooseModuleFile?: () => Promise<string | undefined>;
  // --- rotation (#5)
  /** Where the Rotation and Co-sign screens write requests, responses and new roots (the app's folder dialog). */
  rotationOutputDir?: CeremonyDeps['chooseOutputDir'];
  // --- import (#6)
  /** The trust directory the Import screen installs into (what the app's folder dialog would answer). */
  importTrustDir?: ImportDeps['chooseTrustDir'];
  /** Other import dependencies (the key inventory's file dialog, a fault in the install's swap). */
  importDeps?: Partial<ImportDeps>;
  /** A video file chromium plays as its webcam (browser.ts LaunchOptions.fakeCamera). */
  fakeCamera?: string;
  // --- export (#6)
  /** The folder the Export screen writes bundles into (what the app's folder dialog would answer). */
  exportDir?: ExportDeps['chooseExportDir'];
  /** What main does when the QR player asks for full screen (the app: BrowserWindow.setFullScreen). */
  exportFullScreen?: ExportDeps['setFullScreen'];
  // --- transcripts (#16)
  /** The folder the Transcript screen lists (what the app's folder dialog would answer). */
  transcriptDir?: () => Promise<string | undefined>;
}

export async function startSession(opts: SessionOptions = {}): Promise<E2eSession> {
  ensureRendererBuilt();
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const tokenModules = new TokenModules();
  const printed: string[] = [];
  const ceremony = new CeremonySession(
    defaultCeremonyDeps({
      modules: tokenModules,
      ...(opts.chooseOutputDir ? { chooseOutputDir: opts.chooseOutputDir } : {}),
      ...(opts.ceremonyDeps ?? {}),
      // The app prints from a hidden window to a PDF (electron/main/print.ts, unit-tested); here the document is handed back.
      printHtml: async (html) => {
        printed.push(html);
        return { html };
      },
    }),
  );
  const importSession = new ImportSession(defaultImportDeps({ ...(opts.importTrustDir ? { chooseTrustDir: opts.importTrustDir } : {}), ...(opts.importDeps ?? {}) }));
  const cameraGate = new CameraGate();
  const server = await startBridgeServer({
    root: RENDERER_DIST,
    handlers: createIpcHandlers({
      appInfo: () => ({ name: pkg.name, version: pkg.version }),
      tokens: defaultTokenDeps(tokenModules),
      moduleChoices: new ModuleChoices({ chooseModuleFile: opts.chooseModuleFile ?? (async () => undefined) }),
      ceremony,
      ...(opts.transcriptDir ? { chooseTranscriptFolder: opts.transcriptDir } : {}),
      // --- rotation (#5)
      rotation: { chooseOutputDir: opts.rotationOutputDir ?? (async () => undefined), now: () => new Date() },
      // --- import (#6)
      importSession,
      cameraGate,
      // --- export (#6)
      exportSession: new ExportSession(
        defaultExportDeps({ ...(opts.exportDir ? { chooseExportDir: opts.exportDir } : {}), ...(opts.exportFullScreen ? { setFullScreen: opts.exportFullScreen } : {}) }),
      ),
    }),
  });
  let browser: Browser;
  try {
    browser = await launchChromium(opts.fakeCamera ? { fakeCamera: opts.fakeCamera } : {});
  } catch (err) {
    await server.close();
    throw err;
  }
  const contexts: BrowserContext[] = [];
  return {
    server,
    browser,
    ceremony,
    importSession,
    cameraGate,
    printed,
    async open(screen = 'inspect') {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: 'dark' });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      await installBridge(context, server);
      await context.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
      });
      await page.goto(`${server.origin}/index.html#/${screen}`);
      return {
        page,
        context,
        errors,
        async choose(button, paths) {
          const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: button, exact: true }).click()]);
          await chooser.setFiles(paths);
        },
      };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await server.close();
      // A test that failed with a PIN dialog open: stop the ceremony's login (a first cancel asks again,
      // the second stops the step), else `settled` would wait for a PIN forever.
      // A YubiKey slot proposal or management key dialog left open is declined the same way.
      for (let i = 0; i < 20; i++) {
        const st = ceremony.status();
        const id = st.pinRequest?.id;
        try {
          if (id) ceremony.cancelPin(id);
          else if (st.slotRequest) ceremony.confirmSlot(st.slotRequest.id, false);
          else if (st.managementKeyRequest) ceremony.cancelManagementKey(st.managementKeyRequest.id);
          else if (!st.phase.startsWith('running')) break;
        } catch {
          // answered meanwhile
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await ceremony.settled().catch(() => undefined);
      await ceremony.reset().catch(() => undefined);
      await tokenModules.finalizeAll();
    },
  };
}
