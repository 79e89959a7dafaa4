#!/usr/bin/env node
// `npm start` (after `npm run build`): launch the desktop app with the project's Electron.
//
// The Electron binary is not fetched by `npm ci` here (package.json "allowScripts" keeps electron's
// install script off, so CI and offline machines install cleanly). If it is missing we try its own
// installer once, with a time limit; if that fails we say so and exit 1, never hang. The same core runs
// headless through the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(appDir, 'package.json'));
const DEFAULT_INSTALL_TIMEOUT_S = 300;

function fail(lines) {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}

/** Path of the Electron executable, or undefined when the package or its binary is missing. */
function electronPath() {
  try {
    // node_modules/electron/index.js exports the executable's path, and throws when path.txt is absent.
    delete require.cache[require.resolve('electron')];
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function tryInstall() {
  let installJs;
  try {
    installJs = require.resolve('electron/install.js');
  } catch {
    return false;
  }
  const timeoutS = Number(process.env.TUF_CEREMONY_ELECTRON_INSTALL_TIMEOUT) || DEFAULT_INSTALL_TIMEOUT_S;
  process.stderr.write(`The Electron binary is not installed; trying to download it (giving up after ${timeoutS} s)…\n`);
  const r = spawnSync(process.execPath, [installJs], { cwd: appDir, stdio: 'inherit', timeout: timeoutS * 1000, killSignal: 'SIGKILL' });
  return r.status === 0;
}

if (!existsSync(join(appDir, 'dist', 'electron', 'main', 'main.js')) || !existsSync(join(appDir, 'dist', 'electron', 'preload', 'preload.cjs'))) {
  fail(['error: the app is not built: run `npm run build` (or just `npm start`) in the project folder first']);
}

let electron = electronPath();
if (!electron && tryInstall()) electron = electronPath();
if (!electron) {
  fail([
    'error: the desktop app cannot start: the Electron binary is not installed and could not be downloaded',
    '(this machine is offline, or the download was refused or skipped).',
    'To get it, run `node node_modules/electron/install.js` where the network allows, or copy an unpacked',
    'Electron into node_modules/electron/dist (see ELECTRON_OVERRIDE_DIST_PATH).',
    'The same core runs headless meanwhile: `npx tuf-ceremony --help` (verify, inspect).',
  ]);
}

// ELECTRON_RUN_AS_NODE would turn the app into a plain Node process: never pass it on.
const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(electron, [appDir], { cwd: appDir, stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (err) => fail([`error: cannot launch Electron at ${electron}: ${err.message}`]));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
