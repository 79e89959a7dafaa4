/**
 * Making a ceremony key on a YubiKey through ykcs11 2.2.0 (FIELD-NOTES, read in yubico-piv-tool-2.2.0
 * ykcs11/ykcs11.c and token.c), in the order that writes nothing to the card until every refusal that can
 * be known beforehand has been made:
 *  1. the slot must be one the site bindings name, 9a and f9 only when allowed explicitly (piv-slots.ts);
 *  2. the PIN must be 6–8 characters (ykcs11 reports 6–48, the management key's length);
 *  3. the slot must be empty — any object under its one-byte CKA_ID means a key or certificate is there,
 *     and ykcs11 would overwrite it without asking;
 *  4. the management key (from the environment or a no-echo prompt: the caller's business; never stored or
 *     logged; zeroed here) logs in as SO — generation needs it (else CKR_USER_TYPE_INVALID); a factory
 *     default key is warned about loudly;
 *  5. generation with the one-byte CKA_ID, then the self-test signature with a context-specific PIN login
 *     (ykcs11 refuses CKU_USER after SO, FIELD-NOTES);
 *  6. the slot's attestation certificate ("X.509 Certificate for PIV Attestation <slot>") and the f9
 *     certificate (CKA_ID 25), which ykcs11 reads from the card with ATTEST (INS F9), are verified to a
 *     Yubico root (src/attestation) and must attest the key just made, with a PIN and touch policy the plan
 *     allows.
 */
import { CeremonyError, isCeremonyError } from '../../errors.js';
import { verifyYubicoAttestation, type AttestationPolicy, type VerifiedAttestation } from '../../attestation/verify.js';
import type { AttestationTrust } from '../../attestation/yubico-pki.js';
import { describeToken, TokenError } from './errors.js';
import { checkPivPinLength, checkSlotAllowed, DEFAULT_MANAGEMENT_KEY_WARNING, idOfSlot, isYubiKeyPiv, type PivSlot } from './piv-slots.js';
import type { TokenSession } from './session.js';
import type { TokenKey } from './token-signer.js';

export interface YubiKeyGenerateRequest {
  /** The slot the site bindings name ("9c", "82", …). */
  slot: string;
  /** Guarded slots the bindings allow explicitly ("9a", "f9"). */
  allowSlots?: readonly string[];
  algorithm: 'ecdsa-p256' | 'ecdsa-p384';
  label: string;
  /** The 24-byte 3DES management key; zeroed before this returns. */
  managementKey: Uint8Array;
  /** Whether the management key is the factory default (parseManagementKey tells). */
  managementKeyIsDefault: boolean;
  /** The PIV PIN for the self-test (context-specific login); zeroed before this returns. */
  pin: Uint8Array;
  /** For tests and private PKIs: trust other roots than Yubico's (never mixed with them). */
  attestationTrust?: AttestationTrust;
  attestationPolicy?: AttestationPolicy;
  /** Shown to the custodian (CLI stderr, app banner): the default-management-key warning. */
  warn(message: string): void;
}

export interface YubiKeyGenerated {
  key: TokenKey;
  slot: PivSlot;
  attestation: VerifiedAttestation;
  /** DER of the slot attestation and f9 certificates, for attestations.json and the transcript. */
  attestationDer: Uint8Array;
  deviceDer: Uint8Array;
}

export const F9_ID = Uint8Array.of(25);

export async function generateOnYubiKey(session: TokenSession, req: YubiKeyGenerateRequest): Promise<YubiKeyGenerated> {
  try {
    const token = session.token;
    if (!isYubiKeyPiv(token)) throw new CeremonyError('USAGE', `${describeToken(token)} is not a YubiKey's PIV application`);
    const slot = checkSlotAllowed(req.slot, req.allowSlots ?? [], 'slot');
    checkPivPinLength(req.pin.length);
    const id = idOfSlot(slot);
    if (await session.idInUse(id)) {
      throw new TokenError('KEY_ID_EXISTS', `${describeToken(token)} already holds a key or certificate in PIV slot ${slot}; nothing was written — choose another slot, or clear this one with ykman if its key is not needed`, { token });
    }
    if (req.managementKeyIsDefault) req.warn(DEFAULT_MANAGEMENT_KEY_WARNING);
    try {
      await session.loginSecurityOfficer(req.managementKey);
    } catch (err) {
      if (isCeremonyError(err) && (err.code === 'PIN_INCORRECT' || err.code === 'PIN_LOCKED')) {
        throw new TokenError('MANAGEMENT_KEY_INCORRECT', `${describeToken(token)} did not accept the PIV management key; nothing was written to it`, { token, cause: err });
      }
      throw err;
    }
    const key = await session.generateKeyPair({ algorithm: req.algorithm, label: req.label, id, selfTestPin: req.pin });
    const certs = await session.certificatesWithId(id);
    const attestation = certs.find((c) => c.label === `X.509 Certificate for PIV Attestation ${slot}`);
    const device = (await session.certificatesWithId(F9_ID)).find((c) => c.label === 'X.509 Certificate for PIV Attestation');
    if (!attestation || !device) {
      throw new CeremonyError('ATTESTATION_MALFORMED', `${describeToken(token)} gave no attestation for slot ${slot}${device ? '' : ' (no f9 certificate)'}: the key cannot be shown to have been generated on it`);
    }
    const verified = verifyYubicoAttestation(attestation.der, device.der, {
      ...(req.attestationTrust ? { trust: req.attestationTrust } : {}),
      ...(req.attestationPolicy ? { policy: req.attestationPolicy } : {}),
      expectedSpki: key.spki,
      paths: { attestation: `slot ${slot} attestation`, device: 'f9 certificate' },
    });
    if (verified.serial.toString() !== token.serial.trim()) {
      throw new CeremonyError('ATTESTATION_KEY_MISMATCH', `the attestation names YubiKey serial ${verified.serial}, but the key was made on ${describeToken(token)}`);
    }
    // From now on each signature is announced as the attested touch policy asks (piv-touch.ts).
    key.pivTouch = { policy: verified.touchPolicy === 'unknown' ? undefined : verified.touchPolicy };
    return { key, slot, attestation: verified, attestationDer: attestation.der, deviceDer: device.der };
  } finally {
    req.managementKey.fill(0);
    req.pin.fill(0);
  }
}
