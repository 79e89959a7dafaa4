/**
 * scripts/start-electron.js (`npm start`), run for real in a throw-away app folder with fake `electron`
 * packages: it launches Electron when present, tries the installer once when not, and otherwise says
 * why and exits 1 without hanging.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function appFolder(opts: { built?: boolean; electron?: 'fake-binary' | 'missing-binary' | 'hanging-installer' | 'real-package' }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tufc-start-'));
  made.push(dir);
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, 'scripts', 'start-electron.js'), join(dir, 'scripts', 'start-electron.js'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tuf-ceremony', type: 'module', main: 'dist/electron/main/main.js' }));
  if (opts.built !== false) {
    mkdirSync(join(dir, 'dist', 'electron', 'main'), { recursive: true });
    mkdirSync(join(dir, 'dist', 'electron', 'preload'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'electron', 'main', 'main.js'), '');
    writeFileSync(join(dir, 'dist', 'electron', 'preload', 'preload.cjs'), '');
  }
  const pkg = join(dir, 'node_modules', 'electron');
  mkdirSync(join(dir, 'node_modules'));
  if (opts.electron === 'real-package') {
    symlinkSync(join(ROOT, 'node_modules', 'electron'), pkg, 'dir');
    return dir;
  }
  mkdirSync(pkg);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'electron', main: 'index.js' }));
  if (opts.electron === 'fake-binary') {
    writeFileSync(join(pkg, 'index.js'), "module.exports = require('path').join(__dirname, 'electron-bin');\n");
    writeFileSync(join(pkg, 'electron-bin'), '#!/bin/sh\necho "ARGS:$*"\necho "RUN_AS_NODE:${ELECTRON_RUN_AS_NODE-unset}"\nexit 7\n');
    chmodSync(join(pkg, 'electron-bin'), 0o755);
  } else {
    writeFileSync(join(pkg, 'index.js'), "throw new Error('Electron failed to install correctly');\n");
    writeFileSync(join(pkg, 'install.js'), opts.electron === 'hanging-installer' ? 'setInterval(() => {}, 1000);\n' : 'process.exit(1);\n');
  }
  return dir;
}

function start(dir: string, env: Record<string, string> = {}) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'start-electron.js')], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { ...r, ms: Date.now() - t0 };
}

describe.skipIf(process.platform === 'win32')('npm start (scripts/start-electron.js)', () => {
  it('launches Electron on the app folder, passes its exit status, and never passes ELECTRON_RUN_AS_NODE', () => {
    const dir = appFolder({ electron: 'fake-binary' });
    const r = start(dir, { ELECTRON_RUN_AS_NODE: '1' });
    expect(r.status).toBe(7);
    expect(r.stdout).toContain(`ARGS:${join(dir, 'scripts', '..')}`);
    expect(r.stdout).toContain('RUN_AS_NODE:unset');
  });

  it('says the app is not built, and exits 1', () => {
    const r = start(appFolder({ built: false, electron: 'fake-binary' }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npm run build');
  });

  it('without the binary and a failing installer: explains, points at the CLI, exits 1', () => {
    const r = start(appFolder({ electron: 'missing-binary' }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot start');
    expect(r.stderr).toContain('npx tuf-ceremony --help');
  });

  it('gives up on an installer that hangs, after the time limit', () => {
    const r = start(appFolder({ electron: 'hanging-installer' }), { TUF_CEREMONY_ELECTRON_INSTALL_TIMEOUT: '1' });
    expect(r.status).toBe(1);
    expect(r.ms).toBeLessThan(20_000);
    expect(r.stderr).toContain('giving up after 1 s');
    expect(r.stderr).toContain('npx tuf-ceremony --help');
  });

  // Skipped where the real binary is installed: it would really start Electron.
  it.skipIf(existsSync(join(ROOT, 'node_modules', 'electron', 'path.txt')))("with the project's real electron package and downloads skipped: exits 1 with the offline message", () => {
    // ELECTRON_SKIP_BINARY_DOWNLOAD makes electron's installer a no-op: no network is touched.
    const r = start(appFolder({ electron: 'real-package' }), { ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ELECTRON_OVERRIDE_DIST_PATH: '' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npx tuf-ceremony --help');
  });
});
