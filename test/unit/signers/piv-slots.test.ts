/**
 * The YubiKey PIV slot model (src/signers/pkcs11/piv-slots.ts): CKA_ID byte ↔ slot as ykcs11 2.2.0 maps
 * them, the guarded slots, PIN length, management key parsing (never echoed), YubiKey detection.
 */
import { describe, expect, it } from 'vitest';
import { isCeremonyError } from '../../../src/errors.js';
import {
  checkPivPinLength,
  checkSlotAllowed,
  firstFreeRetiredSlot,
  idOfSlot,
  isYubiKeyPiv,
  parseManagementKey,
  slotOfId,
} from '../../../src/signers/pkcs11/piv-slots.js';

function code(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (e) {
    return isCeremonyError(e) ? e.code : String(e);
  }
}

describe('PIV slots', () => {
  it('maps CKA_ID first bytes to slots as ykcs11 does (1 → 9a, 2 → 9c, 5 → 82, 24 → 95, 25 → f9)', () => {
    expect([1, 2, 3, 4, 5, 24, 25].map((b) => slotOfId(Uint8Array.of(b, 0xff)))).toEqual(['9a', '9c', '9d', '9e', '82', '95', 'f9']);
    expect(slotOfId(Uint8Array.of(0))).toBeUndefined();
    expect(slotOfId(Uint8Array.of(26))).toBeUndefined();
    expect(slotOfId(new Uint8Array(0))).toBeUndefined();
    expect(Array.from(idOfSlot('9c'))).toEqual([2]);
    expect(Array.from(idOfSlot('8a'))).toEqual([13]);
  });

  it('refuses 9a and f9 unless allowed, and names that are not key slots', () => {
    const table: Array<[string, string[], string]> = [
      ['9c', [], 'OK'],
      ['82', [], 'OK'],
      ['9A', [], 'BINDINGS_INVALID'],
      ['9a', ['9A'], 'OK'],
      ['f9', [], 'BINDINGS_INVALID'],
      ['f9', ['f9'], 'OK'],
      ['9b', ['9b'], 'BINDINGS_INVALID'],
      ['96', [], 'BINDINGS_INVALID'],
      ['', [], 'BINDINGS_INVALID'],
    ];
    for (const [slot, allowed, expected] of table) expect(code(() => checkSlotAllowed(slot, allowed, 'keys[0].slot')), slot).toBe(expected);
  });

  it('proposes the first free retired slot', () => {
    expect(firstFreeRetiredSlot(new Set(['82', '83']))).toBe('84');
    expect(firstFreeRetiredSlot(new Set())).toBe('82');
  });

  it('checks the PIN length (6–8) and the management key (48 hex digits) without echoing it', () => {
    expect([5, 6, 8, 9].map((n) => code(() => checkPivPinLength(n)))).toEqual(['PIN_INCORRECT', 'OK', 'OK', 'PIN_INCORRECT']);
    expect(parseManagementKey('010203040506070801020304050607080102030405060708').isDefault).toBe(true);
    expect(parseManagementKey('AA'.repeat(24)).isDefault).toBe(false);
    const secret = 'zz'.repeat(24);
    try {
      parseManagementKey(secret);
      expect.unreachable();
    } catch (e) {
      expect(isCeremonyError(e) && e.code).toBe('USAGE');
      expect(String((e as Error).message)).not.toContain(secret);
    }
  });

  it('recognises a YubiKey PIV token from ykcs11 token info', () => {
    expect(isYubiKeyPiv({ manufacturer: 'Yubico (www.yubico.com)', model: 'YubiKey YK5' })).toBe(true);
    expect(isYubiKeyPiv({ manufacturer: 'SoftHSM project', model: 'SoftHSM v2' })).toBe(false);
  });
});
