/**
 * Who a token is: its description as read from the slot and CK_TOKEN_INFO (label, serial, slot, module,
 * manufacturer, model, flags), the key types it can make from its mechanism list, and what people are
 * shown of it. A token is identified by the pair (serial, label) and, within one module, its slot: some
 * modules give every token the same serial (tpm2-pkcs11 and NSS softokn: `0000000000000000`, FIELD-NOTES).
 */
import type { KeyAlgorithm } from '../../profiles/profile.js';
import { CKF, CKF_MECH, CKM, type MechanismInfo, type SlotId, type TokenInfo } from './api.js';
import { pinTriesOf, type TokenRef } from './errors.js';
import { softwareModelOf, type ModuleFamily } from './quirks.js';
import { isYubiKeyPiv, PIV_PIN_MAX, PIV_PIN_MIN } from './piv-slots.js';

export type TokenCapabilities = Record<KeyAlgorithm, boolean>;
export type PinStatus = 'ok' | 'count-low' | 'final-try' | 'locked' | 'to-be-changed' | 'not-initialized';

export interface TokenDescription extends TokenRef {
  slot: SlotId;
  slotDescription: string;
  manufacturer: string;
  model: string;
  removable: boolean;
  hardware: boolean;
  /** False for SoftHSM's free slot and factory-fresh tokens. */
  initialized: boolean;
  pinStatus: PinStatus;
  loginRequired: boolean;
  /** PIN entered on a pinpad or by touch, not typed into this app. */
  protectedAuthenticationPath: boolean;
  minPinLength: number;
  maxPinLength: number;
  /** Which key types this token can generate and sign with as the profiles need them. */
  capabilities: TokenCapabilities;
  /** Largest RSA modulus in bits the token generates (0 if unknown or no RSA). */
  rsaMaxBits: number;
  /** The mechanisms that matter to us that the token lists, by name. */
  mechanisms: string[];
  /** The module file this token was found through. */
  module: string;
  moduleFamily: ModuleFamily;
  /**
   * The software model this token is (keys kept in files on this computer: SoftHSM2, swtpm, NSS softokn,
   * opencryptoki's soft token), or undefined when nothing says so (quirks.ts softwareModelOf).
   */
  softwareModel: string | undefined;
  /**
   * False when another token on the same module has the same serial, or the serial is a placeholder
   * (empty or all zeros): the serial alone then does not identify this token; the label must too.
   */
  serialUnique: boolean;
}

/** Empty or all zeros: what tpm2-pkcs11 and NSS softokn report for every token (FIELD-NOTES). */
export function isPlaceholderSerial(serial: string): boolean {
  return /^0*$/.test(serial.trim());
}

/** Set `serialUnique` on tokens listed together from one module. */
export function markSharedSerials(tokens: TokenDescription[]): void {
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t.serial, (counts.get(t.serial) ?? 0) + 1);
  for (const t of tokens) t.serialUnique = !isPlaceholderSerial(t.serial) && counts.get(t.serial) === 1;
}

/** The same token: the pair (serial, label), which is what people and records can name. */
export function sameTokenRef(a: TokenRef, b: TokenRef): boolean {
  return a.serial === b.serial && a.label === b.label;
}

/** What a person (or `--json`) is shown of a token: plain data, the key types as a list. */
export function tokenSummary(t: TokenDescription) {
  return {
    label: t.label,
    serial: t.serial,
    manufacturer: t.manufacturer,
    model: t.model,
    initialized: t.initialized,
    pinStatus: t.pinStatus,
    loginRequired: t.loginRequired,
    protectedAuthenticationPath: t.protectedAuthenticationPath,
    minPinLength: t.minPinLength,
    maxPinLength: t.maxPinLength,
    keyTypes: (Object.keys(t.capabilities) as KeyAlgorithm[]).filter((k) => t.capabilities[k]),
    rsaMaxBits: t.rsaMaxBits,
    slotDescription: t.slotDescription,
    module: t.module,
    moduleFamily: t.moduleFamily,
    /** The software model (SoftHSM2, swtpm, NSS softokn, opencryptoki soft token), or null: hardware as far as known. */
    software: t.softwareModel ?? null,
    /** False: "serial not unique on this module" — the label tells this token apart. */
    serialUnique: t.serialUnique,
  };
}

export interface SlotDescription {
  slot: SlotId;
  description: string;
  manufacturer: string;
  removable: boolean;
  hardware: boolean;
  /** Undefined for an empty slot (a reader with no card), or a token that cannot be read (see `problem`). */
  token: TokenDescription | undefined;
  /** Why a token in this slot could not be described (e.g. `CKR_GENERAL_ERROR` for a deleted SoftHSM token). */
  problem?: string;
}

export interface TokenSelector {
  serial?: string;
  label?: string;
}

export const MECHANISM_NAMES: Record<number, string> = {
  [CKM.EC_KEY_PAIR_GEN]: 'CKM_EC_KEY_PAIR_GEN',
  [CKM.ECDSA]: 'CKM_ECDSA',
  [CKM.ECDSA_SHA256]: 'CKM_ECDSA_SHA256',
  [CKM.ECDSA_SHA384]: 'CKM_ECDSA_SHA384',
  [CKM.EC_EDWARDS_KEY_PAIR_GEN]: 'CKM_EC_EDWARDS_KEY_PAIR_GEN',
  [CKM.EDDSA]: 'CKM_EDDSA',
  [CKM.RSA_PKCS_KEY_PAIR_GEN]: 'CKM_RSA_PKCS_KEY_PAIR_GEN',
  [CKM.RSA_PKCS_PSS]: 'CKM_RSA_PKCS_PSS',
  [CKM.SHA256_RSA_PKCS_PSS]: 'CKM_SHA256_RSA_PKCS_PSS',
};

/** What each algorithm needs from the token: generation and the sign mechanism we call (hash in JS). */
export const NEEDS: Record<KeyAlgorithm, { gen: number; sign: number; bits: number; what: string }> = {
  'ecdsa-p256': { gen: CKM.EC_KEY_PAIR_GEN, sign: CKM.ECDSA, bits: 256, what: 'ECDSA P-256 keys (CKM_EC_KEY_PAIR_GEN, CKM_ECDSA)' },
  'ecdsa-p384': { gen: CKM.EC_KEY_PAIR_GEN, sign: CKM.ECDSA, bits: 384, what: 'ECDSA P-384 keys (CKM_EC_KEY_PAIR_GEN, CKM_ECDSA)' },
  ed25519: { gen: CKM.EC_EDWARDS_KEY_PAIR_GEN, sign: CKM.EDDSA, bits: 255, what: 'Ed25519 keys (CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA)' },
  'rsa-pss-sha256': { gen: CKM.RSA_PKCS_KEY_PAIR_GEN, sign: CKM.RSA_PKCS_PSS, bits: 2048, what: 'RSA-PSS keys (CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS_PSS)' },
};

function inRange(m: MechanismInfo, bits: number): boolean {
  // Modules disagree on units for EdDSA (255, 256) and some report 0–0 for "unknown": be lenient there.
  if (m.maxKeySize === 0) return true;
  return m.minKeySize <= bits + 1 && bits <= m.maxKeySize + 1;
}

export function capabilitiesOf(mechanisms: readonly MechanismInfo[]): { capabilities: TokenCapabilities; rsaMaxBits: number; names: string[] } {
  const byType = new Map(mechanisms.map((m) => [m.type, m]));
  const can = (alg: KeyAlgorithm): boolean => {
    const need = NEEDS[alg];
    const gen = byType.get(need.gen);
    const sign = byType.get(need.sign);
    if (!gen || !sign) return false;
    if (!(gen.flags & CKF_MECH.GENERATE_KEY_PAIR) || !(sign.flags & CKF_MECH.SIGN)) return false;
    return inRange(gen, need.bits) && inRange(sign, need.bits);
  };
  const rsaGen = byType.get(CKM.RSA_PKCS_KEY_PAIR_GEN);
  const capabilities: TokenCapabilities = {
    'ecdsa-p256': can('ecdsa-p256'),
    'ecdsa-p384': can('ecdsa-p384'),
    ed25519: can('ed25519'),
    'rsa-pss-sha256': can('rsa-pss-sha256'),
  };
  const names = mechanisms.map((m) => MECHANISM_NAMES[m.type]).filter((n): n is string => n !== undefined);
  return { capabilities, rsaMaxBits: capabilities['rsa-pss-sha256'] ? (rsaGen?.maxKeySize ?? 0) : 0, names };
}

export function pinStatusOf(flags: number): PinStatus {
  if (!(flags & CKF.USER_PIN_INITIALIZED)) return 'not-initialized';
  if (flags & CKF.USER_PIN_LOCKED) return 'locked';
  if (flags & CKF.USER_PIN_TO_BE_CHANGED) return 'to-be-changed';
  return pinTriesOf(flags) ?? 'ok';
}

/**
 * The PIN lengths the token takes. A YubiKey's PIV PIN is 6–8 characters (SP 800-73-4 Part 2, 3.2.1), but
 * ykcs11 reports 6–48 (the management key's length as SO PIN): the PIV rule is used, so a typo of 9+
 * characters never costs one of the three tries (issue #13, point 5).
 */
export function pinLengths(info: Pick<TokenInfo, 'manufacturer' | 'model' | 'minPinLength' | 'maxPinLength'>): { minPinLength: number; maxPinLength: number } {
  if (isYubiKeyPiv(info)) return { minPinLength: PIV_PIN_MIN, maxPinLength: PIV_PIN_MAX };
  return { minPinLength: info.minPinLength, maxPinLength: info.maxPinLength };
}

export function describe(
  slot: { id: SlotId; description: string; removable: boolean; hardware: boolean },
  info: TokenInfo,
  mechanisms: readonly MechanismInfo[],
  module: { path: string; family: ModuleFamily },
): TokenDescription {
  const { capabilities, rsaMaxBits, names } = capabilitiesOf(mechanisms);
  return {
    slot: slot.id,
    slotDescription: slot.description,
    label: info.label,
    serial: info.serial,
    manufacturer: info.manufacturer,
    model: info.model,
    removable: slot.removable,
    hardware: slot.hardware,
    initialized: (info.flags & CKF.TOKEN_INITIALIZED) !== 0,
    pinStatus: pinStatusOf(info.flags),
    loginRequired: (info.flags & CKF.LOGIN_REQUIRED) !== 0,
    protectedAuthenticationPath: (info.flags & CKF.PROTECTED_AUTHENTICATION_PATH) !== 0,
    ...pinLengths(info),
    capabilities,
    rsaMaxBits,
    mechanisms: names,
    module: module.path,
    moduleFamily: module.family,
    softwareModel: softwareModelOf(module.family, info),
    serialUnique: !isPlaceholderSerial(info.serial),
  };
}
