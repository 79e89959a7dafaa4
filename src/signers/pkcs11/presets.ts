/**
 * Where the usual PKCS#11 modules live, per platform. A preset is a list of candidate paths; the first
 * that exists on this machine is used (the check is the caller's: src/ does not touch the file system).
 * Site bindings may name a preset or a path; the reviewed plan names neither (PRODUCT.md §1).
 */
export type ModulePreset = 'ykcs11' | 'opensc' | 'softhsm2';
export type Platform = 'linux' | 'darwin' | 'win32';

export interface PresetInfo {
  preset: ModulePreset;
  /** For people: what the module drives. */
  title: string;
  /** Package that provides it, for the "module not found" message. */
  install: Record<Platform, string>;
  paths: Record<Platform, readonly string[]>;
}

export const MODULE_PRESETS: Record<ModulePreset, PresetInfo> = {
  ykcs11: {
    preset: 'ykcs11',
    title: 'YubiKey (Yubico ykcs11, PIV)',
    install: {
      linux: 'apt-get install ykcs11 pcscd (and start pcscd)',
      darwin: 'brew install yubico-piv-tool',
      win32: 'the Yubico PIV Tool installer',
    },
    paths: {
      linux: ['/usr/lib/x86_64-linux-gnu/libykcs11.so', '/usr/lib/aarch64-linux-gnu/libykcs11.so', '/usr/lib64/libykcs11.so', '/usr/local/lib/libykcs11.so', '/usr/lib/libykcs11.so'],
      darwin: ['/opt/homebrew/lib/libykcs11.dylib', '/usr/local/lib/libykcs11.dylib'],
      win32: ['C:\\Program Files\\Yubico\\Yubico PIV Tool\\bin\\libykcs11.dll'],
    },
  },
  opensc: {
    preset: 'opensc',
    title: 'OpenSC (Nitrokey HSM, SmartCard-HSM, other smart cards)',
    install: {
      linux: 'apt-get install opensc-pkcs11 pcscd',
      darwin: 'brew install opensc',
      win32: 'the OpenSC installer',
    },
    paths: {
      linux: [
        '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
        '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
        '/usr/lib64/opensc-pkcs11.so',
        '/usr/lib/opensc-pkcs11.so',
        '/usr/local/lib/opensc-pkcs11.so',
      ],
      darwin: ['/Library/OpenSC/lib/opensc-pkcs11.so', '/opt/homebrew/lib/opensc-pkcs11.so', '/usr/local/lib/opensc-pkcs11.so'],
      win32: ['C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll'],
    },
  },
  softhsm2: {
    preset: 'softhsm2',
    title: 'SoftHSM2 (software tokens: rehearsal and tests only)',
    install: {
      linux: 'apt-get install softhsm2',
      darwin: 'brew install softhsm',
      win32: 'the SoftHSM2 for Windows installer',
    },
    paths: {
      linux: ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib64/pkcs11/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'],
      darwin: ['/opt/homebrew/lib/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'],
      win32: ['C:\\SoftHSM2\\lib\\softhsm2-x64.dll'],
    },
  },
};

export function isModulePreset(name: string): name is ModulePreset {
  return Object.prototype.hasOwnProperty.call(MODULE_PRESETS, name);
}

function platformOf(platform: string): Platform {
  return platform === 'darwin' || platform === 'win32' ? platform : 'linux';
}

/** Candidate paths for a preset on `platform` (a Node `process.platform` value), most likely first. */
export function presetPaths(preset: ModulePreset, platform: string): readonly string[] {
  return MODULE_PRESETS[preset].paths[platformOf(platform)];
}

/** True when `path` is one of a preset's own install paths on `platform`. */
export function isPresetPath(path: string, platform: string): boolean {
  return (Object.keys(MODULE_PRESETS) as ModulePreset[]).some((preset) => presetPaths(preset, platform).includes(path));
}

/**
 * The module path for a preset: the first candidate `exists` accepts, else the first candidate (so the
 * load fails with TOKEN_MODULE_NOT_FOUND naming it and how to install it).
 */
export function resolvePreset(preset: ModulePreset, platform: string, exists: (path: string) => boolean): string {
  const paths = presetPaths(preset, platform);
  return paths.find((p) => exists(p)) ?? paths[0]!;
}

export function installHint(preset: ModulePreset, platform: string): string {
  return MODULE_PRESETS[preset].install[platformOf(platform)];
}
