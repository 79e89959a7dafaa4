/**
 * The packaging configuration cannot be exercised here (no Electron binary, no electron-builder), so
 * this checks the settings it must keep, and that it packages the files the build makes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const yml = readFileSync(join(ROOT, 'build', 'electron-builder.yml'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string>; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

describe('build/electron-builder.yml', () => {
  it('names the app and packages dist/ into an asar archive', () => {
    expect(yml).toMatch(/^appId: \S+$/m);
    expect(yml).toMatch(/^productName: tuf-ceremony$/m);
    expect(yml).toMatch(/^asar: true$/m);
    expect(yml).toMatch(/^files:\n {2}- dist\/\*\*$/m);
  });

  it('targets AppImage, deb, dmg and nsis', () => {
    for (const target of ['AppImage', 'deb', 'dmg', 'nsis']) expect(yml).toMatch(new RegExp(`^ {4}- ${target}$`, 'm'));
  });

  it('flips the fuses that would let anyone run the binary as Node or load code from outside the archive', () => {
    expect(yml).toMatch(/^ {2}runAsNode: false$/m);
    expect(yml).toMatch(/^ {2}enableNodeOptionsEnvironmentVariable: false$/m);
    expect(yml).toMatch(/^ {2}enableNodeCliInspectArguments: false$/m);
    expect(yml).toMatch(/^ {2}onlyLoadAppFromAsar: true$/m);
  });

  it('says packaging is not run in CI, and electron-builder is not a dependency', () => {
    expect(yml).toMatch(/not run in CI/i);
    expect(pkg.dependencies?.['electron-builder']).toBeUndefined();
    expect(pkg.devDependencies?.['electron-builder']).toBeUndefined();
  });

  it('package.json starts the compiled main process and npm start goes through the launcher', () => {
    expect(pkg.main).toBe('dist/electron/main/main.js');
    expect(pkg.scripts.start).toBe('npm run build && node scripts/start-electron.js');
  });
});
