/**
 * The PIV model of a YubiKey as ykcs11 2.2.0 exposes it (FIELD-NOTES; yubico-piv-tool-2.2.0 ykcs11/objects.c):
 * the first byte of CKA_ID chooses the key slot — 1 → 9a, 2 → 9c, 3 → 9d, 4 → 9e, 5…24 → the retired slots
 * 82…95, 25 → f9 (the attestation key) — and every other byte is ignored. NIST SP 800-73-4 Part 1, 3.3
 * names the slots: 9a PIV Authentication (the custodian's everyday login key), 9c Digital Signature (PIN
 * for every signature), 9d Key Management, 9e Card Authentication (no PIN), 82–95 retired key management.
 *
 * A ceremony key goes into a slot the site bindings name. 9a and f9 are refused unless the bindings allow
 * them explicitly: generating overwrites whatever key is there without asking (ykcs11 does not), and 9a
 * is usually the custodian's own login key, f9 the key that makes every attestation.
 */
import { CeremonyError } from '../../errors.js';

export type PivSlot = '9a' | '9c' | '9d' | '9e' | '82' | '83' | '84' | '85' | '86' | '87' | '88' | '89' | '8a' | '8b' | '8c' | '8d' | '8e' | '8f' | '90' | '91' | '92' | '93' | '94' | '95' | 'f9';

const ORDER: readonly PivSlot[] = ['9a', '9c', '9d', '9e', '82', '83', '84', '85', '86', '87', '88', '89', '8a', '8b', '8c', '8d', '8e', '8f', '90', '91', '92', '93', '94', '95', 'f9'];
/** Slots that need an explicit allowance in the bindings. */
export const GUARDED_SLOTS: readonly PivSlot[] = ['9a', 'f9'];
export const RETIRED_SLOTS: readonly PivSlot[] = ORDER.slice(4, 24);

/** A PIV PIN is 6 to 8 characters (SP 800-73-4 Part 2, 3.2.1); ykcs11 reports 6–48 (the management key's length). */
export const PIV_PIN_MIN = 6;
export const PIV_PIN_MAX = 8;
/** A 3DES management key is 24 bytes, given as 48 hex digits (ykcs11 token.c: CKU_SO with a 48-character "PIN"). */
export const MANAGEMENT_KEY_HEX_LENGTH = 48;
export const DEFAULT_MANAGEMENT_KEY_HEX = '010203040506070801020304050607080102030405060708';
/** What to do once the PIN is locked (Yubico's own tool for it). */
export const PIV_UNBLOCK_HINT = 'unblock it with the PUK: `ykman piv access unblock-pin` (or `yubico-piv-tool -a unblock-pin`); after three wrong PUKs only a reset of the PIV application helps, which erases its keys';

export function isPivSlot(name: string): name is PivSlot {
  return (ORDER as readonly string[]).includes(name);
}

/** The one-byte CKA_ID ykcs11 maps to `slot`. */
export function idOfSlot(slot: PivSlot): Uint8Array {
  return Uint8Array.of(ORDER.indexOf(slot) + 1);
}

/** The slot a CKA_ID names (its first byte), or undefined for an ID ykcs11 would refuse. */
export function slotOfId(id: Uint8Array): PivSlot | undefined {
  const b = id[0];
  return b !== undefined && b >= 1 && b <= ORDER.length ? ORDER[b - 1] : undefined;
}

/** Refuses a slot name that is not one, and 9a / f9 unless `allowed` names it. */
export function checkSlotAllowed(slot: string, allowed: readonly string[], path: string): PivSlot {
  const s = slot.toLowerCase();
  if (s === '9b') throw new CeremonyError('BINDINGS_INVALID', '9b is the management key, not a key slot', { path });
  if (!isPivSlot(s)) throw new CeremonyError('BINDINGS_INVALID', `"${slot}" is not a YubiKey PIV key slot (9c, 9d, 9e or 82–95)`, { path });
  if (GUARDED_SLOTS.includes(s) && !allowed.map((a) => a.toLowerCase()).includes(s)) {
    const why = s === '9a' ? "9a is usually the custodian's everyday PIV login key" : 'f9 holds the attestation key that proves every other key was made on the YubiKey';
    throw new CeremonyError('BINDINGS_INVALID', `slot ${s} is refused: ${why}; name it in "allowSlots" of the site bindings to use it anyway`, { path });
  }
  return s;
}

/**
 * A slot in words, for the custodian confirming it (NIST SP 800-73-4 Part 1, 3.3 names; the retired slots
 * 82–95 are "Retired Key Management Key 1" … "20").
 */
export function slotTitle(slot: PivSlot): string {
  const retired = RETIRED_SLOTS.indexOf(slot);
  if (retired >= 0) return `retired slot ${slot} (retired key management key ${retired + 1})`;
  const named: Record<string, string> = {
    '9a': 'slot 9a (PIV Authentication: usually the everyday login key)',
    '9c': 'slot 9c (Digital Signature: the PIN before every signature)',
    '9d': 'slot 9d (Key Management)',
    '9e': 'slot 9e (Card Authentication: no PIN)',
    f9: 'slot f9 (the attestation key)',
  };
  return named[slot] ?? `slot ${slot}`;
}

/** The first retired slot not in `occupied`, for the app to propose (the custodian confirms). */
export function firstFreeRetiredSlot(occupied: ReadonlySet<string>): PivSlot | undefined {
  return RETIRED_SLOTS.find((s) => !occupied.has(s));
}

/** Is this token a YubiKey's PIV application (as ykcs11 describes it)? */
export function isYubiKeyPiv(token: { manufacturer: string; model: string }): boolean {
  return /^Yubico\b/i.test(token.manufacturer.trim()) && /YubiKey/i.test(token.model);
}

/** Checks a PIV PIN's length before it is tried (a typo must not cost one of three tries). */
export function checkPivPinLength(length: number): void {
  if (length < PIV_PIN_MIN || length > PIV_PIN_MAX) {
    throw new CeremonyError('PIN_INCORRECT', `a YubiKey PIV PIN is ${PIV_PIN_MIN} to ${PIV_PIN_MAX} characters long; it was not tried`);
  }
}

/**
 * Checks a management key given as hex (from the environment or a no-echo prompt) and returns its bytes;
 * the caller zeroes them. Never echoes the value in a message.
 */
export function parseManagementKey(text: string): { key: Uint8Array; isDefault: boolean } {
  const hex = text.trim().toLowerCase();
  if (hex.length !== MANAGEMENT_KEY_HEX_LENGTH || !/^[0-9a-f]+$/.test(hex)) {
    throw new CeremonyError('USAGE', `a YubiKey management key is ${MANAGEMENT_KEY_HEX_LENGTH} hex digits (a 3DES key); the value given is not`);
  }
  // Buffer.from(string) may be cut from Node's shared pool: the copy is what the caller zeroes, and the
  // pooled bytes are zeroed here, so no copy of the key outlives its use.
  const pooled = Buffer.from(hex, 'hex');
  const key = new Uint8Array(pooled);
  pooled.fill(0);
  return { key, isDefault: hex === DEFAULT_MANAGEMENT_KEY_HEX };
}

/** The loud warning for a factory-default management key: anyone can then overwrite the card's keys. */
export const DEFAULT_MANAGEMENT_KEY_WARNING =
  'WARNING: this YubiKey still has the factory-default PIV management key (010203…0708). Anyone holding it can replace the keys on it. Change it after the ceremony: `ykman piv access change-management-key --generate --protect`.';

/** What to do about a key's slot on a YubiKey, decided before anything is written to the card. */
export type SlotDecision =
  /** The site bindings name this slot; it is empty. */
  | { kind: 'bound'; slot: PivSlot }
  /** The bindings name none: the first empty retired slot, to be confirmed by the custodian. */
  | { kind: 'propose'; slot: PivSlot }
  | { kind: 'refuse'; code: 'KEY_ID_EXISTS' | 'PIV_NO_FREE_SLOT'; message: string };

/**
 * The slot for a new key. `bound` is the bindings' choice (already checked by checkSlotAllowed), `occupied`
 * the slots holding any object by their one-byte CKA_ID. A bound slot that is taken is refused — the
 * ceremony only asks for a slot when no key was recorded for it, so whatever is there is someone else's
 * (ykcs11 would overwrite it without asking). With no bound slot, the first empty retired slot (82–95:
 * no PIN-policy surprises of 9c, not the everyday 9a) is proposed; none free is refused.
 */
export function decideSlot(bound: PivSlot | undefined, occupied: ReadonlySet<string>, where: string): SlotDecision {
  if (bound !== undefined) {
    if (occupied.has(bound)) {
      return { kind: 'refuse', code: 'KEY_ID_EXISTS', message: `${where} already holds a key or certificate in PIV slot ${bound}, the slot the site bindings name; nothing was written — name an empty slot, or clear this one with ykman if its key is not needed` };
    }
    return { kind: 'bound', slot: bound };
  }
  const free = firstFreeRetiredSlot(occupied);
  if (!free) return { kind: 'refuse', code: 'PIV_NO_FREE_SLOT', message: `${where} has no empty retired PIV slot (82–95); name a slot in the site bindings ("piv": {"slots": …})` };
  return { kind: 'propose', slot: free };
}
