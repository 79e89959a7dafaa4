/**
 * Reading a YubiKey's attestation of one PIV key through ykcs11 (FIELD-NOTES): the slot's "X.509
 * Certificate for PIV Attestation <slot>" object — which ykcs11 makes on the card with ATTEST (INS F9) when
 * it is read — carries the key's one-byte CKA_ID (ykcs11 reads only the first byte of an ID); the device's own attestation certificate is the object of CKA_ID
 * 25 (slot f9). Reading needs no login and writes nothing. The chain is not checked here: the caller
 * verifies it (src/attestation/verify.ts) against the key it holds.
 */
import type { TokenSession } from './session.js';
import { idOfSlot, isYubiKeyPiv, slotOfId } from './piv-slots.js';

export const PIV_ATTESTATION_LABEL = 'X.509 Certificate for PIV Attestation';
const F9_ID = Uint8Array.of(25);

export interface PivAttestationCertificates {
  /** The slot ("9c", "82", …) the key's CKA_ID names. */
  slot: string;
  attestationDer: Uint8Array;
  deviceDer: Uint8Array;
}

/**
 * The attestation and f9 certificates for the key of CKA_ID `id`. `null`: the token is not a YubiKey's PIV
 * application (it has no such proof). Undefined certificates (a YubiKey that gave none) come back as
 * `missing`, so the caller says what was missing.
 */
export async function readPivAttestation(session: TokenSession, id: Uint8Array): Promise<PivAttestationCertificates | { missing: string } | null> {
  if (!isYubiKeyPiv(session.token)) return null;
  const slot = slotOfId(id);
  if (!slot) return { missing: `the key's CKA_ID (${Buffer.from(id).toString('hex')}) names no PIV slot` };
  const attestation = (await session.certificatesWithId(idOfSlot(slot))).find((c) => c.label === `${PIV_ATTESTATION_LABEL} ${slot}`);
  const device = (await session.certificatesWithId(F9_ID)).find((c) => c.label === PIV_ATTESTATION_LABEL);
  if (!attestation) return { missing: `the token gave no attestation certificate for PIV slot ${slot}` };
  if (!device) return { missing: 'the token gave no f9 (device attestation) certificate' };
  return { slot, attestationDer: attestation.der, deviceDer: device.der };
}
