/**
 * The YubiKey PIV slot model (src/signers/pkcs11/piv-slots.ts): CKA_ID byte ↔ slot as ykcs11 2.2.0 maps
 * them, the guarded slots, PIN length, management key parsing (never echoed), YubiKey detection.
 */
import { describe, expect, it } from 'vitest';
import { isCeremonyError } from '../../../src/errors.js';
import {
  checkPivPinLength,
  checkSlotAllowed,
  decideSlot,
  slotTitle,
  RETIRED_SLOTS,
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

describe('the slot for a new ceremony key (decideSlot)', () => {
  const where = 'token "alice" (serial 1)';
  it('a bound empty slot is used; a bound occupied one is refused (KEY_ID_EXISTS), whatever else is free', () => {
    expect(decideSlot('9c', new Set(), where)).toEqual({ kind: 'bound', slot: '9c' });
    expect(decideSlot('9c', new Set(['9a', '82']), where)).toEqual({ kind: 'bound', slot: '9c' });
    const taken = decideSlot('9c', new Set(['9c']), where);
    expect(taken).toMatchObject({ kind: 'refuse', code: 'KEY_ID_EXISTS' });
    expect(taken.kind === 'refuse' && taken.message).toMatch(/slot 9c.*nothing was written/);
  });

  it('no bound slot: the first empty retired slot is proposed (never 9a, 9c, 9d, 9e or f9)', () => {
    expect(decideSlot(undefined, new Set(), where)).toEqual({ kind: 'propose', slot: '82' });
    expect(decideSlot(undefined, new Set(['9a', '9c', '9d', '9e', '82', '83']), where)).toEqual({ kind: 'propose', slot: '84' });
    expect(decideSlot(undefined, new Set(['82', '84']), where)).toEqual({ kind: 'propose', slot: '83' });
    expect(decideSlot(undefined, new Set(RETIRED_SLOTS.filter((s) => s !== '95')), where)).toEqual({ kind: 'propose', slot: '95' });
  });

  it('no bound slot and every retired slot taken: refused (PIV_NO_FREE_SLOT)', () => {
    expect(decideSlot(undefined, new Set(RETIRED_SLOTS), where)).toMatchObject({ kind: 'refuse', code: 'PIV_NO_FREE_SLOT' });
  });
});

describe('a slot in words, for the custodian confirming it (slotTitle, SP 800-73-4 names)', () => {
  it.each([
    ['82', 'retired slot 82 (retired key management key 1)'],
    ['8a', 'retired slot 8a (retired key management key 9)'],
    ['95', 'retired slot 95 (retired key management key 20)'],
    ['9c', 'slot 9c (Digital Signature: the PIN before every signature)'],
    ['9d', 'slot 9d (Key Management)'],
    ['9e', 'slot 9e (Card Authentication: no PIN)'],
    ['9a', 'slot 9a (PIV Authentication: usually the everyday login key)'],
    ['f9', 'slot f9 (the attestation key)'],
  ] as const)('%s', (slot, words) => {
    expect(slotTitle(slot)).toBe(words);
  });
});
