/**
 * What differs per PKCS#11 module, in one place (measured on Debian 12, FIELD-NOTES "PKCS#11 modules other
 * than SoftHSM2"): which family a module is, which tokens are software models, how the module is quieted,
 * what to do when it will not load, and how a locked PIN is recovered. Everything else in this folder is
 * written against the standard and asks here when a module is known to differ.
 */
import type { ModuleInfo } from './api.js';

export type ModuleFamily = 'softhsm2' | 'tpm2-pkcs11' | 'nss-softokn' | 'opencryptoki' | 'ykcs11' | 'opensc' | 'other';

/** The family of a module from its file name, before it is loaded (for load-failure hints). */
export function familyOfPath(path: string): ModuleFamily {
  const base = (path.split(/[\\/]/).pop() ?? '').toLowerCase();
  if (base.includes('softhsm')) return 'softhsm2';
  if (base.includes('tpm2_pkcs11') || base.includes('tpm2-pkcs11')) return 'tpm2-pkcs11';
  if (base.includes('softokn')) return 'nss-softokn';
  if (base.includes('opencryptoki')) return 'opencryptoki';
  if (base.includes('ykcs11')) return 'ykcs11';
  if (base.includes('opensc')) return 'opensc';
  return 'other';
}

/** The family of a loaded module, from C_GetInfo (manufacturer and description), else its file name. */
export function familyOf(info: Pick<ModuleInfo, 'path' | 'manufacturer' | 'description'>): ModuleFamily {
  const m = info.manufacturer.toLowerCase();
  const d = info.description.toLowerCase();
  if (m.includes('softhsm')) return 'softhsm2';
  if (m.includes('tpm2-software') || d.includes('tpm2.0 cryptoki')) return 'tpm2-pkcs11';
  if (m.includes('mozilla') && d.includes('nss')) return 'nss-softokn';
  // opencryptoki 3.8 says only manufacturer "IBM", description "Meta PKCS11 LIBRARY" (measured, Debian 12).
  if (d.includes('opencryptoki') || (m.trim() === 'ibm' && d.includes('meta pkcs11'))) return 'opencryptoki';
  if (m.includes('yubico')) return 'ykcs11';
  if (m.includes('opensc')) return 'opensc';
  return familyOfPath(info.path);
}

/**
 * The software model a token is, or undefined when nothing says it is one. A software token keeps its keys
 * in files on this computer: fine for a rehearsal, never for a real root key (PRODUCT.md §2.8).
 * - SoftHSM2: every token;
 * - tpm2-pkcs11 over swtpm: the TPM's manufacturer is "IBM" and its model "SW   TPM" (libtpms' vendor
 *   strings); a hardware TPM reports its maker (e.g. "INTC", "IFX", "STM", "NTC") and its own model;
 * - NSS softokn: every slot (its key database is a file);
 * - opencryptoki: the soft token, model "IBM SoftTok" (manufacturer "IBM Corp.", measured on Debian 12's
 *   3.8; opencryptoki usr/lib/soft_stdll sets MODEL "IBM SoftTok"); its other tokens (CCA, EP11, ICA,
 *   TPM) are hardware. The model is distinctive enough to be taken whatever the module family says.
 */
export function softwareModelOf(family: ModuleFamily, token: { manufacturer: string; model: string }): string | undefined {
  const model = token.model.trim();
  if (family === 'softhsm2' || /softhsm/i.test(model) || /softhsm/i.test(token.manufacturer)) return 'SoftHSM2';
  if (/^SW\s*TPM$/i.test(model)) return 'swtpm (software TPM)';
  if (family === 'nss-softokn') return 'NSS softokn';
  if (/\bsoft\s*tok\b/i.test(model) || (family === 'opencryptoki' && /^soft/i.test(model))) return 'opencryptoki soft token';
  return undefined;
}

/**
 * Environment variables that quiet a module's own logging, set only when the user has not set them (a
 * module's stderr lines in the middle of the CLI's output read like our messages, FIELD-NOTES). The TSS
 * reads TSS2_LOG when the library loads, so this must run before the first load.
 */
export const QUIET_LOG_ENV: Readonly<Record<string, string>> = {
  TSS2_LOG: 'all+NONE',
  TPM2_PKCS11_LOG_LEVEL: '0',
};

export function quietModuleLogs(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(QUIET_LOG_ENV)) {
    if (env[name] === undefined) env[name] = value;
  }
}

/** What to check when a module fails to start (C_Initialize failed), per family. */
export function startFailureHint(family: ModuleFamily, hasParameters: boolean): string {
  switch (family) {
    case 'softhsm2':
      return 'check that SOFTHSM2_CONF names a readable configuration file whose tokendir exists';
    case 'tpm2-pkcs11':
      return 'check that the TPM (or tpm2-abrmd) is reachable as TPM2_PKCS11_TCTI says, and that TPM2_PKCS11_STORE names the store made by tpm2_ptool init';
    case 'nss-softokn':
      return hasParameters
        ? "check the module parameters: configdir='sql:DIR' must name an NSS database folder (certutil -N -d sql:DIR makes one)"
        : "NSS softokn needs start-up parameters: give them with --module-params (or \"parameters\" in the site bindings), e.g. configdir='sql:DIR' certPrefix='' keyPrefix='' secmod='secmod.db'";
    case 'opencryptoki':
      return 'check that pkcsslotd is running and that this user is in the pkcs11 group';
    case 'ykcs11':
    case 'opensc':
      return 'check that pcscd is running and the reader is connected';
    default:
      return hasParameters ? 'check the module parameters given with it and its own documentation' : "check the module's documentation: some modules need start-up parameters (--module-params)";
  }
}

/** How a locked user PIN is recovered, per family (PKCS#11 has no standard way). */
export function lockoutRecovery(family: ModuleFamily | undefined): string {
  switch (family) {
    case 'tpm2-pkcs11':
      return "the TPM's dictionary-attack lockout applies to every token on this TPM: wait for the TPM's lockout time to pass, or have the TPM owner run tpm2_dictionarylockout --clear-lockout (the SO PIN does not help), then resume";
    case 'ykcs11':
      return 'unblock it with the PUK (ykman piv access unblock-pin), then resume';
    case 'softhsm2':
      return 'set a new user PIN with the SO PIN (softhsm2-util cannot; use pkcs11-tool --init-pin --login --login-type so), then resume';
    case 'opencryptoki':
      return 'have the security officer reset it with the SO PIN (pkcsconf -c SLOT -u), then resume';
    case 'opensc':
      return "unblock it with the PUK or SO PIN (pkcs11-tool --unlock-pin, or the card vendor's tool), then resume";
    default:
      return "unblock it with the SO PIN or PUK using the token vendor's tool, then resume";
  }
}

/** Extra warning for a wrong PIN where the token's flags cannot warn (tpm2-pkcs11 never sets COUNT_LOW). */
export function wrongPinWarning(family: ModuleFamily | undefined): string {
  if (family === 'tpm2-pkcs11') {
    return "; each wrong PIN counts against the TPM's dictionary-attack limit, shared by every token on this TPM, and the token cannot say how many tries are left — check the PIN before trying again";
  }
  return '';
}

/**
 * Modules known to refuse the full generation template: go straight to the minimal one (keygen.ts), so
 * the refused try does not print the module's own error lines (tpm2-pkcs11 logs errors whatever
 * TPM2_PKCS11_LOG_LEVEL says: "User specified and TPM specified attr mismatch", measured).
 */
/**
 * Private-key template attributes a module refuses outright, left out of both templates (the read-back
 * still checks the key): ykcs11 2.2.0 answers CKR_ATTRIBUTE_TYPE_INVALID to CKA_EXTRACTABLE and
 * CKA_ALWAYS_AUTHENTICATE (yubico-piv-tool-2.2.0 ykcs11/mechanisms.c check_pvtkey_template; 2.7 accepts
 * them) — a YubiKey's keys never leave it, and slot 9c asks for the PIN every time on its own.
 */
export function privateTemplateRefuses(family: ModuleFamily | undefined): readonly ('extractable' | 'alwaysAuthenticate')[] {
  return family === 'ykcs11' ? ['extractable', 'alwaysAuthenticate'] : [];
}

/**
 * Read-back uses a module reports that cannot be turned off and are accepted, as "CKA_… true" phrases of
 * keygen.ts readbackProblems. ykcs11 2.2.0 says CKA_DECRYPT true for every PIV private key from a fixed
 * table (ykcs11/objects.c): the card's PIV application lets any EC slot key do key agreement (GENERAL
 * AUTHENTICATE, tag 85), under the same PIN policy as signing; no template changes that.
 */
export function readbackToleratedUses(family: ModuleFamily | undefined): readonly string[] {
  return family === 'ykcs11' ? ['CKA_DECRYPT true'] : [];
}

export function minimalTemplateFirst(family: ModuleFamily | undefined): string | undefined {
  return family === 'tpm2-pkcs11' ? 'tpm2-pkcs11 derives the public key\'s uses itself and refuses them in the template' : undefined;
}
